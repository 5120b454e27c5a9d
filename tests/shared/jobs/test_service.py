"""JobService lifecycle and races, over both backends."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

import pytest
from pydantic import ValidationError

from shared.comparison.request import ComparisonJobRequest
from shared.errors import ConflictError, InvalidTransitionError, NotFoundError
from shared.jobs.document import ComparisonJob, Job, JobRequest, QueryJob
from shared.jobs.models import JobProgress, JobStatus, JobType, ProcessingStep
from shared.jobs.service import JobService, ensure_retryable
from shared.query.request import QueryJobRequest
from shared.storage.base import Repositories
from tests.support.stores import race, race_rounds

pytestmark = pytest.mark.filterwarnings("ignore:Unverified HTTPS request")

REQUEST = QueryJobRequest(question="Who pays?", contract_ids=["c1"])
COMPARISON = ComparisonJobRequest(standardContractId="s1", compareContractIds=["c1", "c2"])


def request_for(job_type: JobType) -> JobRequest:
    return COMPARISON if job_type is JobType.COMPARISON else REQUEST


@pytest.fixture
def service(repos: Repositories, clock: Callable[[], datetime]) -> JobService:
    return JobService(repos.jobs, clock=clock)


def progress(percentage: int, step: ProcessingStep = ProcessingStep.CALLING_LLM) -> JobProgress:
    return JobProgress(current_step=step, percentage=percentage, message=f"{percentage}%")


def test_create_job(service: JobService, user: str) -> None:
    job = service.create_job(user, JobType.QUERY, REQUEST, priority=3)
    assert re.fullmatch(r"job_\d+_[0-9a-f]{12}", job.job_id)
    assert (job.status, job.priority, job.ttl, job.request) == (JobStatus.QUEUED, 3, 604_800, REQUEST)
    assert service.get_job(user, job.job_id) == job
    assert isinstance(service.get_job(user, job.job_id), QueryJob)  # the typed request survives the store
    comparison = service.create_job(user, JobType.COMPARISON, COMPARISON)
    stored = service.get_job(user, comparison.job_id)
    assert isinstance(stored, ComparisonJob) and stored.request == COMPARISON
    assert service.create_job(user, JobType.QUERY, REQUEST, job_id="fixed").job_id == "fixed"
    with pytest.raises(ConflictError):
        service.create_job(user, JobType.QUERY, REQUEST, job_id="fixed")


def test_ttl_setting_is_applied(repos: Repositories, user: str) -> None:
    job = JobService(repos.jobs, ttl_seconds=3600).create_job(user, JobType.QUERY, REQUEST)
    assert repos.jobs.get(user, job.job_id).item.ttl == 3600


def test_a_request_of_another_workflow_is_refused(service: JobService, user: str) -> None:
    with pytest.raises(ValidationError):
        service.create_job(user, JobType.COMPARISON, REQUEST)
    assert service.list_user_jobs(user).items == []


def test_full_lifecycle(service: JobService, user: str) -> None:
    job = service.create_job(user, JobType.COMPARISON, COMPARISON)
    service.set_instance(user, job.job_id, "inst-1")
    running = service.update_status(user, job.job_id, JobStatus.PROCESSING, progress=progress(10))
    assert running.started_at is not None and running.completed_at is None
    again = service.update_status(user, job.job_id, JobStatus.PROCESSING)
    assert again.started_at == running.started_at  # started_at is set once
    service.update_progress(user, job.job_id, progress(60))
    done = service.update_status(user, job.job_id, JobStatus.COMPLETED, result_id="res-1", progress=progress(100))
    stored = service.get_job(user, job.job_id)
    assert stored == done
    assert (stored.status, stored.result_id, stored.instance_id) == (JobStatus.COMPLETED, "res-1", "inst-1")
    assert stored.completed_at is not None and stored.progress.percentage == 100
    assert service.counts(user)["completed"] == 1


def test_completed_never_goes_back_to_processing(service: JobService, user: str) -> None:
    job = service.create_job(user, JobType.QUERY, REQUEST)
    service.update_status(user, job.job_id, JobStatus.PROCESSING)
    service.update_status(user, job.job_id, JobStatus.COMPLETED, result_id="r")
    with pytest.raises(InvalidTransitionError, match="from completed to processing"):
        service.update_status(user, job.job_id, JobStatus.PROCESSING)
    with pytest.raises(InvalidTransitionError, match="from completed to failed"):
        service.update_status(user, job.job_id, JobStatus.FAILED)
    assert service.get_job(user, job.job_id).status == JobStatus.COMPLETED


def test_same_terminal_status_twice_is_a_no_op(service: JobService, user: str) -> None:
    job = service.create_job(user, JobType.QUERY, REQUEST)
    service.update_status(user, job.job_id, JobStatus.PROCESSING)
    first = service.update_status(user, job.job_id, JobStatus.FAILED, error_details={"error": "boom"})
    second = service.update_status(user, job.job_id, JobStatus.FAILED, error_details={"error": "other"})
    assert second == first
    assert service.get_job(user, job.job_id).error_details == {"error": "boom"}


def test_queued_cannot_complete_directly(service: JobService, user: str) -> None:
    job = service.create_job(user, JobType.QUERY, REQUEST)
    with pytest.raises(InvalidTransitionError, match="from queued to completed"):
        service.update_status(user, job.job_id, JobStatus.COMPLETED)
    with pytest.raises(InvalidTransitionError, match="from queued to queued"):
        service.update_status(user, job.job_id, JobStatus.QUEUED)
    failed = service.update_status(user, job.job_id, JobStatus.FAILED, error_details={"error": "bad input"})
    assert failed.completed_at is not None


def test_progress_never_goes_backwards_and_never_revives(service: JobService, user: str) -> None:
    job = service.create_job(user, JobType.QUERY, REQUEST)
    service.update_status(user, job.job_id, JobStatus.PROCESSING)
    service.update_progress(user, job.job_id, progress(70))
    late = service.update_progress(user, job.job_id, progress(40, ProcessingStep.GENERATING_PROMPT))
    assert late.progress.percentage == 70
    assert late.progress.current_step == ProcessingStep.GENERATING_PROMPT  # the message is still the newest
    cancelled = service.cancel(user, job.job_id)
    after = service.update_progress(user, job.job_id, progress(90))
    assert after == cancelled
    assert service.get_job(user, job.job_id).status == JobStatus.CANCELLED


def test_cancel(service: JobService, user: str) -> None:
    job = service.create_job(user, JobType.QUERY, REQUEST)
    assert not service.is_cancelled(user, job.job_id)
    cancelled = service.cancel(user, job.job_id, reason="changed my mind")
    assert cancelled.error_details == {"reason": "changed my mind"}
    assert cancelled.completed_at is not None
    assert service.is_cancelled(user, job.job_id)
    with pytest.raises(ConflictError, match="already cancelled"):
        service.cancel(user, job.job_id)
    default = service.cancel(user, service.create_job(user, JobType.QUERY, REQUEST).job_id)
    assert default.error_details == {"reason": "Cancelled by user"}


def retry(service: JobService, user_id: str, job_id: str) -> Job:
    """What the retry endpoint does with the service (api/job_actions.py, minus the orchestration start)."""
    old = service.get_job(user_id, job_id)
    ensure_retryable(old)
    return service.create_job(user_id, old.job_type, old.request, priority=old.priority, retry_of=old.job_id)


def test_retry(service: JobService, user: str) -> None:
    job = service.create_job(user, JobType.COMPARISON, COMPARISON, priority=2)
    with pytest.raises(ConflictError, match="queued"):
        retry(service, user, job.job_id)
    service.cancel(user, job.job_id)
    retried = retry(service, user, job.job_id)
    assert retried.job_id != job.job_id
    assert (retried.status, retried.retry_of, retried.request, retried.priority, retried.job_type) == (
        JobStatus.QUEUED,
        job.job_id,
        COMPARISON,
        2,
        JobType.COMPARISON,
    )
    service.update_status(user, retried.job_id, JobStatus.PROCESSING)
    service.update_status(user, retried.job_id, JobStatus.COMPLETED)
    with pytest.raises(ConflictError, match="completed"):
        retry(service, user, retried.job_id)


def test_other_users_jobs_are_not_found(service: JobService, user: str, other_user: str) -> None:
    job = service.create_job(user, JobType.QUERY, REQUEST)
    for action in (
        lambda: service.get_job(other_user, job.job_id),
        lambda: service.cancel(other_user, job.job_id),
        lambda: retry(service, other_user, job.job_id),
        lambda: service.update_progress(other_user, job.job_id, progress(5)),
        lambda: service.update_status(other_user, job.job_id, JobStatus.PROCESSING),
        lambda: service.set_instance(other_user, job.job_id, "x"),
        lambda: service.is_cancelled(other_user, job.job_id),
    ):
        with pytest.raises(NotFoundError):
            action()
    assert service.get_job(user, job.job_id).status == JobStatus.QUEUED


def test_list_and_counts(service: JobService, user: str) -> None:
    types = [JobType.QUERY if i % 2 else JobType.COMPARISON for i in range(5)]
    ids = [service.create_job(user, job_type, request_for(job_type)).job_id for job_type in types]
    service.cancel(user, ids[0])
    page = service.list_user_jobs(user, limit=2)
    assert [job.job_id for job in page.items] == [ids[4], ids[3]]
    rest = service.list_user_jobs(user, limit=10, continuation=page.continuation)
    assert [job.job_id for job in rest.items] == [ids[2], ids[1], ids[0]]
    assert [j.job_id for j in service.list_user_jobs(user, statuses=[JobStatus.CANCELLED]).items] == [ids[0]]
    assert [j.job_id for j in service.list_user_jobs(user, job_type=JobType.QUERY).items] == [ids[3], ids[1]]
    assert service.counts(user) == {"queued": 4, "processing": 0, "completed": 0, "failed": 0, "cancelled": 1}


def test_cancel_racing_progress_always_ends_cancelled(repos: Repositories, service: JobService, user: str) -> None:
    for _ in range(race_rounds(repos)):
        job = service.create_job(user, JobType.QUERY, REQUEST)
        service.update_status(user, job.job_id, JobStatus.PROCESSING)

        def report(job_id: str = job.job_id) -> None:
            for percentage in range(10, 60, 10):
                service.update_progress(user, job_id, progress(percentage))

        cancelled: list[Job] = []

        def cancel(job_id: str = job.job_id, out: list[Job] = cancelled) -> None:
            out.append(service.cancel(user, job_id))

        errors = race(cancel, report, report)
        assert errors == []
        final = service.get_job(user, job.job_id)
        assert final.status == JobStatus.CANCELLED
        assert final.error_details == {"reason": "Cancelled by user"}
        assert final == cancelled[0]  # nothing was written after the cancel


def test_completion_racing_late_activities_stays_completed(repos: Repositories, service: JobService, user: str) -> None:
    for _ in range(race_rounds(repos)):
        job = service.create_job(user, JobType.QUERY, REQUEST)
        service.update_status(user, job.job_id, JobStatus.PROCESSING)
        job_id = job.job_id

        def complete(job_id: str = job_id) -> None:
            service.update_status(user, job_id, JobStatus.COMPLETED, result_id="r")

        def late_progress(job_id: str = job_id) -> None:
            service.update_progress(user, job_id, progress(80))

        def late_start(job_id: str = job_id) -> None:
            service.update_status(user, job_id, JobStatus.PROCESSING)

        outcomes = race(complete, complete, late_progress, late_start)
        # The late "processing" either ran first (harmless) or was refused; nothing else may fail.
        assert all(isinstance(error, InvalidTransitionError) for error in outcomes)
        final = service.get_job(user, job.job_id)
        assert (final.status, final.result_id) == (JobStatus.COMPLETED, "r")
