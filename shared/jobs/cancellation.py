"""Cancelling a job: the one way a job is stopped, for POST /api/jobs/{id}/cancel and for a batch's cancel.

Cancel is cooperative. The job document is the authority: it is marked cancelled first (a job that already ended
is a 409), and every activity checks it before it calls the model. The external event only wakes the orchestrator,
so it stops scheduling work now rather than at its next step; an event that cannot be delivered changes nothing
that matters.
"""

from __future__ import annotations

import asyncio
import logging

from shared.jobs.document import Job
from shared.jobs.names import CANCEL_EVENT
from shared.jobs.service import JobService
from shared.jobs.submission import OrchestrationClient

logger = logging.getLogger(__name__)

USER_REASON = "Cancelled by user"


async def cancel_job(
    client: OrchestrationClient, jobs: JobService, user_id: str, job_id: str, reason: str = USER_REASON
) -> Job:
    """Mark the job cancelled (NotFoundError for an unknown or foreign job, ConflictError once it has ended), then
    raise the cancel event on its orchestration."""
    job = await asyncio.to_thread(jobs.cancel, user_id, job_id, reason=reason)
    if job.instance_id:
        try:
            await client.raise_event(job.instance_id, CANCEL_EVENT, {"reason": reason})
        except Exception:
            logger.warning("job %s: cancel event not delivered; activities will see the status", job_id)
    return job
