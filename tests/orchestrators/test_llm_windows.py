"""A job's model calls in flight are sized at its start from its deployment's request quota (JobStarted.window):
a comparison or a query keeps that many out at once, and a job whose start gave none keeps FAN_OUT_WINDOW."""

from __future__ import annotations

from typing import Any

from orchestrators.comparison import comparison_orchestration
from orchestrators.fan_out import FAN_OUT_WINDOW
from shared.comparison import names as comparison_names
from shared.jobs import names as job_names
from shared.jobs.lifecycle import LLM_WINDOW, llm_window
from shared.settings import Settings
from tests.orchestrators.fake_context import FakeContext, drive
from tests.orchestrators.test_comparison_orchestrator import REF, handlers


def started_with(window: int | None, compared: int) -> dict[str, Any]:
    table = handlers(compared)
    start = table[job_names.START_JOB]
    table[job_names.START_JOB] = lambda p: {**start(p), **({} if window is None else {"window": window})}
    return table


def test_a_comparison_keeps_the_window_its_start_sized() -> None:
    ctx = FakeContext(REF, started_with(16, 20))
    assert drive(comparison_orchestration(ctx), ctx)["status"] == "completed"
    assert ctx.max_in_flight_by_name[comparison_names.COMPARE] == 16
    assert len([c for c in ctx.calls if c.name == comparison_names.COMPARE]) == 20


def test_a_job_started_without_a_window_keeps_the_default() -> None:
    ctx = FakeContext(REF, started_with(None, 20))
    drive(comparison_orchestration(ctx), ctx)
    assert ctx.max_in_flight_by_name[comparison_names.COMPARE] == FAN_OUT_WINDOW


def test_the_window_is_a_ten_second_window_of_the_request_quota_when_it_is_known() -> None:
    assert llm_window(Settings(), "primary") == LLM_WINDOW  # unknown: the scheduler finds the quota out
    assert llm_window(Settings(llm_requests_per_minute_primary=60), "primary") == 10
    assert llm_window(Settings(llm_requests_per_minute_primary=3), "primary") == 1
    assert llm_window(Settings(llm_requests_per_minute_primary=2_400), "primary") == LLM_WINDOW
    assert llm_window(Settings(llm_requests_per_minute_secondary=30), "secondary") == 5
    assert llm_window(Settings(llm_requests_per_minute_secondary=30), "primary") == LLM_WINDOW
