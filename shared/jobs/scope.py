"""What every step of every workflow works in: one job of one user, its stores, its progress, and "cancelled?"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel

from shared.jobs.artifacts import Artifacts
from shared.jobs.document import Job
from shared.jobs.models import JobProgress, JobStatus, ProcessingStep
from shared.jobs.service import JobService
from shared.storage.base import Repositories

RequestT = TypeVar("RequestT", bound=BaseModel)


@dataclass(frozen=True)
class JobScope:
    repos: Repositories
    jobs: JobService
    user_id: str
    job_id: str
    ttl: int | None

    @property
    def artifacts(self) -> Artifacts:
        return Artifacts(self.repos.artifacts, self.user_id, self.job_id, self.ttl)

    def job(self) -> Job:
        return self.jobs.get_job(self.user_id, self.job_id)

    def request(self, model: type[RequestT]) -> RequestT:
        """The job's typed request; a job of another workflow is a programming error."""
        request = self.job().request
        if not isinstance(request, model):
            raise TypeError(f"job {self.job_id!r} has a {type(request).__name__}, not a {model.__name__}")
        return request

    def is_cancelled(self) -> bool:
        """Checked right before every model call: cancelling a job stops new LLM calls, not just scheduling."""
        return self.job().status is JobStatus.CANCELLED

    # --- progress (see shared/jobs/progress.py for who reports what) ----------------------------------

    def report(self, progress: JobProgress) -> JobProgress:
        """Record `progress` on the job; returns the job's progress as stored (with its seq)."""
        return self.jobs.update_progress(self.user_id, self.job_id, progress).progress

    def advance(
        self,
        step: ProcessingStep,
        total: int,
        render: Callable[[int, int], JobProgress],
        *,
        weight: int = 1,
        after: Callable[[], JobProgress] | None = None,
    ) -> JobProgress:
        """Count `weight` more items of a fan-out done (see JobService.advance); returns the stored progress."""
        return self.jobs.advance(self.user_id, self.job_id, step, total, weight, render, after).progress
