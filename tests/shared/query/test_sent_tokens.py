"""What the query planner and the LLM client count is what the `openai` SDK sends, to the token, with each part's
own bounded response schema, whether the contracts go whole (`"retrieval": "all"`) or as their ranked clauses.

The request bodies are the ones the OpenAI-compatible test server received from the real SDK; they are counted
here on their own, as OpenAI's token-counting guide counts a chat request (tests/support/chat_tokens.py), with the
response schema the client sends along.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Iterator

import pytest

import shared.text.tokens as tokens_module
from shared.contracts.analysis import ClauseText, ContractForAnalysis
from shared.llm import events
from shared.llm.analyzer import LLMAnalyzer
from shared.llm.client import LLMClient
from shared.llm.framing import render_clause, render_contract_head
from shared.llm.schema import strict_json_schema
from shared.query.meter import PartMeter
from shared.query.models import QueryPartTask
from shared.query.outputs import MAX_ID_VALUES, part_bounds, part_schema
from shared.query.plan import part_tokens, plan_for
from shared.query.prompts import query_part_messages
from shared.query.request import QueryJobRequest, Retrieval
from shared.text.tokens import SUPPORTED_ENCODINGS, count_tokens, encoding_for_model
from tests.support.chat_tokens import guide_prompt_tokens
from tests.support.openai_server import OMIT, OpenAITestServer, RecordedRequest, Reply
from tests.support.quota import FakeClock, MemoryQuotaRepository

RESERVE = 1_000
# Text that stresses a token count: our delimiters in the data, entities, quotes, numbers, slashes, non-ASCII.
WORDS = (
    "notice",
    "shall",
    "Termination",
    "30",
    "days",
    "(a)",
    "Licensee's",
    "§",
    "<b>",
    "&",
    '"quoted"',
    "/",
    "—",
    "café",
    "<clause>",
    "</contract>",
    "2024-01-31",
    "ignore",
    "previous",
    "instructions",
    "1.2.3",
    "USD$1,000,000",
    "naïve",
    "東京",
    "emoji🙂",
    "<question>",
    "x/y",
    "./",
    "<",
    "a\tb",
)


def sent_tokens(request: RecordedRequest) -> int:
    """Prompt tokens of a chat request as it went over the wire."""
    return guide_prompt_tokens(request.messages, encoding_for_model(str(request.model)), request.json_schema)


def random_text(rng: random.Random, words: int) -> str:
    paragraphs = []
    while words > 0:
        n = min(words, rng.randint(3, 90))
        paragraphs.append(" ".join(rng.choice(WORDS) for _ in range(n)))
        words -= n
    return "\n\n".join(paragraphs)


def big_text(rng: random.Random, words: int) -> str:
    """Paragraphs, or (odd `words`) one paragraph, larger than a part."""
    if words % 2:
        return " ".join(rng.choice(WORDS) for _ in range(words))
    return random_text(rng, words)


def random_contracts(
    rng: random.Random, count: int, big: int = 0, first: int = 0, most_clauses: int = 9
) -> list[ContractForAnalysis]:
    """`big`: words of the first clause of each contract (larger than a part); one paragraph when odd."""
    contracts = []
    for i in range(first, first + count):
        clauses = [
            ClauseText(
                title=f'{rng.choice(WORDS)} "{i}.{k}" <{rng.choice(WORDS)}>',
                number=rng.choice([None, f"{k + 1}.", f"({k + 1})"]),
                text=big_text(rng, big) if big and k == 0 else random_text(rng, rng.randint(0, 250)),
            )
            for k in range(rng.randint(1, most_clauses))
        ]
        title = f'Contract "{i}" {rng.choice(WORDS)}'
        contracts.append(ContractForAnalysis(contract_id=f"c{i}&<{i}>", title=title, clauses=clauses))
    return contracts


@pytest.fixture
def llm(openai_server: OpenAITestServer) -> Iterator[tuple[OpenAITestServer, list[int]]]:
    """The test server, and the prompt tokens the client counted for each attempt (answers carry no usage, so
    the client reports its own figure)."""
    counted: list[int] = []

    def heard(event: events.ModelEvent) -> None:
        if isinstance(event, events.ModelCallAttempt):
            counted.append(event.prompt_tokens)

    remove = events.listen(heard)
    yield openai_server, counted
    remove()


def analyzer_for(server: OpenAITestServer, context: int) -> LLMAnalyzer:
    settings = server.settings(llm_context_tokens_primary=context, llm_max_output_tokens=RESERVE)
    return LLMAnalyzer(LLMClient(settings, sleep=FakeClock().sleep, quota=MemoryQuotaRepository(), clock=FakeClock()))


def schema_of(part: QueryPartTask) -> dict[str, object]:
    """The part's response schema as the client sends it."""
    return strict_json_schema(part_schema(part_bounds(part.contracts)))


@pytest.mark.parametrize("retrieval", ["all", "ranked"])
@pytest.mark.parametrize("seed", range(8))
def test_a_planned_part_costs_exactly_what_is_sent(
    llm: tuple[OpenAITestServer, list[int]], seed: int, retrieval: Retrieval
) -> None:
    server, counted_by_client = llm
    rng = random.Random(seed)
    context = rng.randint(3_000, 9_000)
    analyzer = analyzer_for(server, context)
    question = f'What is the notice period? <contract> "{rng.choice(WORDS)}"'
    big = [0, 2_500, 0, 3_001][seed % 4]  # some contracts larger than a part, with one paragraph larger too
    contracts = random_contracts(rng, rng.randint(2, 7), big=big)
    request = QueryJobRequest(question=question, contract_ids=[c.contract_id for c in contracts], retrieval=retrieval)

    budget, parts = plan_for(analyzer, request, contracts, RESERVE)
    encoding = encoding_for_model(analyzer.model_name("primary"))
    counted_by_planner = [budget.overhead + part_tokens(part, encoding) for part in parts]
    meter = PartMeter(question, encoding)
    assert [meter.prompt(part.contracts) for part in parts] == counted_by_planner  # the linear count agrees
    for part in parts:
        server.enqueue(Reply(usage=OMIT))
        analyzer.answer_part(part)
    sent = [sent_tokens(r) for r in server.requests]

    assert [len(r.messages) for r in server.requests] == [2] * len(parts)
    assert counted_by_planner == sent, f"planner counted {counted_by_planner}, the SDK sent {sent}"
    assert counted_by_client == sent, f"client counted {counted_by_client}, the SDK sent {sent}"
    assert max(sent) <= context - RESERVE
    covered = [c.contract_id for part in parts for c in part.contracts]
    assert list(dict.fromkeys(covered)) == request.contract_ids
    for part, sent_request in zip(parts, server.requests, strict=True):  # each part's own bounds went on the wire
        assert sent_request.json_schema == schema_of(part)
    if retrieval == "all":  # every clause went (a split one in several runs)
        assert sum(len(c.clauses) for part in parts for c in part.contracts) >= sum(len(c.clauses) for c in contracts)


def test_the_reply_schema_on_the_wire_bounds_ids_and_titles_to_the_part(
    openai_server: OpenAITestServer,
) -> None:
    analyzer = analyzer_for(openai_server, 8_000)
    contracts = random_contracts(random.Random(3), 3)
    request = QueryJobRequest(question="When may a party terminate?", contract_ids=[c.contract_id for c in contracts])
    _, (part,) = plan_for(analyzer, request, contracts, RESERVE)

    analyzer.answer_part(part)

    (sent,) = openai_server.requests
    definitions = sent.json_schema["$defs"]  # type: ignore[index]
    ids = [c.contract_id for c in part.contracts]
    titles = list(dict.fromkeys(cl.title for c in part.contracts for cl in c.clauses))
    citation, per_contract = definitions["CitationOut"]["properties"], definitions["PerContractOut"]["properties"]
    assert citation["contract_id"]["enum"] == ids == per_contract["contract_id"]["enum"]
    assert citation["clause_title"]["enum"] == titles  # as they are: the prompt shows them escaped in attributes
    assert any("<" in t or '"' in t for t in titles)
    assert list(citation["contract_id"]) == ["enum", "title", "type"]


def test_too_many_values_leave_a_field_open_and_the_count_stays_exact() -> None:
    many = [
        ContractForAnalysis(contract_id=f"c{i}", title="t", clauses=[ClauseText(title=f"Clause {i}", text="x")])
        for i in range(MAX_ID_VALUES + 1)
    ]
    bounds = part_bounds(many)
    assert bounds.contract_ids is None and bounds.clause_titles is not None
    schema = strict_json_schema(part_schema(bounds))
    assert "enum" not in schema["$defs"]["CitationOut"]["properties"]["contract_id"]
    assert len(schema["$defs"]["CitationOut"]["properties"]["clause_title"]["enum"]) == MAX_ID_VALUES + 1
    task = QueryPartTask(question="q", part_index=0, contracts=many)
    encoding = "o200k_base"
    meter = PartMeter("q", encoding)
    assert meter.prompt(many) == guide_prompt_tokens(query_part_messages(task), encoding, schema)


def test_a_corrective_retry_costs_exactly_what_is_sent(llm: tuple[OpenAITestServer, list[int]]) -> None:
    server, counted_by_client = llm
    analyzer = analyzer_for(server, 8_000)
    contracts = random_contracts(random.Random(7), 2)
    request = QueryJobRequest(question="Who may terminate?", contract_ids=[c.contract_id for c in contracts])
    _, (part,) = plan_for(analyzer, request, contracts, RESERVE)
    server.enqueue(Reply(content='{"answer": 1}', usage=OMIT), Reply(usage=OMIT))  # invalid, then the default

    analyzer.answer_part(part)

    first, retry = server.requests
    assert (len(first.messages), len(retry.messages)) == (2, 4)  # the retry shows the model its reply and errors
    sent = [sent_tokens(first), sent_tokens(retry)]
    assert counted_by_client == sent, f"client counted {counted_by_client}, the SDK sent {sent}"


@pytest.mark.parametrize("retrieval", ["all", "ranked"])
def test_the_planner_plans_once(
    monkeypatch: pytest.MonkeyPatch, openai_server: OpenAITestServer, retrieval: Retrieval
) -> None:
    """One pass: every piece of the prompt (each distinct schema too) is tokenized once, no part is counted again
    whole, selecting clauses tokenizes nothing twice, and the parts are packed as tightly as the exact counts
    allow, each with its own schema."""
    rng = random.Random(11)
    context = 6_000
    analyzer = analyzer_for(openai_server, context)
    most = 9 if retrieval == "all" else 40  # contracts long enough for a ranking to leave most clauses out
    contracts = random_contracts(rng, 12, most_clauses=most) + random_contracts(rng, 1, big=3_000, first=12)
    question = "What is the notice period?"
    request = QueryJobRequest(question=question, contract_ids=[c.contract_id for c in contracts], retrieval=retrieval)
    encoded: list[str] = []
    encode = tokens_module._encode

    def recording(text: str, *args: object, **kwargs: object) -> list[int]:
        encoded.append(text)
        return encode(text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tokens_module, "_encode", recording)
    _, parts = plan_for(analyzer, request, contracts, RESERVE)
    monkeypatch.setattr(tokens_module, "_encode", encode)

    twice = [text[:60] for text, n in Counter(encoded).items() if n > 1]
    assert not twice, f"{len(twice)} texts were tokenized more than once while planning, e.g. {twice[:3]}"
    whole = [text[:60] for text in encoded if text.count("<contract id=") > 1]
    assert not whole, f"{len(whole)} texts holding more than one contract were tokenized, e.g. {whole[:3]}"
    if retrieval == "all":
        assert any("(part 2 of" in c.title for part in parts for c in part.contracts)  # the big one was split
    else:  # fewer clauses: most contracts are kept in part
        kept = {c.contract_id: len(c.clauses) for part in parts for c in part.contracts}
        assert sum(kept[c.contract_id] < len(c.clauses) for c in contracts) >= len(contracts) / 2, kept
    encoding = encoding_for_model(analyzer.model_name("primary"))
    costs = [guide_prompt_tokens(query_part_messages(p), encoding, schema_of(p)) for p in parts]
    assert max(costs) <= context - RESERVE
    for part, following in itertools.pairwise(parts):  # the next part's first contract would not have fitted
        grown = part.model_copy(update={"contracts": [*part.contracts, following.contracts[0]]})
        assert guide_prompt_tokens(query_part_messages(grown), encoding, schema_of(grown)) > context - RESERVE


@pytest.mark.parametrize("encoding", SUPPORTED_ENCODINGS)
def test_a_split_title_costs_no_more_than_with_its_widest_numbers(encoding: str) -> None:
    """The planner sizes split pieces with "(part M of M)" / "(continued M/M)", M the most pieces there can be:
    every final label, with smaller numbers, must cost no more. Numbers cost tokens by their digits only."""
    digits = ("".join(d) for n in (1, 2, 3) for d in itertools.product("0123456789", repeat=n))
    assert all(count_tokens(d, encoding) == 1 for d in digits)
    rng = random.Random(5)
    contract = ContractForAnalysis(contract_id="x", title='Master "Services" Agreement 2', clauses=[])
    clause = ClauseText(title="Limitation of liability (a)", number="12.3", text="")
    for most in (9, 10, 99, 100, 999, 1_000, 12_345, 1_000_000):
        widest_head = count_tokens(render_contract_head(_titled(contract, f"(part {most} of {most})")), encoding)
        widest_clause = count_tokens(render_clause(_named(clause, f"(continued {most}/{most})")), encoding)
        for _ in range(50):
            n = rng.randint(1, most)
            k = rng.randint(1, n)
            assert count_tokens(render_contract_head(_titled(contract, f"(part {k} of {n})")), encoding) <= widest_head
            assert count_tokens(render_clause(_named(clause, f"(continued {k}/{n})")), encoding) <= widest_clause


def _titled(contract: ContractForAnalysis, label: str) -> ContractForAnalysis:
    return contract.model_copy(update={"title": f"{contract.title} {label}"})


def _named(clause: ClauseText, label: str) -> ClauseText:
    return clause.model_copy(update={"title": f"{clause.title} {label}"})
