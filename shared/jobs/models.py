"""What every job has, whatever its workflow: status, type, steps, live progress, and the ids that cross
orchestration history. JSON field names are fixed: the existing frontend reads them."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field
from pydantic.json_schema import JsonDict

JOB_TTL_SECONDS = 604_800  # 7 days, as the seed's container TTL


def utcnow() -> datetime:
    return datetime.now(UTC)


class JobStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})


class JobType(StrEnum):
    COMPARISON = "comparison"
    QUERY = "query"
    BATCH_STAGING = "batch_staging"
    BATCH_EVALUATION = "batch_evaluation"


class ProcessingStep(StrEnum):
    QUEUED = "queued"
    RETRIEVING_DATA = "retrieving_data"
    GENERATING_PROMPT = "generating_prompt"
    CALLING_LLM = "calling_llm"
    PROCESSING_RESULTS = "processing_results"
    SAVING_RESULTS = "saving_results"
    COMPLETED = "completed"


ModelSelection = Literal["primary", "secondary"]


class JobProgress(BaseModel):
    """The live progress of a job: the job document's `progress`, the orchestration's custom status, the status
    endpoint's `customStatus` and every stream event carry this one model.

    `seq` grows by one with every change of the job's status or progress, written by the job service under the
    document's ETag, so it never goes backwards, across restarts and retried activities alike: the streams use
    it as the event id."""

    current_step: ProcessingStep = ProcessingStep.QUEUED
    percentage: int = Field(default=0, ge=0, le=100)
    message: str = "Job queued"
    items_done: int = Field(default=0, ge=0)
    items_total: int = Field(default=0, ge=0)
    updated_at: datetime = Field(default_factory=utcnow)
    seq: int = Field(default=0, ge=0)

    def shows_the_same(self, other: JobProgress) -> bool:
        """Whether a reader would see no difference (timestamps and seq aside)."""
        keys = ("current_step", "percentage", "message", "items_done", "items_total")
        return all(getattr(self, k) == getattr(other, k) for k in keys)


class JobRef(BaseModel):
    """What crosses orchestration history for a job: ids only, never documents."""

    job_id: str = Field(min_length=1)
    user_id: str = Field(min_length=1)


NOT_BLANK = r"\S"
"""The JSON Schema pattern of a string that must not be blank (the validators strip, then refuse an empty string)."""
UNIQUE_IDS_SCHEMA: JsonDict = {"uniqueItems": True, "items": {"type": "string", "pattern": NOT_BLANK}}
"""What unique_ids refuses, in a request model's JSON Schema: `Field(json_schema_extra=UNIQUE_IDS_SCHEMA)`."""


def unique_ids(field: str, ids: list[str]) -> list[str]:
    """A request's id list, refused when it has blank or repeated ids (the validator every request shares)."""
    if any(not i.strip() for i in ids):
        raise ValueError(f"{field} must not contain blank ids")
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"{field} must be unique; repeated: {', '.join(dupes)}")
    return ids
