"""Job lifecycle over a JobRepository: creation, validated status transitions, progress, cancel.

Every change is read-modify-write with the item's ETag, retried when another writer won the race, so a
cancel racing a progress update (or an activity that runs twice) always ends in a state the lifecycle allows:
terminal states are final, and progress never goes backwards. Every change of status or progress gives the
progress the next `seq`, the event id of the streams.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from shared import telemetry
from shared.errors import ConflictError, InvalidTransitionError
from shared.jobs.document import Job, JobRequest, new_job
from shared.jobs.models import JOB_TTL_SECONDS, JobProgress, JobStatus, JobType, ProcessingStep, utcnow
from shared.jobs.progress import ended
from shared.jobs.stream_wakeups import stream_wakeups
from shared.settings import get_settings
from shared.storage import optimistic
from shared.storage.base import JobRepository, Page, Repositories
from shared.storage.factory import get_repositories

# Which status may follow which; a terminal status may only be "set again" (a no-op, activities run twice).
ALLOWED_TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset({JobStatus.PROCESSING, JobStatus.CANCELLED, JobStatus.FAILED}),
    JobStatus.PROCESSING: frozenset({JobStatus.PROCESSING, JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED}),
}


def new_job_id(now: datetime) -> str:
    return f"job_{int(now.timestamp())}_{uuid.uuid4().hex[:12]}"


def ensure_retryable(job: Job) -> None:
    """Only a failed or cancelled job may be run again (ConflictError otherwise)."""
    if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise ConflictError(
            f"job {job.job_id!r} is {job.status.value}; only failed or cancelled jobs can be retried",
            details={"job_id": job.job_id, "status": job.status.value},
        )


class JobService:
    def __init__(
        self,
        repo: JobRepository,
        *,
        ttl_seconds: int = JOB_TTL_SECONDS,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._repo = repo
        self._ttl = ttl_seconds
        self._clock = clock
        self._sleep = sleep  # the pauses after lost ETag races
        self._rand = rand

    # --- reads ---------------------------------------------------------------------------------

    def get_job(self, user_id: str, job_id: str) -> Job:
        return self._repo.get(user_id, job_id).item

    def list_user_jobs(
        self,
        user_id: str,
        *,
        statuses: Sequence[JobStatus] | None = None,
        job_type: JobType | None = None,
        limit: int = 50,
        continuation: str | None = None,
    ) -> Page[Job]:
        return self._repo.query(user_id, statuses=statuses, job_type=job_type, limit=limit, continuation=continuation)

    def changed_since(self, user_id: str, since: datetime, *, limit: int = 100) -> list[Job]:
        return self._repo.changed_since(user_id, since, limit=limit)

    def counts(self, user_id: str) -> dict[str, int]:
        return self._repo.counts(user_id)

    def is_cancelled(self, user_id: str, job_id: str) -> bool:
        return self.get_job(user_id, job_id).status == JobStatus.CANCELLED

    # --- writes --------------------------------------------------------------------------------

    def create_job(
        self,
        user_id: str,
        job_type: JobType,
        request: JobRequest,
        *,
        priority: int = 5,
        retry_of: str | None = None,
        job_id: str | None = None,
        title: str | None = None,
    ) -> Job:
        now = self._clock()
        job_id = job_id or new_job_id(now)
        job = new_job(
            job_type,
            request,
            job_id=job_id,
            user_id=user_id,
            priority=priority,
            progress=JobProgress(updated_at=now),
            created_at=now,
            retry_of=retry_of,
            title=title,
            ttl=self._ttl,
            # The submit request's trace: every step of the job joins it (shared/telemetry/spans.py).
            traceparent=telemetry.job_submitted(job_id, str(job_type), user_id),
        )
        self._repo.create(job)
        telemetry.job_changed(None, job)
        stream_wakeups().publish(user_id)
        return job

    def update_status(
        self,
        user_id: str,
        job_id: str,
        status: JobStatus,
        *,
        result_id: str | None = None,
        error_details: dict[str, Any] | None = None,
        progress: JobProgress | Callable[[Job], JobProgress] | None = None,
        instance_id: str | None = None,
    ) -> Job:
        """Move the job to `status` if the lifecycle allows it (InvalidTransitionError otherwise). `progress` may
        be computed from the job as read, inside the same ETag write."""
        status = JobStatus(status)

        def change(job: Job) -> Job | None:
            if job.status.is_terminal and job.status == status:
                return None  # the same terminal status again: an activity ran twice
            if status not in ALLOWED_TRANSITIONS.get(job.status, frozenset()):
                raise InvalidTransitionError(
                    f"job {job_id!r} cannot move from {job.status.value} to {status.value}",
                    details={"job_id": job_id, "from": job.status.value, "to": status.value},
                )
            now = self._clock()
            updates: dict[str, Any] = {"status": status}
            if status == JobStatus.PROCESSING and job.started_at is None:
                updates["started_at"] = now
            if status.is_terminal:
                updates["completed_at"] = now
            if result_id is not None:
                updates["result_id"] = result_id
            if error_details is not None:
                updates["error_details"] = error_details
            if progress is not None:
                new = progress(job) if callable(progress) else progress
                updates["progress"] = _forward(job.progress, new)
            if instance_id is not None:
                updates["instance_id"] = instance_id
            return job.model_copy(update=updates)

        return self._mutate(user_id, job_id, change)

    def set_instance(self, user_id: str, job_id: str, instance_id: str) -> Job:
        def change(job: Job) -> Job | None:
            return None if job.instance_id == instance_id else job.model_copy(update={"instance_id": instance_id})

        return self._mutate(user_id, job_id, change)

    def update_progress(self, user_id: str, job_id: str, progress: JobProgress) -> Job:
        """Record the job's progress; a finished job, or progress a reader could not tell apart, changes nothing."""

        def change(job: Job) -> Job | None:
            if job.status.is_terminal or job.progress.shows_the_same(progress):
                return None  # a late report must never resurrect a finished or cancelled job
            return job.model_copy(update={"progress": _forward(job.progress, progress)})

        return self._mutate(user_id, job_id, change)

    def advance(
        self,
        user_id: str,
        job_id: str,
        step: ProcessingStep,
        total: int,
        weight: int,
        render: Callable[[int, int], JobProgress],
        after: Callable[[], JobProgress] | None = None,
    ) -> Job:
        """Count `weight` more items of a fan-out done, atomically under the ETag, and record `render(done,
        total)`; when that finishes the fan-out and `after` is given, record `after()` instead (what the job does
        next). The first item of a fan-out starts the count from zero. A late item — its step already over, or
        an earlier round of the same step (rounds shrink: a query's combine rounds) — changes nothing."""

        def change(job: Job) -> Job | None:
            if job.status.is_terminal or _is_late(job.progress, step, total):
                return None
            current = job.progress
            counting = current.current_step == step and current.items_total == total
            done = min(total, (current.items_done if counting else 0) + weight)
            progress = after() if done >= total and after is not None else render(done, total)
            return job.model_copy(update={"progress": _forward(current, progress)})

        return self._mutate(user_id, job_id, change)

    def cancel(self, user_id: str, job_id: str, *, reason: str = "Cancelled by user") -> Job:
        def change(job: Job) -> Job | None:
            if job.status.is_terminal:
                raise ConflictError(
                    f"job {job_id!r} is already {job.status.value} and cannot be cancelled",
                    details={"job_id": job_id, "status": job.status.value},
                )
            return job.model_copy(
                update={
                    "status": JobStatus.CANCELLED,
                    "completed_at": self._clock(),
                    "error_details": {"reason": reason},
                    # Where it stopped, and that it stopped: the job list shows it at once.
                    "progress": ended(job.progress, "Cancelled"),
                }
            )

        return self._mutate(user_id, job_id, change)

    # --- the ETag write ------------------------------------------------------------------------

    def _mutate(self, user_id: str, job_id: str, change: Callable[[Job], Job | None]) -> Job:
        """Apply `change` to the current job and write it If-Match, again on a lost race (shared.storage.optimistic).
        `change` returns None for "nothing to do" and raises domain errors for "not allowed"."""

        def sequenced(job: Job) -> Job | None:
            updated = change(job)
            return None if updated is None else _next_seq(job, updated, self._clock())

        outcome = optimistic.update(
            lambda: self._repo.get(user_id, job_id),
            sequenced,
            self._repo.replace,
            name=f"job {job_id!r}",
            details={"job_id": job_id},
            contention=optimistic.MUST_LAND,
            sleep=self._sleep,
            rand=self._rand,
        )
        if outcome.written:
            telemetry.job_changed(outcome.before, outcome.item)
            stream_wakeups().publish(user_id)
        return outcome.item


def job_service(repos: Repositories | None = None) -> JobService:
    """The job service over `repos` (default: the process-wide repositories) with the configured job TTL."""
    return JobService((repos or get_repositories()).jobs, ttl_seconds=get_settings().job_ttl_seconds)


_STEP_ORDER = {step: position for position, step in enumerate(ProcessingStep)}


def _is_late(current: JobProgress, step: ProcessingStep, total: int) -> bool:
    """An item of a fan-out the job has moved past (a duplicate run of an activity that finished long ago)."""
    if _STEP_ORDER[step] != _STEP_ORDER[current.current_step]:
        return _STEP_ORDER[step] < _STEP_ORDER[current.current_step]
    return total > current.items_total > 0


def _next_seq(before: Job, after: Job, now: datetime) -> Job:
    """`after` with the next progress seq when its status or progress changed (the streams' event id)."""
    if after.status == before.status and after.progress.shows_the_same(before.progress):
        return after.model_copy(update={"progress": before.progress})  # nothing new to see: keep its seq
    progress = after.progress.model_copy(update={"seq": before.progress.seq + 1, "updated_at": now})
    return after.model_copy(update={"progress": progress})


def _forward(old: JobProgress, new: JobProgress) -> JobProgress:
    """Progress reports can arrive out of order (activities run in parallel and may run twice): keep the
    percentage monotonic."""
    if new.percentage < old.percentage:
        return new.model_copy(update={"percentage": old.percentage})
    return new
