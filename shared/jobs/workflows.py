"""Which workflow a job belongs to: its orchestrator and what it says before its first step.

The one place that knows every workflow; everything else reads the job's typed request.
"""

from __future__ import annotations

from shared.comparison import names as comparison_names
from shared.comparison import progress as comparison_progress
from shared.jobs.document import ComparisonJob, Job, QueryJob
from shared.jobs.models import JobProgress, JobType
from shared.query import names as query_names
from shared.query import progress as query_progress

ORCHESTRATOR_BY_JOB_TYPE: dict[JobType, str] = {
    JobType.COMPARISON: comparison_names.ORCHESTRATOR,
    JobType.QUERY: query_names.ORCHESTRATOR,
}


def first_progress(job: Job) -> JobProgress:
    """The progress a job has once started: its first step."""
    if isinstance(job, ComparisonJob):
        return comparison_progress.retrieving(len(job.request.compareContractIds))
    if isinstance(job, QueryJob):
        return query_progress.retrieving(0, len(job.request.contract_ids))
    raise TypeError(f"no workflow for job type {job.job_type!r}")
