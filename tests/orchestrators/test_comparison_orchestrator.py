"""The comparison orchestrator driven as a plain generator with fake activities."""

from __future__ import annotations

from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from pydantic import ValidationError

from orchestrators import retry_policies
from orchestrators.comparison import comparison_orchestration
from orchestrators.fan_out import FAN_OUT_WINDOW
from orchestrators.job_run import StepFailed
from shared.comparison import names as comparison_names
from shared.jobs import names as job_names
from shared.jobs.models import JobRef
from shared.jobs.names import CANCEL_EVENT
from tests.orchestrators.fake_context import FakeContext, drive

REF = JobRef(job_id="job-1", user_id="user-1").model_dump(mode="json")


def recorded(seq: int, percentage: int, message: str = "", step: str = "calling_llm") -> dict[str, Any]:
    """What an activity returns as the progress it recorded on the job."""
    return {"current_step": step, "percentage": percentage, "message": message, "seq": seq}


def handlers(compared: int, **overrides: Any) -> dict[str, Any]:
    ids = [f"c{i}" for i in range(compared)]
    seqs = count(2)
    table: dict[str, Any] = {
        job_names.START_JOB: lambda p: {
            "job_type": "comparison",
            "job_status": "processing",
            "contract_ids": ids,
            "progress": recorded(1, 10, "Retrieving", "retrieving_data"),
        },
        comparison_names.RETRIEVE: lambda p: {"progress": recorded(next(seqs), 30, "Preparing", "generating_prompt")},
        comparison_names.PROMPT: lambda p: {"progress": recorded(next(seqs), 50, "Comparing contract 1")},
        comparison_names.COMPARE: lambda p: {"progress": recorded(next(seqs), 60, p["contract_id"])},
        comparison_names.ENHANCE: lambda p: {"progress": recorded(next(seqs), 90, "Saving", "saving_results")},
        comparison_names.SAVE: lambda p: {"result_id": "res_job-1"},
        job_names.FINALIZE_JOB: lambda p: {
            "job_status": p["status"],
            "event_published": True,
            "progress": recorded(next(seqs), 100, f"ended {p['status']}", "completed"),
        },
    }
    table.update(overrides)
    return table


def names_called(ctx: FakeContext) -> list[str]:
    return [c.name for c in ctx.calls]


def finalize_payload(ctx: FakeContext) -> dict[str, Any]:
    (call,) = [c for c in ctx.calls if c.name == job_names.FINALIZE_JOB]
    return call.payload


def test_runs_every_step_in_order_and_completes() -> None:
    ctx = FakeContext(REF, handlers(4))
    output = drive(comparison_orchestration(ctx), ctx)

    assert output == {"job_id": "job-1", "status": "completed", "result_id": "res_job-1"}
    assert names_called(ctx) == [
        job_names.START_JOB,
        comparison_names.RETRIEVE,
        comparison_names.PROMPT,
        *[comparison_names.COMPARE] * 4,
        comparison_names.ENHANCE,
        comparison_names.SAVE,
        job_names.FINALIZE_JOB,
    ]
    compares = [c.payload for c in ctx.calls if c.name == comparison_names.COMPARE]
    assert [p["contract_id"] for p in compares] == ["c0", "c1", "c2", "c3"]
    assert all(p["items_total"] == 4 for p in compares)
    final = finalize_payload(ctx)
    assert (final["status"], final["result_id"], final.get("error")) == ("completed", "res_job-1", None)


def test_n_contracts_take_n_plus_6_activity_calls_and_no_progress_only_calls() -> None:
    ctx = FakeContext(REF, handlers(10))
    drive(comparison_orchestration(ctx), ctx)
    assert len(ctx.calls) == 10 + 6


def test_custom_status_is_the_progress_the_activities_recorded_newest_seq_first() -> None:
    late = iter([recorded(5, 60, "c0 (seq 5)"), recorded(4, 55, "c1 (seq 4: arrived after 5)")])
    overrides = {
        comparison_names.COMPARE: lambda p: {"progress": next(late)},
        comparison_names.ENHANCE: lambda p: {"progress": recorded(6, 90, "Saving", "saving_results")},
        job_names.FINALIZE_JOB: lambda p: {
            "job_status": "completed",
            "event_published": True,
            "progress": recorded(7, 100, "ended completed", "completed"),
        },
    }
    ctx = FakeContext(REF, handlers(2, **overrides))
    drive(comparison_orchestration(ctx), ctx)

    shown = [(s["seq"], s["message"]) for s in ctx.custom_statuses]
    assert shown == [
        (1, "Retrieving"),
        (2, "Preparing"),
        (3, "Comparing contract 1"),
        (5, "c0 (seq 5)"),  # the older report that came back later is not shown: progress never goes back
        (6, "Saving"),
        (7, "ended completed"),
    ]
    assert set(ctx.custom_statuses[0]) >= {"current_step", "percentage", "message", "items_done", "items_total"}


def test_fan_out_keeps_a_bounded_window_in_flight() -> None:
    ctx = FakeContext(REF, handlers(20))
    drive(comparison_orchestration(ctx), ctx)

    compares = [c for c in ctx.calls if c.name == comparison_names.COMPARE]
    assert len(compares) == 20
    assert ctx.max_in_flight_by_name[comparison_names.COMPARE] == FAN_OUT_WINDOW
    assert ctx.max_in_flight == FAN_OUT_WINDOW
    # Each refill is handed over with a timer cancelled as it is made, so the shim never waits on the new call and
    # nothing waits on the timer (see fan_out): no durable wait at all.
    assert ctx.timers == []
    assert len(ctx.cancelled_timers) == 20 - FAN_OUT_WINDOW


def test_llm_calls_use_the_llm_policy_and_storage_steps_the_storage_policy() -> None:
    ctx = FakeContext(REF, handlers(2))
    drive(comparison_orchestration(ctx), ctx)

    policy = {c.name: c.retry for c in ctx.calls}
    assert policy[comparison_names.COMPARE] is None  # a fan-out call: LLM_CALL applied by fan_out itself
    assert policy[comparison_names.RETRIEVE] is retry_policies.STORAGE_STEP.raised
    assert policy[job_names.FINALIZE_JOB] is retry_policies.JOB_BOOKKEEPING


def test_a_model_that_asks_to_come_back_later_is_called_again_after_a_durable_timer() -> None:
    replies = iter(
        [
            {
                "status": "retry",
                "retry_after_ms": 90_000,
                "error": {"step": "calling_llm", "message": "429", "type": "llm_unavailable"},
            },
        ]
    )

    def compare(payload: dict[str, Any]) -> dict[str, Any]:
        return next(replies, {"progress": recorded(9, 80, "done")})

    ctx = FakeContext(REF, handlers(1, **{comparison_names.COMPARE: compare}))
    output = drive(comparison_orchestration(ctx), ctx)

    assert output["status"] == "completed"
    assert [c.name for c in ctx.calls].count(comparison_names.COMPARE) == 2
    # The model's retry-after (90 s) is longer than the plan's first wait (30 s): the timer honours it.
    (wait,) = [t for t in ctx.timers if t != ctx.current_utc_datetime]
    assert (wait - ctx.current_utc_datetime).total_seconds() == 90


def test_a_model_unavailable_past_every_retry_fails_the_job_naming_it() -> None:
    error = {
        "step": "calling_llm",
        "message": "LLM unavailable: model 'gpt-4o' still failing",
        "type": "llm_unavailable",
    }
    retry = {"status": "retry", "error": error}
    ctx = FakeContext(REF, handlers(1, **{comparison_names.COMPARE: lambda p: retry}))

    with pytest.raises(StepFailed, match="LLM unavailable"):
        drive(comparison_orchestration(ctx), ctx)

    plan = retry_policies.LLM_CALL.transient
    assert plan is not None
    assert [c.name for c in ctx.calls].count(comparison_names.COMPARE) == plan.attempts
    final = finalize_payload(ctx)["error"]
    assert final["type"] == "llm_unavailable"
    assert final["message"] == f"{error['message']} (after {plan.attempts} attempts)"


def test_cancel_event_stops_scheduling_and_ends_cancelled() -> None:
    ctx = FakeContext(REF, handlers(20))
    done = {"n": 0}

    def compare(payload: dict[str, Any]) -> dict[str, Any]:
        done["n"] += 1
        if done["n"] == 3:
            ctx.raise_event(CANCEL_EVENT)
        return {}

    ctx.handlers[comparison_names.COMPARE] = compare
    output = drive(comparison_orchestration(ctx), ctx)

    assert output["status"] == "cancelled"
    assert output["result_id"] is None
    # The first window, plus one refill per finished call (the cancel came with the 3rd): never all 20.
    assert len([c for c in ctx.calls if c.name == comparison_names.COMPARE]) == FAN_OUT_WINDOW + 3
    assert comparison_names.ENHANCE not in names_called(ctx)
    assert comparison_names.SAVE not in names_called(ctx)
    assert finalize_payload(ctx)["status"] == "cancelled"
    assert ctx.custom_statuses[-1]["message"] == "ended cancelled"


def test_activity_that_finds_the_job_cancelled_ends_the_job_cancelled() -> None:
    ctx = FakeContext(REF, handlers(3, **{comparison_names.COMPARE: lambda p: {"status": "skipped"}}))
    output = drive(comparison_orchestration(ctx), ctx)

    assert output["status"] == "cancelled"
    assert finalize_payload(ctx)["status"] == "cancelled"


def test_cancelled_before_start_runs_no_step() -> None:
    started = {"job_type": "comparison", "job_status": "cancelled"}
    ctx = FakeContext(REF, handlers(3, **{job_names.START_JOB: lambda p: started}))
    output = drive(comparison_orchestration(ctx), ctx)

    assert output["status"] == "cancelled"
    assert names_called(ctx) == [job_names.START_JOB, job_names.FINALIZE_JOB]


def test_cancel_during_a_single_step_stops_at_once() -> None:
    ctx = FakeContext(REF, handlers(3))
    ctx.raise_event(CANCEL_EVENT)  # arrives before the retrieve finishes: the race goes to the cancel
    output = drive(comparison_orchestration(ctx), ctx)

    assert output["status"] == "cancelled"
    assert comparison_names.PROMPT not in names_called(ctx)


def test_permanent_llm_failure_fails_the_job_with_details_and_fails_the_instance() -> None:
    error = {"step": "calling_llm", "type": "llm_rejected", "message": "LLM rejected the request (400): bad input"}
    ctx = FakeContext(REF, handlers(5, **{comparison_names.COMPARE: lambda p: {"status": "error", "error": error}}))

    with pytest.raises(StepFailed, match="LLM rejected the request"):
        drive(comparison_orchestration(ctx), ctx)

    final = finalize_payload(ctx)
    assert final["status"] == "failed"
    assert final["error"] == error
    assert comparison_names.SAVE not in names_called(ctx)


def test_an_activity_that_keeps_raising_fails_the_job_plainly_and_logs_why(caplog: pytest.LogCaptureFixture) -> None:
    def compare(payload: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("Cosmos DB https://acct.documents.azure.com timed out \n Traceback ...\nServiceRequestError")

    ctx = FakeContext(REF, handlers(3, **{comparison_names.COMPARE: compare}))
    with caplog.at_level("ERROR", logger="orchestrators.job_run"), pytest.raises(RuntimeError, match="timed out"):
        drive(comparison_orchestration(ctx), ctx)

    error = finalize_payload(ctx)["error"]
    assert error["step"] == "calling_llm"
    assert error["type"] == "step_failed"
    # The user reads a plain message; the exception's text (a host name here) is in the log with the job id.
    assert error["message"] == "calling_llm failed after retries: an unexpected error (logged with the job id)"
    [logged] = [r.getMessage() for r in caplog.records if r.name == "orchestrators.job_run"]
    assert REF["job_id"] in logged and "acct.documents.azure.com timed out" in logged and "Traceback" not in logged


def test_deleted_contract_fails_the_job_clearly() -> None:
    message = "Contract deleted: contracts no longer exist (deleted after the job was submitted): c1"
    error = {"step": "retrieving_data", "type": "contracts_missing", "message": message}
    ctx = FakeContext(REF, handlers(3, **{comparison_names.RETRIEVE: lambda p: {"status": "error", "error": error}}))
    with pytest.raises(StepFailed):
        drive(comparison_orchestration(ctx), ctx)

    assert finalize_payload(ctx)["error"]["type"] == "contracts_missing"
    assert names_called(ctx) == [job_names.START_JOB, comparison_names.RETRIEVE, job_names.FINALIZE_JOB]


def test_invalid_input_is_rejected_before_any_activity() -> None:
    ctx = FakeContext({"job_id": "", "user_id": "u"}, handlers(1))
    with pytest.raises(ValidationError):
        drive(comparison_orchestration(ctx), ctx)
    assert ctx.calls == []


def test_a_cancel_that_raced_the_save_is_reported_as_cancelled() -> None:
    finalized = {"job_status": "cancelled", "event_published": True, "progress": recorded(50, 90, "Cancelled")}
    ctx = FakeContext(REF, handlers(2, **{job_names.FINALIZE_JOB: lambda p: finalized}))
    assert drive(comparison_orchestration(ctx), ctx) == {"job_id": "job-1", "status": "cancelled", "result_id": None}


def test_a_fan_out_call_that_raised_is_called_again_after_the_policys_interval() -> None:
    attempts = retry_policies.LLM_CALL.raised.max_number_of_attempts
    failures = iter([RuntimeError("store briefly unavailable")] * (attempts - 1))
    base = handlers(2)

    def compare(payload: dict[str, Any]) -> Any:
        if payload["contract_id"] == "c0":
            failure = next(failures, None)
            if failure is not None:
                raise failure
        return base[comparison_names.COMPARE](payload)

    ctx = FakeContext(REF, {**base, comparison_names.COMPARE: compare})
    assert drive(comparison_orchestration(ctx), ctx)["status"] == "completed"
    calls = [c.payload["contract_id"] for c in ctx.calls if c.name == comparison_names.COMPARE]
    assert calls.count("c0") == attempts
    interval = timedelta(milliseconds=retry_policies.LLM_CALL.raised.first_retry_interval_in_milliseconds)
    assert ctx.current_utc_datetime + interval in ctx.timers
