"""The cross-user job queries of the operations summary, against SQLite and Cosmos alike: counts by status and type
of the jobs created in a window, the oldest running job, the failures of a window with their reasons.

The Cosmos database is shared by the session and these queries span every user: each test works in a period of
time no other test's jobs are in (years before or after any other test's)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.jobs.document import Job
from shared.jobs.models import JobProgress, JobStatus, JobType, ProcessingStep
from shared.storage.base import Repositories
from tests.shared.storage.test_repositories import make_job

pytestmark = pytest.mark.filterwarnings("ignore:Unverified HTTPS request")


def at(base: datetime, user: str, job_id: str, seconds: float, **fields: Any) -> Job:
    job = make_job(user, job_id, **fields)
    return job.model_copy(update={"created_at": base + timedelta(seconds=seconds)})


def test_jobs_of_every_user_created_in_a_window_are_counted_by_status_and_type(
    repos: Repositories, user: str, other_user: str
) -> None:
    base = datetime(2041, 1, 1, tzinfo=UTC)
    jobs = [
        at(base, user, "a1", -1),  # before the window
        at(base, user, "a2", 0, status=JobStatus.PROCESSING),
        at(base, user, "a3", 10, status=JobStatus.FAILED, job_type=JobType.QUERY),
        at(base, other_user, "b1", 20, status=JobStatus.PROCESSING),
        at(base, other_user, "b2", 30, job_type=JobType.QUERY),
        at(base, other_user, "b3", 60),  # at the window's end: outside
    ]
    for job in jobs:
        repos.jobs.create(job)
    counts = repos.jobs.counts_by_status_and_type(base, base + timedelta(seconds=60))
    assert counts == {
        (JobStatus.PROCESSING, JobType.COMPARISON): 2,
        (JobStatus.FAILED, JobType.QUERY): 1,
        (JobStatus.QUEUED, JobType.QUERY): 1,
    }
    assert repos.jobs.counts_by_status_and_type(base + timedelta(hours=1), base + timedelta(hours=2)) == {}


def test_the_oldest_running_job_of_any_user_with_its_step(repos: Repositories, user: str, other_user: str) -> None:
    base = datetime(1991, 1, 1, tzinfo=UTC)
    started = base + timedelta(seconds=42)
    progress = JobProgress(current_step=ProcessingStep.CALLING_LLM, message="Comparing contract 2 of 3")
    jobs = [
        at(base, user, "queued-first", 0),  # older, but not running
        at(base, other_user, "oldest", 5, status=JobStatus.PROCESSING, started_at=started, progress=progress),
        at(base, user, "younger", 9, status=JobStatus.PROCESSING, started_at=started),
        at(base, user, "done", 1, status=JobStatus.COMPLETED, started_at=started),
    ]
    for job in jobs:
        repos.jobs.create(job)
    oldest = repos.jobs.oldest_running()
    assert oldest is not None
    assert (oldest.job_id, oldest.user_id, oldest.job_type) == ("oldest", other_user, JobType.COMPARISON)
    assert (oldest.created_at, oldest.started_at, oldest.step) == (base + timedelta(seconds=5), started, "calling_llm")

    current = repos.jobs.get(other_user, "oldest")
    repos.jobs.replace(current.item.model_copy(update={"status": JobStatus.COMPLETED}), current.etag)
    after = repos.jobs.oldest_running()
    assert after is not None and after.job_id == "younger"


def failed(base: datetime, user: str, job_id: str, seconds: float, **error: str) -> Job:
    return at(
        base,
        user,
        job_id,
        -600,
        status=JobStatus.FAILED,
        completed_at=base + timedelta(seconds=seconds),
        error_details=error or None,
    )


def test_failures_of_a_window_latest_first_with_their_reasons(repos: Repositories, user: str, other_user: str) -> None:
    base = datetime(2043, 1, 1, tzinfo=UTC)
    reason = {"step": "calling_llm", "message": "LLM rejected the request: HTTP 400", "type": "llm_rejected"}
    for job in (
        failed(base, user, "f0", -1, code="start_failed", message="no task hub"),  # before the window
        failed(base, user, "f1", 0, **reason),
        failed(base, other_user, "f2", 30.5, reason="orchestration ended"),  # "…:30.5Z": within its second
        failed(base, user, "f3", 59.9),  # the window's last second is in it
        failed(base, user, "f4", 61),
        at(base, user, "not-failed", 10, status=JobStatus.COMPLETED, completed_at=base + timedelta(seconds=10)),
    ):
        repos.jobs.create(job)
    rows = repos.jobs.failed_between(base, base + timedelta(seconds=59))
    assert [(r.job_id, r.user_id) for r in rows] == [("f3", user), ("f2", other_user), ("f1", user)]
    assert rows[2].error == reason and rows[2].job_type is JobType.COMPARISON
    assert rows[1].error == {"reason": "orchestration ended"} and rows[0].error is None
    assert rows[1].completed_at == base + timedelta(seconds=30.5)
    assert [r.job_id for r in repos.jobs.failed_between(base, base + timedelta(seconds=59), limit=1)] == ["f3"]


def test_rows_carry_the_jobs_title_or_one_from_an_older_jobs_request(
    repos: Repositories, user: str, other_user: str
) -> None:
    base = datetime(1987, 1, 1, tzinfo=UTC)
    repos.jobs.create(at(base, user, "t-run", 0, status=JobStatus.PROCESSING, title="NDA Standard vs 3 contracts"))
    repos.jobs.create(failed(base, other_user, "t-failed", 5, message="m").model_copy(update={"title": "Run — Q3"}))
    oldest = repos.jobs.oldest_running()
    assert oldest is not None and (oldest.job_id, oldest.title) == ("t-run", "NDA Standard vs 3 contracts")
    [row] = repos.jobs.failed_between(base, base + timedelta(seconds=10))
    assert row.title == "Run — Q3"


def test_an_older_jobs_row_is_titled_from_its_request() -> None:
    from shared.storage.job_overview import running_row

    row = {"job_id": "j", "user_id": "u", "job_type": "comparison", "created_at": None, "step": "queued"}
    request = {"standardContractId": "s", "compareContractIds": ["a", "b", "c"]}
    assert running_row({**row, "request": request}).title == "Comparison of 3 contracts with a standard"
    assert (
        running_row({**row, "job_type": "query", "request": {"question": "Who pays?", "contract_ids": ["a"]}}).title
        == "“Who pays?”"
    )
    assert running_row({**row, "request": {"nonsense": 1}}).title == "Job"
