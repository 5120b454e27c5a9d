"""What every artifact-backed step works in: one job of one user, its stores, and how to ask "cancelled?"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shared.models.jobs import Job
from shared.pipeline.artifacts import Artifacts
from shared.storage.base import Repositories


def never_cancelled() -> bool:
    return False


@dataclass(frozen=True)
class JobScope:
    repos: Repositories
    user_id: str
    job_id: str
    ttl: int | None
    is_cancelled: Callable[[], bool] = never_cancelled
    """Checked right before every model call: cancelling a job stops new LLM calls, not just scheduling."""

    @property
    def artifacts(self) -> Artifacts:
        return Artifacts(self.repos.artifacts, self.user_id, self.job_id, self.ttl)

    def job(self) -> Job:
        return self.repos.jobs.get(self.user_id, self.job_id).item


def result_id_for(job_id: str) -> str:
    """Deterministic, so a save that runs twice upserts the same result."""
    return f"res_{job_id}"
