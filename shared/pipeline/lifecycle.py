"""Job bookkeeping steps: start, mirror progress, finalize (and publish the job-events message).

Each is safe to run twice: JobService makes a repeated terminal status a no-op, and finalize publishes the same
event content again at worst.
"""

from __future__ import annotations

import logging
from datetime import datetime

from shared.errors import InvalidTransitionError
from shared.events import publish_job_event
from shared.jobs import JobService
from shared.models.jobs import ComparisonJobRequest, Job, JobProgress, JobStatus, JobType, QueryJobRequest
from shared.pipeline.messages import (
    FinalizeJobInput,
    JobFinalized,
    JobStarted,
    ProgressStatus,
    RecordProgressInput,
    StartJobInput,
)
from shared.settings import Settings

log = logging.getLogger(__name__)


def job_progress(status: ProgressStatus, at: datetime) -> JobProgress:
    return JobProgress(
        current_step=status.current_step,
        percentage=status.percentage,
        message=status.message,
        items_done=status.items_done,
        items_total=status.items_total,
        updated_at=at,
    )


def contract_ids_of(job: Job) -> list[str]:
    if job.job_type is JobType.COMPARISON:
        return list(ComparisonJobRequest.model_validate(job.request).compareContractIds)
    if job.job_type is JobType.QUERY:
        return list(QueryJobRequest.model_validate(job.request).contract_ids)
    return []


def start(jobs: JobService, data: StartJobInput) -> JobStarted:
    # One ETag write records the instance and moves the job to processing.
    try:
        job = jobs.update_status(data.user_id, data.job_id, JobStatus.PROCESSING, instance_id=data.instance_id)
    except InvalidTransitionError:
        # Cancelled while queued, a cancel that won the race, or an earlier run of this instance finished it:
        # report that state, do not fight it.
        job = jobs.get_job(data.user_id, data.job_id)
        return JobStarted(job_type=job.job_type, job_status=job.status)
    return JobStarted(job_type=job.job_type, job_status=job.status, contract_ids=contract_ids_of(job))


def record_progress(jobs: JobService, data: RecordProgressInput) -> None:
    jobs.update_progress(data.user_id, data.job_id, job_progress(data.progress, data.updated_at))


def finalize(jobs: JobService, data: FinalizeJobInput, settings: Settings) -> JobFinalized:
    try:
        job = jobs.update_status(
            data.user_id,
            data.job_id,
            JobStatus(data.status),
            result_id=data.result_id,
            error_details=data.error.model_dump() if data.error else None,
            progress=job_progress(data.progress, data.finished_at),
        )
    except InvalidTransitionError:
        # Another terminal state got there first (a cancel that raced the save): that state stands.
        job = jobs.get_job(data.user_id, data.job_id)
        log.info("job %s is already %s; not moving it to %s", data.job_id, job.status.value, data.status)
    published = publish_job_event(job, settings) if job.status.is_terminal else False
    return JobFinalized(job_status=job.status, event_published=published)
