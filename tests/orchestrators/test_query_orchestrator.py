"""The query orchestrator driven as a plain generator with fake activities."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrators import retry_policies
from orchestrators.job_run import StepFailed
from orchestrators.query import RETRIEVE_CHUNK, query_orchestration
from shared.jobs import names as job_names
from shared.jobs.models import JobRef
from shared.jobs.names import CANCEL_EVENT
from shared.query import names as query_names
from tests.orchestrators.fake_context import FakeContext, drive

REF = JobRef(job_id="job-q", user_id="user-1").model_dump(mode="json")


def groups_of(count: int, size: int) -> list[int]:
    """What the grouping activity answers when `size` answers fill a combine prompt."""
    return [min(size, count - first) for first in range(0, count, size)]


def handlers(contracts: int, parts: int, **overrides: Any) -> dict[str, Any]:
    ids = [f"c{i}" for i in range(contracts)]
    table: dict[str, Any] = {
        job_names.START_JOB: lambda p: {"job_type": "query", "job_status": "processing", "contract_ids": ids},
        query_names.RETRIEVE: lambda p: {},
        query_names.PLAN: lambda p: {"parts": parts},
        query_names.ANSWER_PART: lambda p: {},
        query_names.GROUP: lambda p: {"groups": groups_of(p["count"], 4)},
        query_names.COMBINE: lambda p: {},
        query_names.FINISH: lambda p: {},
        query_names.SAVE: lambda p: {"result_id": "res_job-q"},
        job_names.FINALIZE_JOB: lambda p: {
            "job_status": p["status"],
            "event_published": True,
            "progress": {"current_step": "completed", "percentage": 100, "message": "done", "seq": 99},
        },
    }
    table.update(overrides)
    return table


def test_retrieve_plan_map_combine_save() -> None:
    ctx = FakeContext(REF, handlers(25, 3))
    output = drive(query_orchestration(ctx), ctx)

    assert output == {"job_id": "job-q", "status": "completed", "result_id": "res_job-q"}
    called = [c.name for c in ctx.calls]
    assert called == [
        job_names.START_JOB,
        *[query_names.RETRIEVE] * 3,
        query_names.PLAN,
        *[query_names.ANSWER_PART] * 3,
        query_names.GROUP,
        query_names.COMBINE,
        query_names.FINISH,
        query_names.SAVE,
        job_names.FINALIZE_JOB,
    ]
    chunks = [c.payload["contract_ids"] for c in ctx.calls if c.name == query_names.RETRIEVE]
    assert [len(c) for c in chunks] == [RETRIEVE_CHUNK, RETRIEVE_CHUNK, 5]
    assert [cid for chunk in chunks for cid in chunk] == [f"c{i}" for i in range(25)]
    parts = [c.payload["part_index"] for c in ctx.calls if c.name == query_names.ANSWER_PART]
    assert parts == [0, 1, 2]


def test_every_retrieve_chunk_knows_the_size_of_the_whole_set() -> None:
    ctx = FakeContext(REF, handlers(25, 3))
    drive(query_orchestration(ctx), ctx)
    assert {c.payload["total"] for c in ctx.calls if c.name == query_names.RETRIEVE} == {25}


def test_combine_runs_under_the_llm_policy() -> None:
    ctx = FakeContext(REF, handlers(3, 2))
    drive(query_orchestration(ctx), ctx)
    policy = {c.name: c.retry for c in ctx.calls}
    assert policy[query_names.ANSWER_PART] is None  # a fan-out call: LLM_CALL applied by fan_out itself
    assert policy[query_names.COMBINE] is None  # a fan-out call: LLM_CALL applied by fan_out itself
    assert policy[query_names.GROUP] is retry_policies.STORAGE_STEP.raised
    assert policy[query_names.FINISH] is retry_policies.STORAGE_STEP.raised
    assert policy[query_names.RETRIEVE] is None  # a fan-out call: STORAGE_STEP applied by fan_out itself


def test_cancel_while_answering_ends_cancelled_without_combining() -> None:
    ctx = FakeContext(REF, handlers(3, 12))

    def answer(payload: dict[str, Any]) -> dict[str, Any]:
        if payload["part_index"] == 1:
            ctx.raise_event(CANCEL_EVENT)
        return {}

    ctx.handlers[query_names.ANSWER_PART] = answer
    output = drive(query_orchestration(ctx), ctx)

    assert output["status"] == "cancelled"
    called = [c.name for c in ctx.calls]
    assert query_names.COMBINE not in called
    assert called.count(query_names.ANSWER_PART) < 12


def test_invalid_model_output_fails_the_job() -> None:
    error = {"step": "calling_llm", "type": "llm_invalid_output", "message": "LLM returned invalid output: twice"}
    ctx = FakeContext(REF, handlers(3, 2, **{query_names.ANSWER_PART: lambda p: {"status": "error", "error": error}}))
    with pytest.raises(StepFailed):
        drive(query_orchestration(ctx), ctx)
    (final,) = [c.payload for c in ctx.calls if c.name == job_names.FINALIZE_JOB]
    assert (final["status"], final["error"]) == ("failed", error)


def combine_rounds(ctx: FakeContext) -> list[list[tuple[int, int, int]]]:
    """The combine calls per round: (index, first, count) of each group."""
    rounds: dict[int, list[tuple[int, int, int]]] = {}
    for c in ctx.calls:
        if c.name == query_names.COMBINE:
            p = c.payload
            rounds.setdefault(p["level"], []).append((p["index"], p["first"], p["count"]))
    return [rounds[level] for level in sorted(rounds)]


def test_a_single_part_needs_no_grouping_and_no_combine_call() -> None:
    ctx = FakeContext(REF, handlers(3, 1))
    drive(query_orchestration(ctx), ctx)

    called = [c.name for c in ctx.calls]
    assert query_names.GROUP not in called and query_names.COMBINE not in called
    (finish,) = [c.payload for c in ctx.calls if c.name == query_names.FINISH]
    assert finish["levels"] == [1]


def test_two_parts_are_combined_in_one_call() -> None:
    ctx = FakeContext(REF, handlers(3, 2))
    drive(query_orchestration(ctx), ctx)

    assert combine_rounds(ctx) == [[(0, 0, 2)]]
    (finish,) = [c.payload for c in ctx.calls if c.name == query_names.FINISH]
    assert finish["levels"] == [2, 1]


def test_nine_parts_over_a_four_answer_budget_reduce_in_two_rounds() -> None:
    ctx = FakeContext(REF, handlers(30, 9))
    drive(query_orchestration(ctx), ctx)

    # Round 1: 9 answers in groups of 4, 4, 1; round 2: the 3 combined answers in one group.
    assert combine_rounds(ctx) == [[(0, 0, 4), (1, 4, 4), (2, 8, 1)], [(0, 0, 3)]]
    grouped = [(c.payload["level"], c.payload["count"]) for c in ctx.calls if c.name == query_names.GROUP]
    assert grouped == [(0, 9), (1, 3)]
    (finish,) = [c.payload for c in ctx.calls if c.name == query_names.FINISH]
    assert finish["levels"] == [9, 3, 1]
    called = [c.name for c in ctx.calls]
    assert called.index(query_names.FINISH) == called.index(query_names.SAVE) - 1


def test_every_combine_knows_how_many_answers_its_round_combines() -> None:
    ctx = FakeContext(REF, handlers(30, 9))
    drive(query_orchestration(ctx), ctx)

    totals = [(c.payload["level"], c.payload["round_total"]) for c in ctx.calls if c.name == query_names.COMBINE]
    assert totals == [(1, 9), (1, 9), (1, 9), (2, 3)]


def test_combine_calls_of_a_round_run_in_parallel() -> None:
    ctx = FakeContext(REF, handlers(30, 40))
    drive(query_orchestration(ctx), ctx)

    assert [len(r) for r in combine_rounds(ctx)] == [10, 3, 1]
    assert ctx.max_in_flight_by_name[query_names.COMBINE] > 1


def test_an_answer_too_large_to_combine_fails_the_job_naming_it() -> None:
    error = {
        "step": "processing_results",
        "type": "combine_too_large",
        "message": "part 2 is too large to combine: its combine prompt needs 5000 tokens",
    }
    ctx = FakeContext(REF, handlers(3, 3, **{query_names.GROUP: lambda p: {"status": "error", "error": error}}))
    with pytest.raises(StepFailed):
        drive(query_orchestration(ctx), ctx)

    assert query_names.COMBINE not in [c.name for c in ctx.calls]
    (final,) = [c.payload for c in ctx.calls if c.name == job_names.FINALIZE_JOB]
    assert (final["status"], final["error"]) == ("failed", error)
