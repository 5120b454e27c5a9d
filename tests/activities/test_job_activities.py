"""Job bookkeeping activities (start, record progress, finalize) and the job-events queue, over SQLite."""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime

import pytest
from azure.storage.queue import QueueClient

from activities import jobs as job_activities
from activities import names
from shared import events
from shared.jobs import JobService
from shared.models.jobs import ComparisonJobRequest, Job, JobStatus, JobType, ProcessingStep
from shared.pipeline.messages import ProgressStatus
from shared.settings import Settings, use_settings
from shared.storage.base import Repositories
from tests.orchestrators.fake_context import activity_table
from tests.pipeline.helpers import USER

ACT = activity_table(job_activities.bp)
AT = datetime(2026, 1, 1, tzinfo=UTC)


def new_job(repos: Repositories, job_id: str = "job-a") -> JobService:
    service = JobService(repos.jobs)
    request = ComparisonJobRequest(standardContractId="s", compareContractIds=["a", "b"])
    service.create_job(USER, JobType.COMPARISON, request.model_dump(mode="json"), job_id=job_id)
    return service


def progress(pct: int, step: ProcessingStep = ProcessingStep.CALLING_LLM, status: str = "processing") -> dict:
    return ProgressStatus(
        job_id="job-a", status=JobStatus(status), current_step=step, percentage=pct, message=f"at {pct}",
        items_done=1, items_total=2,
    ).model_dump(mode="json")  # fmt: skip


def start(job_id: str = "job-a") -> dict:
    payload = {"job_id": job_id, "user_id": USER, "instance_id": job_id, "started_at": AT.isoformat()}
    return ACT[names.START_JOB](payload)


def finalize(status: str, **extra: object) -> dict:
    payload = {"job_id": "job-a", "user_id": USER, "status": status, "finished_at": AT.isoformat()}
    payload["progress"] = progress(100 if status == "completed" else 55, status=status)
    return ACT[names.FINALIZE_JOB]({**payload, **extra})


def test_start_marks_processing_and_returns_the_contract_ids(repos: Repositories) -> None:
    service = new_job(repos)
    out = start()
    assert (out["job_status"], out["contract_ids"]) == ("processing", ["a", "b"])
    job = service.get_job(USER, "job-a")
    assert (job.status, job.instance_id) == (JobStatus.PROCESSING, "job-a")
    assert job.started_at is not None
    assert start()["job_status"] == "processing"  # twice is fine


def test_start_of_a_job_cancelled_while_queued_reports_cancelled(repos: Repositories) -> None:
    service = new_job(repos)
    service.cancel(USER, "job-a")
    out = start()
    assert (out["job_status"], out["contract_ids"]) == ("cancelled", [])
    assert service.get_job(USER, "job-a").status is JobStatus.CANCELLED


def test_record_progress_mirrors_custom_status_into_the_job(repos: Repositories) -> None:
    service = new_job(repos)
    start()
    payload = {"job_id": "job-a", "user_id": USER, "progress": progress(65), "updated_at": AT.isoformat()}
    ACT[names.RECORD_PROGRESS](payload)
    job = service.get_job(USER, "job-a")
    assert (job.progress.percentage, job.progress.message, job.progress.items_done) == (65, "at 65", 1)
    assert job.progress.current_step is ProcessingStep.CALLING_LLM


def test_finalize_completed_sets_result_and_is_idempotent(
    repos: Repositories, caplog: pytest.LogCaptureFixture
) -> None:
    service = new_job(repos)
    start()
    with caplog.at_level(logging.WARNING, logger="shared.events"):
        first = finalize("completed", result_id="res_job-a")
    assert first == {"status": "ok", "note": "", "error": None, "job_status": "completed", "event_published": False}
    assert "not published" in caplog.text  # no storage account configured: skipped with a warning
    job = service.get_job(USER, "job-a")
    assert (job.status, job.result_id, job.progress.percentage) == (JobStatus.COMPLETED, "res_job-a", 100)
    completed_at = job.completed_at
    assert finalize("completed", result_id="res_job-a")["job_status"] == "completed"
    assert service.get_job(USER, "job-a").completed_at == completed_at


def test_finalize_failed_stores_error_details(repos: Repositories) -> None:
    service = new_job(repos)
    start()
    error = {"step": "calling_llm", "type": "llm_rejected", "message": "LLM rejected the request (400): bad"}
    assert finalize("failed", error=error)["job_status"] == "failed"
    job = service.get_job(USER, "job-a")
    assert (job.status, job.error_details) == (JobStatus.FAILED, error)
    assert job.progress.current_step is ProcessingStep.CALLING_LLM  # where it stopped


def test_finalize_completed_after_a_cancel_keeps_the_job_cancelled(repos: Repositories) -> None:
    service = new_job(repos)
    start()
    service.cancel(USER, "job-a")
    assert finalize("completed", result_id="res_job-a")["job_status"] == "cancelled"
    job = service.get_job(USER, "job-a")
    assert (job.status, job.result_id) == (JobStatus.CANCELLED, None)


def test_job_event_content() -> None:
    job = Job(job_id="j", user_id="u", job_type=JobType.QUERY, request={}, status=JobStatus.FAILED,
              error_details={"step": "x", "message": "m", "type": "t"})  # fmt: skip
    assert events.job_event(job) == {
        "job_id": "j", "user_id": "u", "job_type": "query", "status": "failed", "result_id": None,
        "error": {"step": "x", "message": "m", "type": "t"},
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
    queue = QueueClient.from_connection_string(azurite_connection_string, queue_name)
    raw = [m.content for m in queue.receive_messages(max_messages=10)]
    # On the wire the JSON is base64-encoded, as a Functions queue trigger expects by default.
    messages = [json.loads(base64.b64decode(text)) for text in raw]
    expected = {"job_id": "job-a", "user_id": USER, "job_type": "comparison", "status": "completed",
                "result_id": "res_job-a", "error": None}  # fmt: skip
    assert messages == [expected, expected]
    assert service.get_job(USER, "job-a").status is JobStatus.COMPLETED
