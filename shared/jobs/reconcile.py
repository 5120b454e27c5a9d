"""Heal a job whose orchestration ended without finishing it, when its status is polled.

The orchestrators finalize their job themselves (completed, failed or cancelled) before they return. If an
orchestration dies another way (terminated from the portal, a crash in the orchestrator, a replay error), the
job document would stay queued/processing forever. The status endpoint asks Durable about running jobs and,
when the instance has ended, records what happened. The job service's transition rules make this safe
against the orchestrator's own finalize: a job that is already terminal is never changed.
"""

import asyncio
import logging
from typing import Any, Protocol

from shared.errors import ConflictError
from shared.jobs.document import Job
from shared.jobs.events import publish_job_event
from shared.jobs.models import JobStatus
from shared.jobs.service import JobService

logger = logging.getLogger(__name__)

# Durable runtime statuses that mean "this instance will do nothing more".
_ENDED = frozenset({"Completed", "Failed", "Terminated", "Canceled"})
MAX_REASON_CHARS = 500


class StatusClient(Protocol):
    async def get_status(self, instance_id: str) -> Any: ...


def _runtime_status(status: Any) -> str | None:
    runtime = getattr(status, "runtime_status", None)
    value = getattr(runtime, "value", runtime)
    return value if isinstance(value, str) else None


async def reconcile(client: StatusClient, service: JobService, job: Job) -> Job:
    if job.status.is_terminal or not job.instance_id:
        return job
    try:
        status = await client.get_status(job.instance_id)
    except Exception:
        # Durable is unreachable: the job document is still a fine answer for this poll.
        logger.warning("job %s: orchestration status unavailable", job.job_id, exc_info=True)
        return job
    runtime = _runtime_status(status)
    if runtime not in _ENDED:
        return job
    # The orchestration's output of a failure is its exception and traceback: for the log, never for the user.
    output = str(getattr(status, "output", "") or "")[:MAX_REASON_CHARS]
    logger.error(
        "job %s: orchestration is %s but the job is %s; recording it. Output: %s",
        job.job_id,
        runtime,
        job.status,
        output,
    )
    try:
        if runtime in ("Terminated", "Canceled"):
            healed = await asyncio.to_thread(
                service.cancel, job.user_id, job.job_id, reason=f"orchestration {runtime.lower()}"
            )
        else:
            healed = await asyncio.to_thread(
                service.update_status,
                job.user_id,
                job.job_id,
                JobStatus.FAILED,
                error_details={
                    "code": "orchestration_ended",
                    "message": f"The job stopped without finishing (its orchestration ended {runtime}); retry it.",
                },
            )
    except ConflictError:
        # The orchestrator finalized the job in the meantime: its record (and its job-events message) wins.
        return await asyncio.to_thread(service.get_job, job.user_id, job.job_id)
    # Every terminal state is announced on job-events, this one too; the orchestrator that would have done it is
    # gone. A failed publish must not fail the poll: the job document already holds the outcome.
    try:
        await asyncio.to_thread(publish_job_event, healed)
    except Exception:
        logger.exception("job %s: job-events message for the healed job could not be published", job.job_id)
    return healed
