"""What the batches API shows of a batch, a batch job and a response record (never the owner, the caller), and the
query-string parsing its list endpoints share. Every body is one of the models below: the OpenAPI description
(api/openapi.py) is generated from them."""

from __future__ import annotations

from datetime import datetime

from azurefunctions.extensions.http.fastapi import Request
from pydantic import BaseModel, Field, computed_field

from api.http import BadRequest, api_url
from shared.batches.jobs import Action, actions
from shared.batches.models import Batch, BatchStatus, RecordStatus, ResponseRecord
from shared.jobs.document import Job
from shared.jobs.models import JobProgress, JobStatus, JobType


class BatchCreated(BaseModel):
    """201 body of POST /api/batches."""

    batch_id: str
    status: BatchStatus


class DocumentCounts(BaseModel):
    staged: int
    failed: int


class BatchListItem(BaseModel):
    """One line of GET /api/batches: enough to list and pick a batch."""

    batch_id: str
    name: str
    status: BatchStatus
    folders: list[str]
    prompts: int
    documents: DocumentCounts
    mean_score: float | None
    staging_job_id: str | None
    run_job_id: str | None
    created_at: datetime
    updated_at: datetime


class BatchList(BaseModel):
    """200 body of GET /api/batches: one page, newest first; `continuation` asks for the next."""

    batches: list[BatchListItem]
    continuation: str | None = None


class BatchJobProgress(JobProgress):
    """The progress of the job working on a batch, with the job it belongs to."""

    job_id: str
    job_type: JobType
    status: JobStatus


class BatchLinks(BaseModel):
    self: str
    responses: str
    export_csv: str
    export_jsonl: str


class BatchDetail(Batch):
    """200 body of GET and PUT /api/batches/{batch_id}: the batch (configuration, snapshot, staging report,
    summary; not its owner), its record counts per status, the progress of the job working on it, the actions the
    API accepts for it now and where to go next."""

    user_id: str = Field(exclude=True)
    counts: dict[str, int]
    progress: BatchJobProgress | None
    actions: list[Action]
    links: BatchLinks

    @computed_field  # type: ignore[prop-decorator]
    @property
    def name(self) -> str:
        return self.config.name


class BatchCancelAccepted(BaseModel):
    """202 body of POST /api/batches/{batch_id}/cancel."""

    batch_id: str
    job_id: str
    job_type: JobType
    status: JobStatus
    message: str
    statusQueryGetUri: str
    batchGetUri: str


class RecordView(ResponseRecord):
    """A response record as the API shows it (not its owner)."""

    user_id: str = Field(exclude=True)


class RecordList(BaseModel):
    """200 body of GET /api/batches/{batch_id}/responses: one page in record order (document, then prompt)."""

    responses: list[RecordView]
    continuation: str | None = None


def summary(batch: Batch) -> BatchListItem:
    """One line of GET /api/batches: no per-record reads."""
    staged = sum(1 for d in batch.documents if d.status == "staged")
    return BatchListItem(
        batch_id=batch.batch_id,
        name=batch.name,
        status=batch.status,
        folders=batch.config.folders,
        prompts=len(batch.config.prompts),
        documents=DocumentCounts(staged=staged, failed=len(batch.documents) - staged),
        mean_score=batch.summary.mean_score if batch.summary else None,
        staging_job_id=batch.staging_job_id,
        run_job_id=batch.run_job_id,
        created_at=batch.created_at,
        updated_at=batch.updated_at,
    )


def job_progress(job: Job | None) -> BatchJobProgress | None:
    if job is None:
        return None
    return BatchJobProgress(job_id=job.job_id, job_type=job.job_type, status=job.status, **dict(job.progress))


def detail(req: Request, batch: Batch, counts: dict[str, int], job: Job | None) -> BatchDetail:
    """GET /api/batches/{id}: the batch (configuration, snapshot, staging report with reasons and overall scores,
    summary), its record counts per status, the progress of the job running it, and where to go next."""
    base = f"batches/{batch.batch_id}"
    links = BatchLinks(
        self=api_url(req, base),
        responses=api_url(req, f"{base}/responses"),
        export_csv=api_url(req, f"{base}/export.csv"),
        export_jsonl=api_url(req, f"{base}/export.jsonl"),
    )
    return BatchDetail.model_validate(
        {**dict(batch), "counts": counts, "progress": job_progress(job), "actions": actions(batch, job), "links": links}
    )


def record(record: ResponseRecord) -> RecordView:
    return RecordView.model_validate(dict(record))


def parse_record_statuses(raw: str | None) -> list[RecordStatus] | None:
    """`?status=QUEUED,S,F` (case-insensitive); 400 naming what is unknown."""
    if not raw:
        return None
    values = [part.strip().upper() for part in raw.split(",") if part.strip()]
    allowed = [s.value for s in RecordStatus]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise BadRequest(
            f"unknown record status {', '.join(unknown)}; allowed: {', '.join(allowed)}",
            {"unknown": unknown, "allowed": allowed},
        )
    return [RecordStatus(v) for v in dict.fromkeys(values)]
