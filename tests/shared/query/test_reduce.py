"""The budgeted reduce: partial answers grouped so that every combine prompt fits, counted exactly."""

from __future__ import annotations

import json

import pytest

from shared.llm.schema import strict_json_schema
from shared.query.models import Citation, PartAnswer, PerContractAnswer, QueryCombineTask
from shared.query.outputs import OPEN, CombineOut, combine_bounds, combine_schema, combine_schema_text
from shared.query.prompts import query_combine_messages
from shared.query.reduce import CombineMeter, CombineTooLarge, group_answers
from tests.support.chat_tokens import guide_prompt_tokens

QUESTION = "Which law governs the agreement?"
ENCODING = "o200k_base"


def answer(index: int, words: int) -> PartAnswer:
    cid = f"c{index}"
    quote = " ".join(f"w{index}x{j}" for j in range(words))
    citation = Citation(contract_id=cid, clause_title="Governing Law", quote=quote)
    return PartAnswer(
        part_index=index,
        answer=f"Contract {cid} is governed by the laws of state {index}.",
        citations=[citation],
        per_contract=[PerContractAnswer(contract_id=cid, contract_title=cid, answer="x", citations=[citation])],
    )


def sent(answers: list[PartAnswer]) -> int:
    """The combine prompt as the LLM client sends it (its own bounded schema), counted whole, independently of the
    meter."""
    messages = query_combine_messages(QueryCombineTask(question=QUESTION, parts=answers))
    return guide_prompt_tokens(messages, ENCODING, strict_json_schema(combine_schema(combine_bounds(answers))))


def test_groups_fill_the_budget_exactly_and_keep_order() -> None:
    answers = [answer(i, 30) for i in range(9)]
    four = sent(answers[:4])
    meter = CombineMeter(QUESTION, ENCODING, allowed=four)  # exactly four answers' prompt

    sizes = group_answers(meter, answers)

    assert sizes == [4, 4, 1]
    starts = [0, 4, 8]
    assert all(sent(answers[s : s + n]) <= four for s, n in zip(starts, sizes, strict=True))
    # One token less and four no longer fit: the count is exact, not an estimate with slack.
    assert group_answers(CombineMeter(QUESTION, ENCODING, allowed=four - 1), answers)[0] == 3


def test_the_meter_counts_the_prompt_the_client_sends() -> None:
    answers = [answer(i, 20) for i in range(3)]
    meter = CombineMeter(QUESTION, ENCODING, allowed=10**9)
    assert meter.prompt(answers) == sent(answers)
    blocks = sum(meter.block(a, followed=i < 2) for i, a in enumerate(answers))
    assert meter.fixed + blocks + meter.bounds(combine_bounds(answers)) == meter.prompt(answers)
    assert meter.fixed == sent([])  # no answers: nothing cited, the schema left open


def test_a_combine_schema_bounds_citations_to_what_its_answers_cite() -> None:
    answers = [answer(i, 5) for i in range(3)]
    schema = strict_json_schema(combine_schema(combine_bounds(answers)))
    citation = schema["$defs"]["CitationOut"]["properties"]
    assert citation["contract_id"]["enum"] == ["c0", "c1", "c2"]
    assert citation["clause_title"]["enum"] == ["Governing Law"]  # once, however many cite it
    assert json.dumps(schema, separators=(",", ":")) == combine_schema_text(combine_bounds(answers))
    assert combine_schema_text(combine_bounds([])) == combine_schema_text(OPEN)
    assert strict_json_schema(combine_schema(OPEN)) == strict_json_schema(CombineOut)


def test_everything_in_one_group_when_it_fits() -> None:
    answers = [answer(i, 10) for i in range(2)]
    assert group_answers(CombineMeter(QUESTION, ENCODING, allowed=sent(answers)), answers) == [2]
    assert group_answers(CombineMeter(QUESTION, ENCODING, allowed=sent(answers)), answers[:1]) == [1]


def test_an_answer_larger_than_the_budget_fails_naming_it_and_its_size() -> None:
    answers = [answer(0, 10), answer(1, 400), answer(2, 10)]
    allowed = sent(answers[:1]) + 50
    with pytest.raises(CombineTooLarge) as raised:
        group_answers(CombineMeter(QUESTION, ENCODING, allowed=allowed), answers, level=0)
    message = raised.value.message
    assert message.startswith("part 2 is too large to combine")
    assert f"needs {sent(answers[1:2])} tokens" in message and f"the {allowed} the model allows" in message


def test_a_combined_answer_too_large_is_named_by_its_round() -> None:
    answers = [answer(0, 400)]
    with pytest.raises(CombineTooLarge, match="combined answer 1 of round 2 is too large"):
        group_answers(CombineMeter(QUESTION, ENCODING, allowed=sent(answers) - 1), answers, level=2)


def test_answers_that_only_fit_alone_cannot_make_progress_and_fail() -> None:
    answers = [answer(i, 30) for i in range(3)]
    allowed = sent(answers[:2]) - 1  # each fits alone, no two together
    with pytest.raises(CombineTooLarge, match="no two answers of the parts fit one combine prompt"):
        group_answers(CombineMeter(QUESTION, ENCODING, allowed=allowed), answers)
