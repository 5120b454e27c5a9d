"""A step whose model call waits for quota (`wait` outcome) on the fake Durable context: a durable timer as long as
the scheduler said, then the same call again, counting no attempt; the total wait of one call is bounded; in a
fan-out a waiting call keeps its window place (a retrying one does not)."""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from typing import Any

import pytest

from orchestrators import retry_policies
from orchestrators.comparison import comparison_orchestration
from orchestrators.fan_out import fan_out
from orchestrators.job_run import JobRun, StepFailed
from orchestrators.retry_policies import LLM_CALL, MODEL_QUOTA_WAIT
from shared.comparison import names as comparison_names
from shared.jobs.messages import Outcome
from shared.jobs.models import JobRef, ProcessingStep
from tests.orchestrators.fake_context import FakeContext, drive
from tests.orchestrators.test_comparison_orchestrator import REF, finalize_payload, handlers, recorded

WAIT_REASON = {"step": "calling_llm", "message": "waiting for the quota of model 'gpt-4o'", "type": "llm_quota_wait"}


def wait(ms: int) -> dict[str, Any]:
    return {"status": "wait", "retry_after_ms": ms, "error": WAIT_REASON}


def test_a_waiting_call_is_called_again_after_its_timer_and_counts_no_attempt() -> None:
    plan = LLM_CALL.transient
    assert plan is not None
    waits = plan.attempts + 2  # more waits than the retry plan has attempts: none of them is a failure
    replies = iter([wait(12_000)] * waits)

    def compare(payload: dict[str, Any]) -> dict[str, Any]:
        return next(replies, {"progress": recorded(9, 80, "done")})

    ctx = FakeContext(REF, handlers(1, **{comparison_names.COMPARE: compare}))
    output = drive(comparison_orchestration(ctx), ctx)

    assert output["status"] == "completed"
    assert [c.name for c in ctx.calls].count(comparison_names.COMPARE) == waits + 1
    delays = [t - ctx.current_utc_datetime for t in ctx.timers if t != ctx.current_utc_datetime]
    assert delays == [timedelta(seconds=12)] * waits  # exactly the scheduler's estimate each time


def test_a_wait_with_no_estimate_still_waits_a_moment() -> None:
    replies = iter([{"status": "wait"}])
    ctx = FakeContext(REF, handlers(1, **{comparison_names.COMPARE: lambda p: next(replies, {})}))
    drive(comparison_orchestration(ctx), ctx)
    delays = [t - ctx.current_utc_datetime for t in ctx.timers if t != ctx.current_utc_datetime]
    assert delays == [timedelta(milliseconds=MODEL_QUOTA_WAIT.min_delay_ms)]


def test_a_call_that_waits_past_the_limit_fails_the_job_saying_so() -> None:
    ctx = FakeContext(REF, handlers(1, **{comparison_names.COMPARE: lambda p: wait(30 * 60_000)}))

    with pytest.raises(StepFailed, match="quota"):
        drive(comparison_orchestration(ctx), ctx)

    limit_min = MODEL_QUOTA_WAIT.max_total_ms // 60_000
    assert [c.name for c in ctx.calls].count(comparison_names.COMPARE) == limit_min // 30 + 1
    error = finalize_payload(ctx)["error"]
    assert error["type"] == "llm_quota_exhausted"
    assert error["message"].startswith(f"gave up after waiting {limit_min:.1f} min in all for the model's quota")
    assert "waiting for the quota of model 'gpt-4o'" in error["message"]


def test_a_cancel_during_a_quota_wait_ends_the_job_cancelled() -> None:
    ctx = FakeContext(REF, handlers(3, **{comparison_names.COMPARE: lambda p: wait(60_000)}))

    def cancel_once_waiting(context: FakeContext) -> None:
        if any(c.name == comparison_names.COMPARE for c in context.calls) and context.timers:
            context.raise_event("cancel", {"reason": "user"})

    ctx.before_wait = cancel_once_waiting
    assert drive(comparison_orchestration(ctx), ctx)["status"] == "cancelled"


# --- the window of a fan-out ------------------------------------------------------------------------------------


def run_fan_out(first_reply: dict[str, Any], window: int = 1, items: int = 2) -> list[int]:
    """A fan-out of `items` calls over `window` places whose first call answers `first_reply` once; the order in
    which calls were started (payload indexes)."""
    replies = {0: [first_reply]}

    def step(payload: dict[str, Any]) -> dict[str, Any]:
        queued = replies.get(payload["position"], [])
        return queued.pop(0) if queued else {}

    ctx = FakeContext(REF, {"step": step})
    ref = JobRef(job_id="job-1", user_id="user-1")

    class Item(JobRef):
        position: int

    def orchestration(context: Any) -> Generator[Any, Any, Any]:
        run = JobRun(context, ref)
        payloads = [Item(**ref.model_dump(), position=i) for i in range(items)]
        return (yield from fan_out(run, ProcessingStep.CALLING_LLM, "step", LLM_CALL, payloads, Outcome, window=window))

    drive(orchestration(ctx), ctx)
    return [c.payload["position"] for c in ctx.calls]


def test_a_call_waiting_for_quota_keeps_its_window_place() -> None:
    # The second call starts only once the first is done: starting it meanwhile would only queue it behind.
    assert run_fan_out(wait(5_000)) == [0, 0, 1]


def test_a_call_waiting_to_retry_a_failure_gives_its_place_up() -> None:
    retry = {"status": "retry", "error": {"step": "calling_llm", "message": "503", "type": "llm_unavailable"}}
    assert run_fan_out(retry) == [0, 1, 0]


def test_the_wait_policy_is_the_model_quota_limit_everywhere() -> None:
    for policy in (retry_policies.LLM_CALL, retry_policies.STORAGE_STEP, retry_policies.SUB_ORCHESTRATION):
        assert policy.waits is MODEL_QUOTA_WAIT
    assert MODEL_QUOTA_WAIT.max_total_ms >= 3_600_000  # generous: an hour at the very least
