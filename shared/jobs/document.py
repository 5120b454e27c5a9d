"""The job document (Cosmos container `jobs`, partition key /user_id), typed by workflow, and the job API's
response models.

`Job` is a discriminated union on `job_type`: a comparison job's `request` is a ComparisonJobRequest, a query
job's a QueryJobRequest, a batch staging or evaluation job's a StagingJobRequest or EvaluationJobRequest. The
request is validated once, where the job is created; everything after reads typed fields.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, model_validator

from shared.batches.request import EvaluationJobRequest, StagingJobRequest
from shared.comparison.request import ComparisonJobRequest
from shared.jobs.models import JOB_TTL_SECONDS, JobProgress, JobStatus, JobType, utcnow
from shared.jobs.titles import fallback_title
from shared.query.request import QueryJobRequest

RuntimeStatus = Literal["Pending", "Running", "Completed", "Failed", "Terminated"]


class JobDocument(BaseModel):
    """What every job document holds; the subclasses add the typed request of their workflow."""

    job_id: str
    user_id: str
    # What people call the job ("NDA Standard vs 3 contracts", a question's first words, "Run — Vendor review"),
    # fixed at submission (shared/jobs/titles.py); a job stored before titles gets one from its request when read.
    title: str | None = None
    status: JobStatus = JobStatus.QUEUED
    priority: int = Field(default=5, ge=1, le=10)
    progress: JobProgress = Field(default_factory=JobProgress)
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    completed_at: datetime | None = None
    result_id: str | None = None
    error_details: dict[str, Any] | None = None
    retry_of: str | None = None
    instance_id: str | None = None
    # W3C traceparent of the request that submitted the job: every step's span joins its trace (shared/telemetry).
    # None while telemetry is off.
    traceparent: str | None = None
    ttl: int = JOB_TTL_SECONDS

    @model_validator(mode="after")
    def _readable_title(self) -> JobDocument:
        if not self.title:
            self.title = fallback_title(getattr(self, "request", None))
        return self


class ComparisonJob(JobDocument):
    job_type: Literal[JobType.COMPARISON] = JobType.COMPARISON
    request: ComparisonJobRequest


class QueryJob(JobDocument):
    job_type: Literal[JobType.QUERY] = JobType.QUERY
    request: QueryJobRequest


class BatchStagingJob(JobDocument):
    job_type: Literal[JobType.BATCH_STAGING] = JobType.BATCH_STAGING
    request: StagingJobRequest


class BatchEvaluationJob(JobDocument):
    job_type: Literal[JobType.BATCH_EVALUATION] = JobType.BATCH_EVALUATION
    request: EvaluationJobRequest


Job = Annotated[ComparisonJob | QueryJob | BatchStagingJob | BatchEvaluationJob, Field(discriminator="job_type")]
JobRequest = ComparisonJobRequest | QueryJobRequest | StagingJobRequest | EvaluationJobRequest
JobClass = type[ComparisonJob] | type[QueryJob] | type[BatchStagingJob] | type[BatchEvaluationJob]

_JOB = TypeAdapter[Job](Job)
_JOB_CLASS: dict[JobType, JobClass] = {
    JobType.COMPARISON: ComparisonJob,
    JobType.QUERY: QueryJob,
    JobType.BATCH_STAGING: BatchStagingJob,
    JobType.BATCH_EVALUATION: BatchEvaluationJob,
}


def parse_job(data: Any) -> Job:
    """A stored or received job document, typed by its job_type (pydantic ValidationError otherwise)."""
    return _JOB.validate_python(data)


def parse_job_json(text: str | bytes) -> Job:
    return _JOB.validate_json(text)


def request_model(job_type: JobType) -> type[JobRequest] | None:
    """The request model of a job type that can be submitted, or None."""
    job_class = _JOB_CLASS.get(job_type)
    return None if job_class is None else job_class.model_fields["request"].annotation  # type: ignore[return-value]


def new_job(job_type: JobType, request: JobRequest, **fields: Any) -> Job:
    return parse_job({"job_type": job_type, "request": request, **fields})


# --- API response models ---------------------------------------------------------------------------


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
    """200 body of GET /api/jobs: one page of the caller's jobs (newest first), their counts per status."""

    jobs: list[Job]
    counts: dict[str, int]
    continuation: str | None = None


class JobsUpdate(BaseModel):
    """The data of a `jobs_update` stream event: the jobs the stream lists, the caller's counts per status."""

    jobs: list[Job]
    counts: dict[str, int]


class JobCancelAccepted(BaseModel):
    """202 body of POST /api/jobs/{job_id}/cancel."""

    job_id: str
    status: JobStatus
    message: str
    statusQueryGetUri: str


class JobStatusView(BaseModel):
    """Body of GET /api/jobs/{job_id}/status, in the shape of Durable's check-status response."""

    job_id: str
    name: str
    instanceId: str | None
    runtimeStatus: RuntimeStatus
    status: JobStatus
    customStatus: JobProgress | None
    output: dict[str, Any] | None
    createdTime: datetime
    lastUpdatedTime: datetime


RUNTIME_STATUS_BY_JOB_STATUS: dict[JobStatus, RuntimeStatus] = {
    JobStatus.QUEUED: "Pending",
    JobStatus.PROCESSING: "Running",
    JobStatus.COMPLETED: "Completed",
    JobStatus.FAILED: "Failed",
    JobStatus.CANCELLED: "Terminated",
}
