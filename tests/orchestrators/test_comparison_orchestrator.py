"""The comparison orchestrator driven as a plain generator with fake activities."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from activities import names
from orchestrators import retry_policies
from orchestrators.comparison import comparison_orchestration
from orchestrators.names import CANCEL_EVENT
from orchestrators.runner import FAN_OUT_WINDOW, StepFailed
from shared.models.jobs import JobRef
from tests.orchestrators.fake_context import FakeContext, drive

REF = JobRef(job_id="job-1", user_id="user-1").model_dump(mode="json")


def handlers(compared: int, **overrides: Any) -> dict[str, Any]:
    ids = [f"c{i}" for i in range(compared)]
    table: dict[str, Any] = {
        names.START_JOB: lambda p: {"job_type": "comparison", "job_status": "processing", "contract_ids": ids},
        names.RECORD_PROGRESS: lambda p: None,
        names.COMPARISON_RETRIEVE: lambda p: {"status": "ok"},
        names.COMPARISON_PROMPT: lambda p: {"status": "ok", "contract_ids": ids},
        names.COMPARISON_COMPARE: lambda p: {"status": "ok", "item": p["contract_id"], "counts": {"matched": 3}},
        names.COMPARISON_ENHANCE: lambda p: {"status": "ok", "contracts": compared},
        names.COMPARISON_SAVE: lambda p: {"status": "ok", "result_id": "res_job-1"},
        names.FINALIZE_JOB: lambda p: {"job_status": p["status"], "event_published": True},
    }
    table.update(overrides)
    return table


def names_called(ctx: FakeContext) -> list[str]:
    return [c.name for c in ctx.calls if c.name != names.RECORD_PROGRESS]


def percentages(ctx: FakeContext) -> list[int]:
    return [s["percentage"] for s in ctx.custom_statuses]


def finalize_payload(ctx: FakeContext) -> dict[str, Any]:
    (call,) = [c for c in ctx.calls if c.name == names.FINALIZE_JOB]
    return call.payload


def test_runs_every_step_in_order_and_completes() -> None:
    ctx = FakeContext(REF, handlers(4))
    output = drive(comparison_orchestration(ctx), ctx)

    assert output == {"job_id": "job-1", "status": "completed", "result_id": "res_job-1"}
    assert names_called(ctx) == [
        names.START_JOB,
        names.COMPARISON_RETRIEVE,
        names.COMPARISON_PROMPT,
        *[names.COMPARISON_COMPARE] * 4,
        names.COMPARISON_ENHANCE,
        names.COMPARISON_SAVE,
        names.FINALIZE_JOB,
    ]
    assert [c.payload["contract_id"] for c in ctx.calls if c.name == names.COMPARISON_COMPARE] == [
        "c0",
        "c1",
        "c2",
        "c3",
    ]
    final = finalize_payload(ctx)
    assert (final["status"], final["result_id"], final["error"]) == ("completed", "res_job-1", None)


def test_progress_follows_the_seed_percentages_and_is_mirrored() -> None:
    ctx = FakeContext(REF, handlers(4))
    drive(comparison_orchestration(ctx), ctx)

    assert percentages(ctx) == [10, 30, 50, 57, 65, 72, 80, 90, 100]
    steps = [s["current_step"] for s in ctx.custom_statuses]
    assert steps == ["retrieving_data", "generating_prompt", *["calling_llm"] * 4, "processing_results",
                     "saving_results", "completed"]  # fmt: skip
    assert ctx.custom_statuses[3]["message"] == "Comparing contract 2 of 4"
    assert (ctx.custom_statuses[3]["items_done"], ctx.custom_statuses[3]["items_total"]) == (1, 4)
    assert set(ctx.custom_statuses[0]) == {
        "job_id", "status", "current_step", "percentage", "message", "items_done", "items_total"
    }  # fmt: skip
    # Every status but the last is mirrored into the job document by the record-progress activity; the terminal
    # one travels with finalize.
    mirrored = [c.payload["progress"] for c in ctx.calls if c.name == names.RECORD_PROGRESS]
    assert mirrored == ctx.custom_statuses[:-1]
    assert finalize_payload(ctx)["progress"] == ctx.custom_statuses[-1]


def test_fan_out_keeps_a_bounded_window_in_flight() -> None:
    ctx = FakeContext(REF, handlers(20))
    drive(comparison_orchestration(ctx), ctx)

    compares = [c for c in ctx.calls if c.name == names.COMPARISON_COMPARE]
    assert len(compares) == 20
    # The window bounds the LLM calls; a refill starts alongside the progress mirror of the call that finished.
    assert ctx.max_in_flight_by_name[names.COMPARISON_COMPARE] == FAN_OUT_WINDOW
    assert ctx.max_in_flight == FAN_OUT_WINDOW + 1
    # The 9th call is scheduled only after the first one finished, together with its progress mirror.
    order = [c.name for c in ctx.calls]
    ninth = [i for i, n in enumerate(order) if n == names.COMPARISON_COMPARE][FAN_OUT_WINDOW]
    assert names.RECORD_PROGRESS in order[ninth - 1 : ninth]


def test_llm_calls_use_the_llm_retry_policy_and_storage_steps_the_storage_policy() -> None:
    ctx = FakeContext(REF, handlers(2))
    drive(comparison_orchestration(ctx), ctx)

    policy = {c.name: c.retry for c in ctx.calls}
    assert policy[names.COMPARISON_COMPARE] is retry_policies.LLM_CALL
    assert policy[names.COMPARISON_RETRIEVE] is retry_policies.STORAGE_STEP
    assert policy[names.FINALIZE_JOB] is retry_policies.JOB_BOOKKEEPING


def test_cancel_event_stops_scheduling_and_ends_cancelled() -> None:
    ctx = FakeContext(REF, handlers(20))
    done = {"n": 0}

    def compare(payload: dict[str, Any]) -> dict[str, Any]:
        done["n"] += 1
        if done["n"] == 3:
            ctx.raise_event(CANCEL_EVENT)
        return {"status": "ok", "item": payload["contract_id"]}

    ctx.handlers[names.COMPARISON_COMPARE] = compare
    output = drive(comparison_orchestration(ctx), ctx)

    assert output["status"] == "cancelled"
    assert output["result_id"] is None
    # The first window, plus one refill per finished call (the cancel came with the 3rd): never all 20.
    assert len([c for c in ctx.calls if c.name == names.COMPARISON_COMPARE]) == FAN_OUT_WINDOW + 3
    assert names.COMPARISON_ENHANCE not in names_called(ctx)
    assert names.COMPARISON_SAVE not in names_called(ctx)
    assert finalize_payload(ctx)["status"] == "cancelled"
    assert ctx.custom_statuses[-1]["status"] == "cancelled"
    assert ctx.custom_statuses[-1]["message"] == "Cancelled"


def test_activity_that_finds_the_job_cancelled_ends_the_job_cancelled() -> None:
    skipped = {"status": "skipped", "note": "skipped: cancelled", "item": "c0"}
    ctx = FakeContext(REF, handlers(3, **{names.COMPARISON_COMPARE: lambda p: skipped}))
    output = drive(comparison_orchestration(ctx), ctx)

    assert output["status"] == "cancelled"
    assert finalize_payload(ctx)["status"] == "cancelled"


def test_cancelled_before_start_runs_no_step() -> None:
    started = {"job_type": "comparison", "job_status": "cancelled"}
    ctx = FakeContext(REF, handlers(3, **{names.START_JOB: lambda p: started}))
    output = drive(comparison_orchestration(ctx), ctx)

    assert output["status"] == "cancelled"
    assert names_called(ctx) == [names.START_JOB, names.FINALIZE_JOB]


def test_cancel_during_a_single_step_stops_at_once() -> None:
    ctx = FakeContext(REF, handlers(3))

    def retrieve(payload: dict[str, Any]) -> dict[str, Any]:
        return {"status": "ok"}

    ctx.handlers[names.COMPARISON_RETRIEVE] = retrieve
    ctx.raise_event(CANCEL_EVENT)  # arrives before the retrieve finishes: the race goes to the cancel
    output = drive(comparison_orchestration(ctx), ctx)

    assert output["status"] == "cancelled"
    assert names.COMPARISON_PROMPT not in names_called(ctx)


def test_permanent_llm_failure_fails_the_job_with_details_and_fails_the_instance() -> None:
    error = {"step": "calling_llm", "type": "llm_rejected", "message": "LLM rejected the request (400): bad input"}
    ctx = FakeContext(REF, handlers(5, **{names.COMPARISON_COMPARE: lambda p: {"status": "error", "error": error}}))

    with pytest.raises(StepFailed, match="LLM rejected the request"):
        drive(comparison_orchestration(ctx), ctx)

    final = finalize_payload(ctx)
    assert final["status"] == "failed"
    assert final["error"] == error
    assert ctx.custom_statuses[-1]["status"] == "failed"
    assert ctx.custom_statuses[-1]["current_step"] == "calling_llm"
    assert names.COMPARISON_SAVE not in names_called(ctx)


def test_exhausted_retries_fail_the_job_naming_the_step() -> None:
    def compare(payload: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("Azure OpenAI returned 503 five times \n Traceback ...\nLLMTransientError: 503")

    ctx = FakeContext(REF, handlers(3, **{names.COMPARISON_COMPARE: compare}))
    with pytest.raises(RuntimeError, match="503"):
        drive(comparison_orchestration(ctx), ctx)

    error = finalize_payload(ctx)["error"]
    assert error["step"] == "calling_llm"
    assert error["type"] == "llm_unavailable"
    assert error["message"] == "LLM unavailable after retries: Azure OpenAI returned 503 five times"


def test_deleted_contract_fails_the_job_clearly() -> None:
    message = "Contract deleted: contracts no longer exist (deleted after the job was submitted): c1"
    error = {"step": "retrieving_data", "type": "contracts_missing", "message": message}
    ctx = FakeContext(REF, handlers(3, **{names.COMPARISON_RETRIEVE: lambda p: {"status": "error", "error": error}}))
    with pytest.raises(StepFailed):
        drive(comparison_orchestration(ctx), ctx)

    assert finalize_payload(ctx)["error"]["type"] == "contracts_missing"
    assert names_called(ctx) == [names.START_JOB, names.COMPARISON_RETRIEVE, names.FINALIZE_JOB]


def test_progress_mirror_failure_does_not_fail_the_job() -> None:
    def record(payload: dict[str, Any]) -> None:
        raise RuntimeError("store throttled")

    ctx = FakeContext(REF, handlers(2, **{names.RECORD_PROGRESS: record}))
    assert drive(comparison_orchestration(ctx), ctx)["status"] == "completed"


def test_invalid_input_is_rejected_before_any_activity() -> None:
    ctx = FakeContext({"job_id": "", "user_id": "u"}, handlers(1))
    with pytest.raises(ValidationError):
        drive(comparison_orchestration(ctx), ctx)
    assert ctx.calls == []


def test_a_cancel_that_raced_the_save_is_reported_as_cancelled() -> None:
    finalized = {"job_status": "cancelled", "event_published": True}
    ctx = FakeContext(REF, handlers(2, **{names.FINALIZE_JOB: lambda p: finalized}))
    assert drive(comparison_orchestration(ctx), ctx) == {"job_id": "job-1", "status": "cancelled", "result_id": None}
