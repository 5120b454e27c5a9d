"""The metrics: jobs by type and status with their duration (from the job service's writes, once each); model calls,
tokens and 429s per deployment (from the LLM client's events); the quota scheduler's queue and waits; batch records
per status."""

from __future__ import annotations

from datetime import timedelta

from opentelemetry.trace import get_current_span

from shared.jobs.models import JobStatus, JobType, utcnow
from shared.jobs.service import JobService
from shared.llm.budget import Ask, Granted, Limits, Wait
from shared.llm.events import ModelCallAttempt, QuotaDeferred, emit
from shared.llm.quota import QuotaScheduler
from shared.query.request import QueryJobRequest
from shared.storage.base import Repositories
from shared.telemetry import batch_finished
from shared.telemetry.state import active
from tests.shared.telemetry.conftest import Captured
from tests.support.app_env import repos, settings
from tests.support.quota import FakeClock, MemoryQuotaRepository

__all__ = ["repos", "settings"]


def attempt(outcome: str, status: int | None = None, prompt: int = 0, completion: int = 0, waited: float = 0.0):
    return ModelCallAttempt(
        model="gpt-4o-prod",
        selection="primary",
        outcome=outcome,  # type: ignore[arg-type]
        status=status,
        prompt_tokens=prompt,
        completion_tokens=completion,
        max_tokens=500,
        queue_wait_s=waited,
        duration_s=0.25,
        attempt=1,
        job_id="job-1",
    )


def test_jobs_are_counted_by_type_and_status_once_each(repos: Repositories, captured: Captured) -> None:
    now = [utcnow()]
    service = JobService(repos.jobs, clock=lambda: now[0])
    request = QueryJobRequest(question="What is the term?", contract_ids=["c1"])
    job = service.create_job("alice", JobType.QUERY, request)
    now[0] += timedelta(seconds=1)
    service.update_status("alice", job.job_id, JobStatus.PROCESSING)
    now[0] += timedelta(seconds=41)
    service.update_status("alice", job.job_id, JobStatus.COMPLETED, result_id="res-1")
    service.update_status("alice", job.job_id, JobStatus.COMPLETED, result_id="res-1")  # an activity ran twice

    query = {"job.type": "query"}
    assert captured.total("contractjobs.jobs.submitted", query) == 1
    assert captured.total("contractjobs.jobs.started", query) == 1
    assert captured.total("contractjobs.jobs.finished", query | {"job.status": "completed"}) == 1
    ((attributes, duration),) = captured.points("contractjobs.job.duration")
    assert attributes == query | {"job.status": "completed"}
    assert (duration.count, duration.sum) == (1, 42.0)  # from submit to end, on the service's clock

    failed = service.create_job("alice", JobType.QUERY, request)
    service.update_status("alice", failed.job_id, JobStatus.FAILED, error_details={"step": "x", "type": "llm_busy"})
    assert captured.total("contractjobs.jobs.finished", query | {"job.status": "failed"}) == 1
    assert captured.total("contractjobs.jobs.submitted", query) == 2


def test_model_calls_tokens_and_429s_per_deployment(captured: Captured) -> None:
    emit(attempt("throttled", 429))
    emit(attempt("failed", 500))
    emit(attempt("answered", prompt=1_200, completion=300, waited=1.5))
    emit(attempt("answered", prompt=800, completion=100))

    deployment = {"gen_ai.request.model": "gpt-4o-prod"}
    assert captured.total("contractjobs.llm.calls", deployment | {"llm.outcome": "answered"}) == 2
    assert captured.total("contractjobs.llm.calls", deployment | {"http.response.status_code": 429}) == 1
    assert captured.total("contractjobs.llm.calls", deployment | {"llm.outcome": "throttled"}) == 1
    assert captured.total("contractjobs.llm.calls", deployment | {"llm.outcome": "failed"}) == 1
    assert captured.total("gen_ai.client.token.usage", deployment | {"gen_ai.token.type": "input"}) == 2_000
    assert captured.total("gen_ai.client.token.usage", deployment | {"gen_ai.token.type": "output"}) == 400
    assert captured.total("gen_ai.client.operation.duration", {"error.type": "429"}) == 0.25
    assert captured.total("contractjobs.llm.queue_wait", deployment | {"llm.wait": "in_process"}) == 1.5


def test_a_quota_deferral_is_a_wait_metric_and_an_event_on_the_waiting_step(captured: Captured) -> None:
    telemetry = active()
    assert telemetry is not None
    with telemetry.tracer.start_as_current_span("activity comparison_compare_contract"):
        emit(QuotaDeferred(model="gpt-4o-prod", wait_s=12.5, ahead=3, job_id="job-1"))
        assert get_current_span().is_recording()

    assert captured.total("contractjobs.llm.deferrals", {"gen_ai.request.model": "gpt-4o-prod"}) == 1
    assert captured.total("contractjobs.llm.queue_wait", {"llm.wait": "durable_timer"}) == 12.5
    (step,) = captured.spans()
    (event,) = step.events
    assert event.name == "llm.quota_wait"
    assert dict(event.attributes or {}) == {
        "gen_ai.request.model": "gpt-4o-prod",
        "llm.wait_s": 12.5,
        "llm.queue_ahead": 3,
    }


def test_the_schedulers_queue_length_per_deployment(captured: Captured) -> None:
    clock = FakeClock()
    scheduler = QuotaScheduler(MemoryQuotaRepository(), clock=clock, sleep=clock.sleep, rand=lambda: 0.5)
    deployment = "azure_openai|https://aoai.example|contracts-primary"
    limits = Limits(tokens_per_minute=6_000)  # 1,000 tokens per 10 s window
    assert isinstance(scheduler.reserve(deployment, limits, Ask("a", 900)), Granted)
    assert isinstance(scheduler.reserve(deployment, limits, Ask("b", 900)), Wait)
    assert isinstance(scheduler.reserve(deployment, limits, Ask("c", 900)), Wait)

    assert captured.points("contractjobs.llm.queue_length")[0][0] == {"gen_ai.request.model": "contracts-primary"}
    assert captured.total("contractjobs.llm.queue_length") == 2
    clock.advance(60)
    assert isinstance(scheduler.reserve(deployment, limits, Ask("b", 900)), Granted)
    assert captured.total("contractjobs.llm.queue_length") == 1


def test_batch_records_per_status(captured: Captured) -> None:
    batch_finished({"S": 40, "F": 2, "QUEUED": 0}, "economy")
    assert captured.total("contractjobs.batch.records", {"batch.record.status": "S", "batch.mode": "economy"}) == 40
    assert captured.total("contractjobs.batch.records", {"batch.record.status": "F"}) == 2
    assert captured.points("contractjobs.batch.records") and all(
        attributes["batch.record.status"] != "QUEUED" for attributes, _ in captured.points("contractjobs.batch.records")
    )
