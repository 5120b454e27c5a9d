"""Job documents and job API models. JSON field names are fixed: the existing frontend uses them."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
    current_step: ProcessingStep = ProcessingStep.QUEUED
    percentage: int = Field(default=0, ge=0, le=100)
    message: str = "Job queued"
    items_done: int = Field(default=0, ge=0)
    items_total: int = Field(default=0, ge=0)
    updated_at: datetime = Field(default_factory=utcnow)


class ComparisonJobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    standardContractId: str = Field(min_length=1, max_length=200)
    compareContractIds: list[str] = Field(min_length=1, max_length=50)
    # "full": the whole documents, clauses added in the compared contract included. "clauses": the standard's
    # clauses one by one (the selected ones, or every clause when nothing is selected), never "added".
    comparisonMode: Literal["full", "clauses"] = "full"
    selectedClauses: list[str] | None = Field(default=None, max_length=100)
    modelSelection: ModelSelection = "primary"

    @field_validator("compareContractIds")
    @classmethod
    def _unique_ids(cls, ids: list[str]) -> list[str]:
        blank = [i for i in ids if not i.strip()]
        if blank:
            raise ValueError("compareContractIds must not contain blank ids")
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"compareContractIds must be unique; repeated: {', '.join(dupes)}")
        return ids

    @field_validator("selectedClauses")
    @classmethod
    def _clean_titles(cls, titles: list[str] | None) -> list[str] | None:
        if titles is None:
            return None
        cleaned = [t.strip() for t in titles if t.strip()]
        return cleaned or None

    @model_validator(mode="after")
    def _standard_not_compared(self) -> ComparisonJobRequest:
        if self.standardContractId in self.compareContractIds:
            raise ValueError(f"compareContractIds must not contain the standard contract {self.standardContractId!r}")
        return self


class QueryJobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(max_length=4000)
    contract_ids: list[str] = Field(min_length=1, max_length=200)
    modelSelection: ModelSelection = "primary"

    @field_validator("question")
    @classmethod
    def _non_blank(cls, question: str) -> str:
        if not question.strip():
            raise ValueError("question must not be blank")
        return question.strip()

    @field_validator("contract_ids")
    @classmethod
    def _unique_ids(cls, ids: list[str]) -> list[str]:
        if any(not i.strip() for i in ids):
            raise ValueError("contract_ids must not contain blank ids")
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"contract_ids must be unique; repeated: {', '.join(dupes)}")
        return ids


class Job(BaseModel):
    """The job document (Cosmos container `jobs`, partition key /user_id)."""

    job_id: str
    user_id: str
    job_type: JobType
    status: JobStatus = JobStatus.QUEUED
    priority: int = Field(default=5, ge=1, le=10)
    request: dict[str, Any]
    progress: JobProgress = Field(default_factory=JobProgress)
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    completed_at: datetime | None = None
    result_id: str | None = None
    error_details: dict[str, Any] | None = None
    retry_of: str | None = None
    instance_id: str | None = None
    ttl: int = JOB_TTL_SECONDS


class JobRef(BaseModel):
    """What crosses orchestration history for a job: ids only, never documents."""

    job_id: str = Field(min_length=1)
    user_id: str = Field(min_length=1)


# --- API request/response models -------------------------------------------------------------


class SubmitComparisonJob(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request: ComparisonJobRequest
    priority: int = Field(default=5, ge=1, le=10)


class SubmitQueryJob(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request: QueryJobRequest
    priority: int = Field(default=5, ge=1, le=10)


class JobSubmitted(BaseModel):
    """202 body of the job starters: the job id plus our own (ownership-checked) management URLs."""

    job_id: str
    status: JobStatus = JobStatus.QUEUED
    id: str
    statusQueryGetUri: str
    terminatePostUri: str
    retryPostUri: str
    jobGetUri: str


class JobList(BaseModel):
    jobs: list[Job]
    counts: dict[str, int]
    continuation: str | None = None


class JobStatusView(BaseModel):
    """Body of GET /api/jobs/{job_id}/status, in the shape of Durable's check-status response."""

    job_id: str
    name: str
    instanceId: str | None
    runtimeStatus: Literal["Pending", "Running", "Completed", "Failed", "Terminated"]
    status: JobStatus
    customStatus: dict[str, Any] | None
    output: dict[str, Any] | None
    createdTime: datetime
    lastUpdatedTime: datetime


RUNTIME_STATUS_BY_JOB_STATUS: dict[JobStatus, Literal["Pending", "Running", "Completed", "Failed", "Terminated"]] = {
    JobStatus.QUEUED: "Pending",
    JobStatus.PROCESSING: "Running",
    JobStatus.COMPLETED: "Completed",
    JobStatus.FAILED: "Failed",
    JobStatus.CANCELLED: "Terminated",
}
