"""The jobs that work on a batch: which one is working on it now, what the batch allows next, and starting one.

A batch has at most one job at a time (staging or a run): a second would only fail at its first step. The status
checks of each step itself are the submission's (shared/jobs/workflows.py).
"""

from __future__ import annotations

import asyncio
from typing import Literal

from shared.batches.models import Batch, BatchStatus
from shared.batches.service import CAN_RESTAGE, CAN_RUN, CAN_STAGE, RUNNING
from shared.errors import ConflictError, NotFoundError
from shared.jobs.document import Job, JobRequest
from shared.jobs.models import JobStatus, JobType
from shared.jobs.service import JobService
from shared.jobs.submission import OrchestrationClient, submit_job
from shared.storage.base import Repositories

Action = Literal["stage", "reprocess", "run", "cancel", "edit"]

ACTIVE_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.PROCESSING)
ACTIVE_JOBS_SCANNED = 100
BATCH_JOB_TYPES = (JobType.BATCH_STAGING, JobType.BATCH_EVALUATION)


def running_job_id(batch: Batch) -> str | None:
    """The job the batch says runs it: its staging job while STAGING, its run while PROCESSING."""
    if batch.status is BatchStatus.STAGING:
        return batch.staging_job_id
    if batch.status is BatchStatus.PROCESSING:
        return batch.run_job_id
    return None


def batch_job(jobs: JobService, batch: Batch) -> Job | None:
    """The job working on the batch: the one its status names, else a batch job for it that is queued or has not
    reached its first step yet (the batch records its job in that step, so for a moment after the 202 it still
    reads as before). None when nothing works on it."""
    job_id = running_job_id(batch)
    if job_id is not None:
        try:
            return jobs.get_job(batch.user_id, job_id)
        except NotFoundError:  # expired (jobs live 7 days): nothing to show
            return None
    page = jobs.list_user_jobs(batch.user_id, statuses=ACTIVE_JOB_STATUSES, limit=ACTIVE_JOBS_SCANNED)
    return next(
        (
            job
            for job in page.items
            if job.job_type in BATCH_JOB_TYPES and getattr(job.request, "batch_id", None) == batch.batch_id
        ),
        None,
    )


def actions(batch: Batch, job: Job | None) -> list[Action]:
    """What the API accepts for the batch now (the page shows these buttons): while a job of the batch is queued
    or running, only cancel."""
    if job is not None and not job.status.is_terminal:
        return ["cancel"]
    allowed: list[Action] = []
    if batch.status in CAN_STAGE:
        allowed.append("stage")
    if batch.status in CAN_RESTAGE:
        allowed.append("reprocess")
    if batch.status in CAN_RUN:
        allowed.append("run")
    if batch.status not in RUNNING:
        allowed.append("edit")
    return allowed


async def start_batch_job(
    client: OrchestrationClient,
    repos: Repositories,
    jobs: JobService,
    batch: Batch,
    job_type: JobType,
    request: JobRequest,
    priority: int = 5,
) -> Job:
    """Submit a job on the batch unless one is already queued or running for it (409)."""
    busy = await asyncio.to_thread(batch_job, jobs, batch)
    if busy is not None and not busy.status.is_terminal:
        raise ConflictError(
            f"batch {batch.batch_id!r} already has a {busy.job_type.value} job {busy.status.value}: {busy.job_id}",
            {"batch_id": batch.batch_id, "job_id": busy.job_id, "job_type": busy.job_type.value},
        )
    return await submit_job(client, repos, batch.user_id, job_type, request, priority=priority)


def running_job(jobs: JobService, batch: Batch) -> Job:
    """The job a batch cancel stops: ConflictError (409) when nothing is queued or running for the batch."""
    running = batch_job(jobs, batch)
    if running is None or running.status.is_terminal:
        raise ConflictError(
            f"batch {batch.batch_id!r} is {batch.status.value}: no staging or run is in progress to cancel",
            {"batch_id": batch.batch_id, "status": batch.status.value},
        )
    return running
