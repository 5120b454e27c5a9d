"""The answer of POST /api/batches/{id}/reprocess-staging, which behaves like Durable's create-and-wait: it starts the
staging job, then waits up to BATCH_SYNC_WAIT_SECONDS for it (shared/jobs/waiting.py). Finished in time: the seed's
answer (below). Not finished: 202 with the job, as every starter answers.

The seed's answer is a contract with its existing clients:
`{"success": true, "documents_prepared": N, "message": "Batch staging completed - N/M documents prepared"}`, from
the staging job's result (a StagingResult), plus fields they ignore: the batch's status, the documents found and
the ones that failed with their reasons. `success` is false when the job ran but prepared nothing (the batch is
FAILED_STAGING; the reasons are listed).

A staging job that failed or was cancelled is an error in the API's error shape (500 `staging_failed`, 409
`staging_cancelled`), not a 200 with `"success": false`: a request that did not do what it asked must not look
like a success to clients that read the status code (fetch wrappers, `curl -f`, monitoring).
"""

from __future__ import annotations

from pydantic import BaseModel

from shared.batches.models import BatchStatus, StagingResult
from shared.errors import ConflictError, DomainError
from shared.jobs.document import Job
from shared.jobs.models import JobStatus
from shared.storage.base import ResultRepository


class StagingAnswer(BaseModel):
    """200 body of POST /api/batches/{batch_id}/reprocess-staging when staging ended in time (the seed's answer)."""

    success: bool
    documents_prepared: int
    message: str
    batch_id: str
    status: str
    documents_found: int
    failed: list[dict[str, str]]
    job_id: str


class StagingFailed(DomainError):
    """Answered 500 by the route (the API maps no domain error to 500 by itself)."""

    code = "staging_failed"


class StagingCancelled(ConflictError):
    code = "staging_cancelled"


def failure_reason(job: Job) -> str:
    details = job.error_details or {}
    reason = details.get("message") or details.get("reason") or details.get("error")
    return str(reason) if reason else "no reason was recorded"


def seed_answer(results: ResultRepository, job: Job) -> StagingAnswer:
    """The answer for a staging job that has ended (StagingFailed / StagingCancelled when it did not complete)."""
    details = {"job_id": job.job_id, "batch_id": getattr(job.request, "batch_id", None)}
    if job.status is JobStatus.CANCELLED:
        raise StagingCancelled(f"the staging job {job.job_id} was cancelled: {failure_reason(job)}", details)
    if job.status is not JobStatus.COMPLETED or job.result_id is None:
        raise StagingFailed(f"batch staging failed: {failure_reason(job)}", details)
    staged = StagingResult.model_validate(results.get(job.user_id, job.result_id).result)
    return StagingAnswer(
        success=staged.status == BatchStatus.STAGED.value,
        documents_prepared=staged.documents_prepared,
        message=staged.message,
        batch_id=staged.batch_id,
        status=staged.status,
        documents_found=staged.documents_found,
        failed=staged.failed,
        job_id=job.job_id,
    )
