"""The query orchestrator driven as a plain generator with fake activities."""

from __future__ import annotations

from typing import Any

import pytest

from activities import names
from orchestrators import retry_policies
from orchestrators.names import CANCEL_EVENT
from orchestrators.query import RETRIEVE_CHUNK, query_orchestration
from orchestrators.runner import StepFailed
from shared.models.jobs import JobRef
from tests.orchestrators.fake_context import FakeContext, drive

REF = JobRef(job_id="job-q", user_id="user-1").model_dump(mode="json")


def groups_of(count: int, size: int) -> list[int]:
    """What the grouping activity answers when `size` answers fill a combine prompt."""
    return [min(size, count - first) for first in range(0, count, size)]


def handlers(contracts: int, parts: int, **overrides: Any) -> dict[str, Any]:
    ids = [f"c{i}" for i in range(contracts)]
    table: dict[str, Any] = {
        names.START_JOB: lambda p: {"job_type": "query", "job_status": "processing", "contract_ids": ids},
        names.RECORD_PROGRESS: lambda p: None,
        names.QUERY_RETRIEVE: lambda p: {
            "contracts": [{"contract_id": c, "title": c, "tokens": 100, "clauses": 3} for c in p["contract_ids"]]
        },
        names.QUERY_PLAN: lambda p: {"parts": parts, "budget_tokens": 1000, "part_tokens": [900] * parts},
        names.QUERY_ANSWER_PART: lambda p: {"item": f"part {p['part_index'] + 1}", "counts": {"citations": 2}},
        names.QUERY_GROUP: lambda p: {"groups": groups_of(p["count"], 4)},
        names.QUERY_COMBINE: lambda p: {"citations": 3, "llm_call": p["count"] > 1},
        names.QUERY_FINISH: lambda p: {"citations": 3, "rounds": len(p["levels"]) - 1},
        names.QUERY_SAVE: lambda p: {"result_id": "res_job-q"},
        names.FINALIZE_JOB: lambda p: {"job_status": p["status"], "event_published": True},
    }
    table.update(overrides)
    return table


def test_retrieve_plan_map_combine_save() -> None:
    ctx = FakeContext(REF, handlers(25, 3))
    output = drive(query_orchestration(ctx), ctx)

    assert output == {"job_id": "job-q", "status": "completed", "result_id": "res_job-q"}
    called = [c.name for c in ctx.calls if c.name != names.RECORD_PROGRESS]
    assert called == [
        names.START_JOB,
        *[names.QUERY_RETRIEVE] * 3,
        names.QUERY_PLAN,
        *[names.QUERY_ANSWER_PART] * 3,
        names.QUERY_GROUP,
        names.QUERY_COMBINE,
        names.QUERY_FINISH,
        names.QUERY_SAVE,
        names.FINALIZE_JOB,
    ]
    chunks = [c.payload["contract_ids"] for c in ctx.calls if c.name == names.QUERY_RETRIEVE]
    assert [len(c) for c in chunks] == [RETRIEVE_CHUNK, RETRIEVE_CHUNK, 5]
    assert [cid for chunk in chunks for cid in chunk] == [f"c{i}" for i in range(25)]
    parts = [c.payload["part_index"] for c in ctx.calls if c.name == names.QUERY_ANSWER_PART]
    assert parts == [0, 1, 2]


def test_progress_rises_10_to_30_by_contracts_read_then_35_50_to_80_90_100() -> None:
    ctx = FakeContext(REF, handlers(25, 3))
    drive(query_orchestration(ctx), ctx)

    pct = [s["percentage"] for s in ctx.custom_statuses]
    # 10 read of 25 -> 18, 20 of 25 -> 26; the last chunk's 30 is implied by the plan step (35).
    assert pct == [10, 18, 26, 35, 50, 60, 70, 80, 90, 100]
    assert ctx.custom_statuses[1]["items_done"] == 10
    assert ctx.custom_statuses[1]["message"] == "Read 10 of 25 contracts"
    assert ctx.custom_statuses[5]["message"] == "Answering part 2 of 3"
    assert ctx.custom_statuses[7]["message"] == "Combining the answers of 3 parts"


def test_combine_runs_under_the_llm_policy() -> None:
    ctx = FakeContext(REF, handlers(3, 2))
    drive(query_orchestration(ctx), ctx)
    policy = {c.name: c.retry for c in ctx.calls}
    assert policy[names.QUERY_ANSWER_PART] is retry_policies.LLM_CALL
    assert policy[names.QUERY_COMBINE] is retry_policies.LLM_CALL
    assert policy[names.QUERY_GROUP] is retry_policies.STORAGE_STEP
    assert policy[names.QUERY_FINISH] is retry_policies.STORAGE_STEP
    assert policy[names.QUERY_RETRIEVE] is retry_policies.STORAGE_STEP


def test_cancel_while_answering_ends_cancelled_without_combining() -> None:
    ctx = FakeContext(REF, handlers(3, 12))

    def answer(payload: dict[str, Any]) -> dict[str, Any]:
        if payload["part_index"] == 1:
            ctx.raise_event(CANCEL_EVENT)
        return {"item": "part"}

    ctx.handlers[names.QUERY_ANSWER_PART] = answer
    output = drive(query_orchestration(ctx), ctx)

    assert output["status"] == "cancelled"
    called = [c.name for c in ctx.calls]
    assert names.QUERY_COMBINE not in called
    assert called.count(names.QUERY_ANSWER_PART) < 12


def test_invalid_model_output_fails_the_job() -> None:
    error = {"step": "calling_llm", "type": "llm_invalid_output", "message": "LLM returned invalid output: twice"}
    ctx = FakeContext(REF, handlers(3, 2, **{names.QUERY_ANSWER_PART: lambda p: {"status": "error", "error": error}}))
    with pytest.raises(StepFailed):
        drive(query_orchestration(ctx), ctx)
    (final,) = [c.payload for c in ctx.calls if c.name == names.FINALIZE_JOB]
    assert (final["status"], final["error"]) == ("failed", error)


def combine_rounds(ctx: FakeContext) -> list[list[tuple[int, int, int]]]:
    """The combine calls per round: (index, first, count) of each group."""
    rounds: dict[int, list[tuple[int, int, int]]] = {}
    for c in ctx.calls:
        if c.name == names.QUERY_COMBINE:
            p = c.payload
            rounds.setdefault(p["level"], []).append((p["index"], p["first"], p["count"]))
    return [rounds[level] for level in sorted(rounds)]


def test_a_single_part_needs_no_grouping_and_no_combine_call() -> None:
    ctx = FakeContext(REF, handlers(3, 1))
    drive(query_orchestration(ctx), ctx)

    called = [c.name for c in ctx.calls]
    assert names.QUERY_GROUP not in called and names.QUERY_COMBINE not in called
    (finish,) = [c.payload for c in ctx.calls if c.name == names.QUERY_FINISH]
    assert finish["levels"] == [1]
    assert ctx.custom_statuses[-3]["message"] == "Checking the answer"


def test_two_parts_are_combined_in_one_call() -> None:
    ctx = FakeContext(REF, handlers(3, 2))
    drive(query_orchestration(ctx), ctx)

    assert combine_rounds(ctx) == [[(0, 0, 2)]]
    (finish,) = [c.payload for c in ctx.calls if c.name == names.QUERY_FINISH]
    assert finish["levels"] == [2, 1]


def test_nine_parts_over_a_four_answer_budget_reduce_in_two_rounds() -> None:
    ctx = FakeContext(REF, handlers(30, 9))
    drive(query_orchestration(ctx), ctx)

    # Round 1: 9 answers in groups of 4, 4, 1; round 2: the 3 combined answers in one group.
    assert combine_rounds(ctx) == [[(0, 0, 4), (1, 4, 4), (2, 8, 1)], [(0, 0, 3)]]
    grouped = [(c.payload["level"], c.payload["count"]) for c in ctx.calls if c.name == names.QUERY_GROUP]
    assert grouped == [(0, 9), (1, 3)]
    (finish,) = [c.payload for c in ctx.calls if c.name == names.QUERY_FINISH]
    assert finish["levels"] == [9, 3, 1]
    called = [c.name for c in ctx.calls if c.name != names.RECORD_PROGRESS]
    assert called.index(names.QUERY_FINISH) == called.index(names.QUERY_SAVE) - 1


def test_combine_rounds_report_at_80_with_answers_combined_as_items() -> None:
    ctx = FakeContext(REF, handlers(30, 9))
    drive(query_orchestration(ctx), ctx)

    combining = [s for s in ctx.custom_statuses if s["current_step"] == "processing_results"]
    assert {s["percentage"] for s in combining} == {80}
    assert [(s["message"], s["items_done"], s["items_total"]) for s in combining] == [
        ("Combining the answers of 9 parts", 0, 9),
        ("Combining the answers of 9 parts: 4 done", 4, 9),
        ("Combining the answers of 9 parts: 8 done", 8, 9),
        ("Combining 3 partial answers (round 2)", 0, 3),
    ]
    assert [s["percentage"] for s in ctx.custom_statuses][-2:] == [90, 100]


def test_combine_calls_of_a_round_run_in_parallel() -> None:
    ctx = FakeContext(REF, handlers(30, 40))
    drive(query_orchestration(ctx), ctx)

    assert [len(r) for r in combine_rounds(ctx)] == [10, 3, 1]
    assert ctx.max_in_flight_by_name[names.QUERY_COMBINE] > 1


def test_an_answer_too_large_to_combine_fails_the_job_naming_it() -> None:
    error = {
        "step": "processing_results",
        "type": "combine_too_large",
        "message": "part 2 is too large to combine: its combine prompt needs 5000 tokens",
    }
    ctx = FakeContext(REF, handlers(3, 3, **{names.QUERY_GROUP: lambda p: {"status": "error", "error": error}}))
    with pytest.raises(StepFailed):
        drive(query_orchestration(ctx), ctx)

    assert names.QUERY_COMBINE not in [c.name for c in ctx.calls]
    (final,) = [c.payload for c in ctx.calls if c.name == names.FINALIZE_JOB]
    assert (final["status"], final["error"]) == ("failed", error)
