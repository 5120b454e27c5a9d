"""What crosses orchestration history for every workflow: the step outcome and the job's start and finish.

Only ids, counts, short messages and the progress an activity recorded go here. Texts, tasks, prompts and raw
model output are job artifacts (shared/jobs/artifacts.py), so a 50-contract job's history stays small. Each
workflow adds its own activity inputs next to its steps (shared/<workflow>/messages.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from shared.jobs.models import JobProgress, JobRef, JobStatus, JobType

OutcomeStatus = Literal["ok", "skipped", "error", "retry", "wait"]
FinalStatus = Literal["completed", "failed", "cancelled"]


class StepError(BaseModel):
    """What the job's error_details say: the step, what happened, and the error type."""

    step: str
    message: str
    type: str


class Outcome(BaseModel):
    """What a step activity returns.

    - ok: done; `progress` is what the activity recorded on the job (the orchestrator's custom status copies it).
    - skipped: the activity found the job cancelled and did nothing.
    - error: a failure retrying cannot fix (`error` says which); the job fails at once.
    - retry: a failure that may pass (the model is overloaded or unreachable): the orchestrator calls again after
      a durable timer, at least `retry_after_ms` later, as its named retry plan allows.
    - wait: not a failure: the model's quota has no room for the call yet (shared/llm/admission.py). The
      orchestrator calls again after a durable timer of `retry_after_ms`, without counting an attempt; `error`
      (optional) says what it waits for.
    """

    status: OutcomeStatus = "ok"
    error: StepError | None = None
    retry_after_ms: int | None = Field(default=None, ge=0)
    progress: JobProgress | None = None
    attempt: int | None = Field(default=None, ge=1)
    """A `retry` of a step whose items count their own attempts (a group of batch records): the count of the item
    that failed. The orchestrator's backoff and limit follow it rather than its own count of calls, which a group
    retried for a different record each time would run up."""

    @model_validator(mode="after")
    def _failures_say_why(self) -> Outcome:
        if self.status in ("error", "retry") and self.error is None:
            raise ValueError(f"an outcome with status {self.status!r} needs its error")
        return self


def history_json(model: BaseModel) -> dict[str, object]:
    """A message as it crosses history: JSON, without the fields left at their defaults (a third of the bytes)."""
    return model.model_dump(mode="json", exclude_defaults=True)


# --- job lifecycle -----------------------------------------------------------------------------


class StartJobInput(JobRef):
    instance_id: str
    started_at: datetime


class JobStarted(BaseModel):
    job_type: JobType
    job_status: JobStatus
    contract_ids: list[str] = Field(default_factory=list)
    """The contracts the job analyses one by one (compared contracts, or the query's set): the orchestrator
    plans its fan-out with them."""
    progress: JobProgress | None = None
    window: int | None = Field(default=None, ge=1)
    """Model calls the job keeps in flight (shared/jobs/lifecycle.py llm_window); None: the orchestrator's default
    (a job started before windows were sized replays with it)."""


class FinalizeJobInput(JobRef):
    status: FinalStatus
    result_id: str | None = None
    error: StepError | None = None
    finished_at: datetime


class JobFinalized(BaseModel):
    job_status: JobStatus
    event_published: bool
    progress: JobProgress


class ResultSaved(Outcome):
    result_id: str = ""
