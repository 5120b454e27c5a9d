"""Query planning within an exact token budget, map/reduce, and the inline path's estimate."""

from __future__ import annotations

from typing import Any

import pytest

from shared.analysis.factory import get_analyzer
from shared.analysis.offline.analyzer import MODEL_NAME
from shared.contracts.analysis import ClauseText, ContractForAnalysis, load_contracts
from shared.errors import ValidationFailed
from shared.jobs.steps import snapshots
from shared.llm.schema import strict_json_schema
from shared.query import answers
from shared.query import artifacts as names
from shared.query import plan as query
from shared.query import steps as query_steps
from shared.query.inline import answer_query, query_prompt_tokens
from shared.query.meter import PartMeter, prompt_overhead
from shared.query.models import AnalyzedPart, Citation, PartAnswer, PerContractAnswer, QueryPartTask, QueryResult
from shared.query.outputs import OPEN, PartOut, part_bounds, part_schema, part_schema_text
from shared.query.prompts import part_messages, query_part_messages, render_part
from shared.query.request import QueryJobRequest, Retrieval
from shared.settings import Settings, use_settings
from shared.storage.base import Repositories
from shared.text.tokens import count_tokens
from tests.support.chat_tokens import guide_prompt_tokens
from tests.support.jobs import USER, add_sample, add_text, clause_contract, job_scope, query_job

QUESTION = "Which law governs the agreement?"
RESERVE = 4_000  # the default LLM_MAX_OUTPUT_TOKENS: what the legacy endpoint passes


class CountingAnalyzer:
    def __init__(self, provider: str = "offline") -> None:
        self.provider = provider
        self.inner = get_analyzer()
        self.parts = 0
        self.combines = 0

    def model_name(self, selection: Any) -> str:
        return self.inner.model_name(selection)

    def context_tokens(self, selection: Any) -> int:
        return self.inner.context_tokens(selection)

    def answer_part(self, task: Any) -> Any:
        self.parts += 1
        return self.inner.answer_part(task)

    def combine(self, task: Any) -> Any:
        self.combines += 1
        return self.inner.combine(task)


def budget(part_tokens: int) -> query.Budget:
    return query.Budget(context_tokens=part_tokens + 100, output_reserve=60, overhead=40, encoding="o200k_base")


def contract(cid: str, clauses: int, words: int) -> ContractForAnalysis:
    return ContractForAnalysis(
        contract_id=cid,
        title=cid,
        clauses=[
            ClauseText(title=f"Clause {i}", text=" ".join(f"{cid}c{i}w{j}" for j in range(words)))
            for i in range(clauses)
        ],
    )


def test_budget_is_context_minus_output_reserve_and_counted_overhead() -> None:
    overhead = prompt_overhead("o200k_base")  # the system prompt and an empty user message, as sent
    assert overhead == guide_prompt_tokens(part_messages(""), "o200k_base", strict_json_schema(PartOut))
    assert query.make_budget(10_000, 1_000, overhead, "o200k_base").part_tokens == 9_000 - overhead
    with pytest.raises(ValidationFailed, match="at least"):
        query.make_budget(1_000, 900, overhead, "o200k_base")


def test_a_set_that_fits_is_one_part() -> None:
    contracts = [contract("a", 3, 20), contract("b", 3, 20)]
    parts = query.plan_parts(QUESTION, contracts, budget(5_000))
    assert len(parts) == 1
    assert [c.contract_id for c in parts[0].contracts] == ["a", "b"]


def test_a_larger_set_is_split_and_every_part_fits_exactly() -> None:
    contracts = [contract(f"k{i}", 4, 60) for i in range(6)]
    two = query.part_tokens(QueryPartTask(question=QUESTION, part_index=0, contracts=contracts[:2]), "o200k_base")
    limit = two + 20  # two contracts per part (their message and their schema's bounds), not three
    parts = query.plan_parts(QUESTION, contracts, budget(limit))

    assert len(parts) == 3
    assert [[c.contract_id for c in p.contracts] for p in parts] == [["k0", "k1"], ["k2", "k3"], ["k4", "k5"]]
    assert all(query.part_tokens(p, "o200k_base") <= limit for p in parts)
    assert [p.part_index for p in parts] == [0, 1, 2]


def test_a_contract_larger_than_a_part_is_split_by_clauses_losing_nothing() -> None:
    big = contract("big", 10, 80)
    limit = count_tokens(render_part(QUESTION, [big])) // 3
    parts = query.plan_parts(QUESTION, [big], budget(limit))

    assert len(parts) >= 3
    pieces = [c for p in parts for c in p.contracts]
    assert {c.contract_id for c in pieces} == {"big"}
    assert pieces[0].title == f"big (part 1 of {len(pieces)})"
    assert [cl.text for piece in pieces for cl in piece.clauses] == [cl.text for cl in big.clauses]
    assert all(query.part_tokens(p, "o200k_base") <= limit for p in parts)


def test_a_clause_larger_than_a_part_is_split_by_paragraphs_then_tokens() -> None:
    paragraphs = [" ".join(f"p{i}w{j}" for j in range(150)) for i in range(4)]
    huge = ContractForAnalysis(
        contract_id="huge", title="huge", clauses=[ClauseText(title="Scope", text="\n\n".join(paragraphs))]
    )
    limit = 250  # less than one paragraph (~300 tokens)
    parts = query.plan_parts(QUESTION, [huge], budget(limit))

    texts = [cl.text for p in parts for c in p.contracts for cl in c.clauses]
    assert len(texts) > 4
    assert "".join(texts).replace(" ", "").replace("\n", "") == "".join(paragraphs).replace(" ", "")
    assert all(query.part_tokens(p, "o200k_base") <= limit for p in parts)


def test_query_steps_plan_parts_as_artifacts(repos: Repositories, settings: Settings) -> None:
    use_settings(settings.model_copy(update={"llm_context_tokens_primary": 4_000}))
    for name in ("nda_mutual_standard.md", "msa_standard.txt", "commercial_lease.txt"):
        add_sample(repos, name)
    ids = ["nda_mutual_standard.md", "msa_standard.txt", "commercial_lease.txt"]
    query_job(repos, QUESTION, ids)
    scope = job_scope(repos, "job-q")
    analyzer = CountingAnalyzer()

    query_steps.retrieve_chunk(scope, ids, len(ids))
    assert [c.contract_id for c in snapshots(scope, ids)] == ids
    planned = query_steps.plan(scope, analyzer, output_reserve=500)
    assert planned.parts >= 2
    budget = query.budget_for(analyzer, scope.request(QueryJobRequest), 500)  # type: ignore[arg-type]
    assert budget.part_tokens < 4_000 - 500
    parts = [scope.artifacts.get(names.part(i), QueryPartTask) for i in range(planned.parts)]
    assert max(query.part_tokens(p, budget.encoding) for p in parts) <= budget.part_tokens
    outcomes = [query_steps.answer_part(scope, analyzer, i, planned.parts) for i in range(planned.parts)]
    assert all(o.status == "ok" for o in outcomes)
    grouped = query_steps.group(scope, analyzer, 0, planned.parts, output_reserve=500)
    assert grouped.groups == [planned.parts]  # the parts' short answers fit one combine prompt
    combined = query_steps.combine(scope, analyzer, 1, 0, 0, planned.parts, planned.parts)
    assert combined.status == "ok" and analyzer.combines == 1
    node = scope.artifacts.get(names.node(1, 0), AnalyzedPart)
    assert node.model == MODEL_NAME  # a model answered it: the combine was a model call
    again = query_steps.combine(scope, analyzer, 1, 0, 0, planned.parts, planned.parts)
    assert (again.status, analyzer.combines) == ("ok", 1)  # the stored combined answer is reused, not re-bought
    assert scope.artifacts.get(names.node(1, 0), AnalyzedPart) == node
    query_steps.finish(scope, [planned.parts, 1])
    assert query_steps.save(scope).result_id == "res_job-q"
    result = QueryResult.model_validate(repos.results.get(USER, "res_job-q").result)
    assert result.citations and result.answer == node.answer.answer  # the reduce tree's root is the answer
    assert [p.contract_id for p in result.per_contract] == ids


def test_inline_query_single_part_needs_no_combine_call(repos: Repositories) -> None:
    add_sample(repos, "nda_mutual_standard.md")
    add_sample(repos, "nda_mutual_variant_a.md")
    analyzer = CountingAnalyzer()
    request = QueryJobRequest(question=QUESTION, contract_ids=["nda_mutual_standard.md", "nda_mutual_variant_a.md"])

    contracts = load_contracts(repos.contracts, USER, request.contract_ids)
    result = answer_query(analyzer, request, contracts, RESERVE)  # type: ignore[arg-type]

    assert (analyzer.parts, analyzer.combines) == (1, 0)
    quotes = {c.contract_id: c.quote for c in result.citations}
    assert "Delaware" in quotes["nda_mutual_standard.md"]
    assert "New York" in quotes["nda_mutual_variant_a.md"]
    assert [p.contract_id for p in result.per_contract] == request.contract_ids


def test_inline_query_over_many_parts_combines(repos: Repositories, settings: Settings) -> None:
    use_settings(settings.model_copy(update={"llm_context_tokens_primary": 3_000}))
    add_sample(repos, "nda_mutual_standard.md")
    add_text(repos, "filler", clause_contract("f", 10, 150))
    analyzer = CountingAnalyzer()
    request = QueryJobRequest(question=QUESTION, contract_ids=["filler", "nda_mutual_standard.md"])

    contracts = load_contracts(repos.contracts, USER, request.contract_ids)
    result = answer_query(analyzer, request, contracts, 500)  # type: ignore[arg-type]

    assert analyzer.parts > 1 and analyzer.combines == 1
    assert [p.contract_id for p in result.per_contract] == ["filler", "nda_mutual_standard.md"]
    assert any("Delaware" in c.quote for c in result.citations)


def test_estimate_is_stored_counts_plus_counted_prompt(repos: Repositories) -> None:
    nda = add_sample(repos, "nda_mutual_standard.md")
    msa = add_sample(repos, "msa_standard.txt")
    estimate = query_prompt_tokens(QUESTION, load_contracts(repos.contracts, USER, [nda.contract_id, msa.contract_id]))
    around = QueryPartTask(question=QUESTION, part_index=0, contracts=[])  # the prompt of a part, less its contracts
    overhead = guide_prompt_tokens(query_part_messages(around), "o200k_base", strict_json_schema(PartOut))
    assert part_schema_text(OPEN) == part_schema_text(part_bounds([]))  # a part of no contracts: nothing to bound
    assert estimate == nda.token_count + msa.token_count + overhead
    assert nda.token_count == count_tokens(nda.text)


def test_merge_joins_a_split_contracts_answers_and_drops_unknown_citations() -> None:
    first = PartAnswer(
        part_index=0,
        answer="a",
        citations=[],
        per_contract=[PerContractAnswer(contract_id="x", contract_title="x (part 1 of 2)", answer="Part one.")],
    )
    second = PartAnswer(
        part_index=1,
        answer="b",
        citations=[],
        per_contract=[
            PerContractAnswer(
                contract_id="x",
                contract_title="x (part 2 of 2)",
                answer="Part two.",
                citations=[Citation(contract_id="x", clause_title="T", quote="q")],
            )
        ],
    )
    (merged,) = answers.merge_per_contract([first, second], {"x": "Contract X"})
    assert (merged.contract_title, merged.answer, len(merged.citations)) == ("Contract X", "Part one. Part two.", 1)

    task = QueryPartTask(question="q", part_index=0, contracts=[contract("x", 1, 3)])
    answer = PartAnswer(
        part_index=5,
        answer="a",
        citations=[Citation(contract_id="ghost", clause_title="T", quote="made up")],
        per_contract=[],
    )
    clean = answers.validate_part(task, answer)
    assert clean.citations == [] and clean.part_index == 0
    assert [(p.contract_id, p.relevant) for p in clean.per_contract] == [("x", False)]


def test_the_linear_meter_counts_exactly_what_is_sent() -> None:
    from pathlib import Path

    from shared.text.segmentation import segment_top_level

    samples = Path(__file__).resolve().parents[3] / "sample_data"
    contracts = []
    for path in sorted(samples.glob("*.*")):
        if path.suffix in (".txt", ".md"):
            clauses = segment_top_level(path.read_text(encoding="utf-8"))
            contracts.append(
                ContractForAnalysis(
                    contract_id=path.name,
                    title=f'{path.stem} "quoted" <b>',
                    clauses=[ClauseText(title=c.title, number=c.number, text=c.text) for c in clauses],
                )
            )
    contracts.append(ContractForAnalysis(contract_id="empty", title="No clauses", clauses=[]))
    question = "What happens on termination?\n(and <why>)"
    for encoding in ("o200k_base", "cl100k_base"):
        meter = PartMeter(question, encoding)
        for n in range(len(contracts) + 1):
            task = QueryPartTask(question=question, part_index=0, contracts=contracts[-n:] if n else [])
            schema = strict_json_schema(part_schema(part_bounds(task.contracts)))  # the part's own, as sent
            assert meter.part(task.contracts) == count_tokens(render_part(question, task.contracts), encoding)
            assert meter.prompt(task.contracts) == guide_prompt_tokens(query_part_messages(task), encoding, schema)
            assert meter.prompt(task.contracts) == meter.overhead + query.part_tokens(task, encoding)


SAMPLES = ["nda_mutual_standard.md", "msa_standard.txt", "commercial_lease.txt", "employment_agreement.md"]


def sent_costs(parts: list[QueryPartTask]) -> list[int]:
    """Each part's prompt as the LLM client sends it (its own bounded schema), counted whole."""
    return [
        guide_prompt_tokens(
            query_part_messages(p), "o200k_base", strict_json_schema(part_schema(part_bounds(p.contracts)))
        )
        for p in parts
    ]


def planned_parts(repos: Repositories, retrieval: Retrieval) -> list[QueryPartTask]:
    for name in SAMPLES:
        add_sample(repos, name)
    query_job(repos, QUESTION, SAMPLES, retrieval=retrieval)
    scope = job_scope(repos, "job-q")
    query_steps.retrieve_chunk(scope, SAMPLES, len(SAMPLES))
    planned = query_steps.plan(scope, CountingAnalyzer(provider="openai"), output_reserve=800)  # type: ignore[arg-type]
    return [scope.artifacts.get(names.part(i), QueryPartTask) for i in range(planned.parts)]


def test_parts_fit_the_context_as_the_llm_client_lays_them_out(repos: Repositories, settings: Settings) -> None:
    use_settings(settings.model_copy(update={"llm_context_tokens_primary": 5_000}))

    parts = planned_parts(repos, "all")

    costs = sent_costs(parts)
    assert max(costs) <= 5_000 - 800
    assert max(costs) > (5_000 - 800) * 0.6  # parts are packed, not split needlessly
    covered = [c.contract_id for p in parts for c in p.contracts]
    assert list(dict.fromkeys(covered)) == SAMPLES
    whole = {c.contract_id: c for c in snapshots(job_scope(repos, "job-q"), SAMPLES)}
    sent = {
        cid: [cl for p in parts for c in p.contracts if c.contract_id == cid for cl in c.clauses] for cid in SAMPLES
    }
    assert all(len(sent[cid]) == len(whole[cid].clauses) for cid in SAMPLES)  # "all": every clause goes


def test_ranked_retrieval_sends_each_contracts_answering_clauses_only(repos: Repositories, settings: Settings) -> None:
    use_settings(settings.model_copy(update={"llm_context_tokens_primary": 5_000}))

    parts = planned_parts(repos, "ranked")

    assert len(parts) == 1  # what is kept of four contracts fits one part
    (part,) = parts
    assert [c.contract_id for c in part.contracts] == SAMPLES  # every contract is asked, in order
    whole = {c.contract_id: c for c in snapshots(job_scope(repos, "job-q"), SAMPLES)}
    for sent in part.contracts:
        clauses = whole[sent.contract_id].clauses
        assert 0 < len(sent.clauses) < len(clauses)
        assert all(clause in clauses for clause in sent.clauses)  # verbatim, titles and numbers too
        positions = [clauses.index(clause) for clause in sent.clauses]
        assert positions == sorted(positions)  # in document order
    titles = {c.contract_id: [cl.title for cl in c.clauses] for c in part.contracts}
    assert "Governing Law and Jurisdiction" in titles["nda_mutual_standard.md"]
    assert max(sent_costs(parts)) <= 5_000 - 800
