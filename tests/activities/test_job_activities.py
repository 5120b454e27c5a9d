"""Job bookkeeping activities (start, finalize) and the job-events queue, over SQLite. (The progress each step
activity records: test_step_progress.py.)"""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime

import pytest
from azure.storage.queue import QueueClient

from activities import jobs as job_activities
from shared.comparison.request import ComparisonJobRequest
from shared.jobs import events
from shared.jobs import names as job_names
from shared.jobs.document import parse_job
from shared.jobs.messages import JobFinalized, JobStarted
from shared.jobs.models import JobProgress, JobStatus, JobType, ProcessingStep
from shared.jobs.service import JobService
from shared.settings import Settings, use_settings
from shared.storage.base import Repositories
from tests.orchestrators.fake_context import activity_table
from tests.support.jobs import USER

ACT = activity_table(job_activities.bp)
AT = datetime(2026, 1, 1, tzinfo=UTC)


def new_job(repos: Repositories, job_id: str = "job-a") -> JobService:
    service = JobService(repos.jobs)
    request = ComparisonJobRequest(standardContractId="s", compareContractIds=["a", "b"])
    service.create_job(USER, JobType.COMPARISON, request, job_id=job_id)
    return service


def start(job_id: str = "job-a") -> JobStarted:
    payload = {"job_id": job_id, "user_id": USER, "instance_id": job_id, "started_at": AT.isoformat()}
    return JobStarted.model_validate(ACT[job_names.START_JOB](payload))


def finalize(status: str, **extra: object) -> dict:
    payload = {"job_id": "job-a", "user_id": USER, "status": status, "finished_at": AT.isoformat()}
    return ACT[job_names.FINALIZE_JOB]({**payload, **extra})


def comparing(service: JobService) -> JobProgress:
    """What the compare activities record halfway through (see test_step_progress.py)."""
    progress = JobProgress(
        current_step=ProcessingStep.CALLING_LLM, percentage=65, message="Comparing contract 2 of 2", items_done=1,
        items_total=2,
    )  # fmt: skip
    return service.update_progress(USER, "job-a", progress).progress


def test_start_marks_processing_and_returns_the_contract_ids(repos: Repositories) -> None:
    service = new_job(repos)
    out = start()
    assert (out.job_status, out.contract_ids) == (JobStatus.PROCESSING, ["a", "b"])
    job = service.get_job(USER, "job-a")
    assert (job.status, job.instance_id) == (JobStatus.PROCESSING, "job-a")
    assert job.started_at is not None
    # The job shows its first step at once, and start hands that progress (with its seq) to the custom status.
    assert (job.progress.current_step, job.progress.percentage) == (ProcessingStep.RETRIEVING_DATA, 10)
    assert job.progress.message == "Retrieving the standard and 2 contracts"
    assert job.progress.seq == 1
    assert out.progress == job.progress
    assert start().job_status is JobStatus.PROCESSING  # twice is fine


def test_start_that_runs_twice_keeps_the_progress_and_its_seq(repos: Repositories) -> None:
    service = new_job(repos)
    first = start()
    again = start()  # Durable runs an activity at least once: the second run changes nothing, seq included
    assert again.progress == first.progress
    assert service.get_job(USER, "job-a").progress == first.progress


def test_start_of_a_job_cancelled_while_queued_reports_cancelled(repos: Repositories) -> None:
    service = new_job(repos)
    service.cancel(USER, "job-a")
    out = start()
    assert (out.job_status, out.contract_ids) == (JobStatus.CANCELLED, [])
    job = service.get_job(USER, "job-a")
    assert job.status is JobStatus.CANCELLED
    # The job still says where it stopped (queued) and that it stopped, not a first step it never reached.
    assert (job.progress.current_step, job.progress.message) == (ProcessingStep.QUEUED, "Cancelled")
    assert out.progress == job.progress


def test_finalize_completed_sets_result_and_is_idempotent(
    repos: Repositories, caplog: pytest.LogCaptureFixture
) -> None:
    service = new_job(repos)
    start()
    with caplog.at_level(logging.WARNING, logger="shared.jobs.events"):
        first = finalize("completed", result_id="res_job-a")
    assert "not published" in caplog.text  # no storage account configured: skipped with a warning
    job = service.get_job(USER, "job-a")
    assert (job.status, job.result_id, job.progress.percentage) == (JobStatus.COMPLETED, "res_job-a", 100)
    assert job.progress.current_step is ProcessingStep.COMPLETED
    assert job.progress.message == "Completed: result res_job-a"
    # What crosses history: the terminal status and the final progress the custom status shows, nothing else.
    assert set(first) == {"job_status", "event_published", "progress"}
    finalized = JobFinalized.model_validate(first)
    assert (finalized.job_status, finalized.event_published) == (JobStatus.COMPLETED, False)
    assert finalized.progress == job.progress
    completed_at = job.completed_at
    assert finalize("completed", result_id="res_job-a")["job_status"] == "completed"
    again = service.get_job(USER, "job-a")
    assert (again.completed_at, again.progress) == (completed_at, job.progress)  # same seq: nothing changed


def test_finalize_failed_stores_error_details(repos: Repositories) -> None:
    service = new_job(repos)
    start()
    reached = comparing(service)
    error = {"step": "calling_llm", "type": "llm_rejected", "message": "LLM rejected the request (400): bad"}
    out = JobFinalized.model_validate(finalize("failed", error=error))
    assert out.job_status is JobStatus.FAILED
    job = service.get_job(USER, "job-a")
    assert (job.status, job.error_details) == (JobStatus.FAILED, error)
    # Where it stopped: the step, percentage and items it reached, with the reason as the message.
    assert (job.progress.current_step, job.progress.percentage) == (ProcessingStep.CALLING_LLM, 65)
    assert (job.progress.items_done, job.progress.items_total) == (1, 2)
    assert job.progress.message == "Failed at calling_llm: LLM rejected the request (400): bad"
    assert job.progress.seq > reached.seq
    assert out.progress == job.progress


def test_finalize_completed_after_a_cancel_keeps_the_job_cancelled(repos: Repositories) -> None:
    service = new_job(repos)
    start()
    service.cancel(USER, "job-a")
    assert finalize("completed", result_id="res_job-a")["job_status"] == "cancelled"
    job = service.get_job(USER, "job-a")
    assert (job.status, job.result_id) == (JobStatus.CANCELLED, None)


def test_job_event_content() -> None:
    job = parse_job({"job_id": "j", "user_id": "u", "job_type": "query", "status": "failed",
                     "request": {"question": "Who pays?", "contract_ids": ["c"]},
                     "error_details": {"step": "x", "message": "m", "type": "t"}})  # fmt: skip
    assert events.job_event(job) == {
        "job_id": "j", "user_id": "u", "job_type": "query", "title": "“Who pays?”", "status": "failed",
        "result_id": None, "error": {"step": "x", "message": "m", "type": "t"},
    }  # fmt: skip


@pytest.mark.azurite
def test_finalize_publishes_to_the_job_events_queue(
    repos: Repositories, settings: Settings, azurite_connection_string: str
) -> None:
    queue_name = "job-events-test"
    use_settings(settings.model_copy(update={"storage_connection": azurite_connection_string,
                                             "job_events_queue": queue_name}))  # fmt: skip
    events.reset_clients()
    service = new_job(repos)
    start()

    out = finalize("completed", result_id="res_job-a")
    finalize("completed", result_id="res_job-a")  # a re-run publishes the same content again, nothing else

    assert out["event_published"] is True
    assert out["job_status"] == "completed"
    queue = QueueClient.from_connection_string(azurite_connection_string, queue_name)
    raw = [m.content for m in queue.receive_messages(max_messages=10)]
    # On the wire the JSON is base64-encoded, as a Functions queue trigger expects by default.
    messages = [json.loads(base64.b64decode(text)) for text in raw]
    expected = {"job_id": "job-a", "user_id": USER, "job_type": "comparison", "status": "completed",
                "result_id": "res_job-a", "error": None,
                "title": service.get_job(USER, "job-a").title}  # fmt: skip
    assert messages == [expected, expected]
    assert service.get_job(USER, "job-a").status is JobStatus.COMPLETED
