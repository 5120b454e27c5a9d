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
        names.QUERY_COMBINE: lambda p: {"citations": 3, "llm_call": parts > 1},
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
        names.QUERY_COMBINE,
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
