"""The job's bookkeeping steps: start (queued -> processing) and finalize (a terminal state, its progress, and
the job-events message).

Each is safe to run twice: the job service makes a repeated terminal status a no-op, and finalize publishes the
same event content again at worst.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from shared.errors import InvalidTransitionError
from shared.jobs import progress
from shared.jobs.document import Job
from shared.jobs.events import publish_job_event
from shared.jobs.messages import FinalizeJobInput, JobFinalized, JobStarted, StartJobInput, StepError
from shared.jobs.models import JobProgress, JobStatus, ModelSelection
from shared.jobs.service import JobService
from shared.jobs.workflows import first_progress, on_finished
from shared.settings import Settings, get_settings
from shared.storage.base import Repositories

log = logging.getLogger(__name__)

MAX_FAILURE_MESSAGE_CHARS = 300

LLM_WINDOW = 16
"""Model calls one job keeps in flight at most: a worker's activity slots (host.json maxConcurrentActivityFunctions),
so one job never holds more than a worker, and a 16-contract comparison's calls go out at once."""


def start(jobs: JobService, data: StartJobInput) -> JobStarted:
    """One ETag write records the instance, moves the job to processing and reports its first step."""
    try:
        job = jobs.update_status(
            data.user_id, data.job_id, JobStatus.PROCESSING, instance_id=data.instance_id, progress=first_progress
        )
    except InvalidTransitionError:
        # Cancelled while queued, a cancel that won the race, or an earlier run of this instance finished it:
        # report that state, do not fight it.
        job = jobs.get_job(data.user_id, data.job_id)
        return JobStarted(job_type=job.job_type, job_status=job.status, progress=job.progress)
    return JobStarted(
        job_type=job.job_type,
        job_status=job.status,
        contract_ids=job.request.contract_ids_analysed(),
        progress=job.progress,
        window=llm_window(get_settings(), getattr(job.request, "modelSelection", "primary")),
    )


def llm_window(settings: Settings, selection: ModelSelection) -> int:
    """How many of a job's model calls to keep in flight, sized from its deployment's request quota when it is
    known: no more than one 10-second window of it (RPM / 6; the scheduler counts requests over 10 s), since more
    would only wait for the next window, each wait a durable timer and a replay. Unknown: LLM_WINDOW (the
    scheduler still holds every call to the quota the deployment turns out to have)."""
    rpm = (
        settings.llm_requests_per_minute_primary
        if selection == "primary"
        else settings.llm_requests_per_minute_secondary
    )
    return LLM_WINDOW if rpm is None else max(1, min(LLM_WINDOW, rpm // 6))


def final_progress(data: FinalizeJobInput) -> Callable[[Job], JobProgress]:
    """Completed shows 100 %; a failed or cancelled job keeps the step and percentage it reached."""

    def final(job: Job) -> JobProgress:
        if data.status == "completed" and data.result_id:
            return progress.completed(data.result_id)
        if data.status == "cancelled":
            return progress.ended(job.progress, "Cancelled")
        return progress.ended(job.progress, failure_message(data.error))

    return final


def failure_message(error: StepError | None) -> str:
    if error is None:
        return "Failed"
    return f"Failed at {error.step}: {error.message}"[:MAX_FAILURE_MESSAGE_CHARS]


def finalize(jobs: JobService, repos: Repositories, data: FinalizeJobInput) -> JobFinalized:
    try:
        job = jobs.update_status(
            data.user_id,
            data.job_id,
            JobStatus(data.status),
            result_id=data.result_id,
            error_details=data.error.model_dump() if data.error else None,
            progress=final_progress(data),
        )
    except InvalidTransitionError:
        # Another terminal state got there first (a cancel that raced the save): that state stands.
        job = jobs.get_job(data.user_id, data.job_id)
        log.info("job %s is already %s; not moving it to %s", data.job_id, job.status.value, data.status)
    if job.status.is_terminal:
        on_finished(repos, job)  # e.g. a cancelled batch run leaves its batch CANCELLED
    published = publish_job_event(job) if job.status.is_terminal else False
    return JobFinalized(job_status=job.status, event_published=published, progress=job.progress)
