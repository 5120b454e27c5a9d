"""Waiting for a job to end, for a request that answers with the outcome when it comes soon enough (reprocess-staging,
like Durable's create-and-wait)."""

from __future__ import annotations

import asyncio

from shared.jobs.document import Job
from shared.jobs.service import JobService
from shared.jobs.stream_wakeups import stream_wakeups

POLL_SECONDS = 0.25
"""Between two reads of the job document when nothing in this process said it changed (its steps may run on
another instance); a change made in this process wakes the wait at once."""


async def wait_for_end(jobs: JobService, job: Job, seconds: float) -> Job:
    """The job once it has ended, or as it is when `seconds` have passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    with stream_wakeups().subscribe(job.user_id) as changes:
        while True:
            job = await asyncio.to_thread(jobs.get_job, job.user_id, job.job_id)
            left = deadline - loop.time()
            if job.status.is_terminal or left <= 0:
                return job
            await changes.wait(min(POLL_SECONDS, left))
