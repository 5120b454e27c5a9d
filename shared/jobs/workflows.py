"""Which workflow a job belongs to: its orchestrator, what it says before its first step, what must hold before it
may start, and what its end means for the objects it works on.

The one place that knows every workflow; everything else reads the job's typed request.
"""

from __future__ import annotations

from shared.batches import names as batch_names
from shared.batches import progress as batch_progress
from shared.batches.models import BatchStatus
from shared.batches.request import EvaluationJobRequest, StagingJobRequest, ensure_mode_available
from shared.batches.service import CAN_RESTAGE, CAN_RUN, CAN_STAGE, BatchService, ensure_can
from shared.comparison import names as comparison_names
from shared.comparison import progress as comparison_progress
from shared.comparison.findings import check_selection
from shared.comparison.request import ComparisonJobRequest
from shared.jobs import titles
from shared.jobs.document import BatchEvaluationJob, BatchStagingJob, ComparisonJob, Job, JobRequest, QueryJob
from shared.jobs.models import JobProgress, JobStatus, JobType
from shared.limits import ensure_batch_fits
from shared.query import names as query_names
from shared.query import progress as query_progress
from shared.settings import get_settings
from shared.storage.base import Repositories

ORCHESTRATOR_BY_JOB_TYPE: dict[JobType, str] = {
    JobType.COMPARISON: comparison_names.ORCHESTRATOR,
    JobType.QUERY: query_names.ORCHESTRATOR,
    JobType.BATCH_STAGING: batch_names.STAGING_ORCHESTRATOR,
    JobType.BATCH_EVALUATION: batch_names.EVALUATION_ORCHESTRATOR,
}


def first_progress(job: Job) -> JobProgress:
    """The progress a job has once started: its first step."""
    if isinstance(job, ComparisonJob):
        return comparison_progress.retrieving(len(job.request.compareContractIds))
    if isinstance(job, QueryJob):
        return query_progress.retrieving(0, len(job.request.contract_ids))
    if isinstance(job, BatchStagingJob):
        return batch_progress.finding(1)
    if isinstance(job, BatchEvaluationJob):
        return batch_progress.selecting()
    raise TypeError(f"no workflow for job type {job.job_type!r}")


def check_startable(repos: Repositories, user_id: str, request: JobRequest) -> None:
    """What must hold before a job is created (bad input creates nothing): a comparison's selected clauses exist
    in its standard; a batch is in a state that lets it be staged or run (409 otherwise), and one to stage has no
    more records than MAX_RECORDS_PER_BATCH (422)."""
    if isinstance(request, ComparisonJobRequest):
        check_selection(repos.contracts, user_id, request)
    elif isinstance(request, StagingJobRequest):
        batch = BatchService(repos.batches).get(user_id, request.batch_id)
        if request.reprocess:
            ensure_can(batch, "re-staged", CAN_RESTAGE)
        else:
            ensure_can(batch, "staged", CAN_STAGE)
        # What staging will snapshot: the batch's own snapshot when re-staging, else its configuration (422).
        staged = batch.snapshot if request.reprocess and batch.snapshot is not None else batch.config
        ensure_batch_fits(repos, user_id, staged.folders, len(staged.prompts))
    elif isinstance(request, EvaluationJobRequest):
        ensure_mode_available(request.mode, get_settings().llm_provider)  # economy needs a Batch API (422)
        ensure_can(BatchService(repos.batches).get(user_id, request.batch_id), "run", CAN_RUN)


def job_title(repos: Repositories, user_id: str, request: JobRequest) -> str:
    """The job's title, read when it is submitted (shared/jobs/titles.py words it): the standard's title and the
    compared contract's (or how many), the question's first words, the batch's name."""
    if isinstance(request, ComparisonJobRequest):
        standard = repos.contracts.get(user_id, request.standardContractId).title
        compared = request.compareContractIds
        if len(compared) == 1:
            return titles.comparison_title(standard, [repos.contracts.get(user_id, compared[0]).title])
        return titles.comparison_title(standard, len(compared))
    if isinstance(request, StagingJobRequest | EvaluationJobRequest):
        return titles.batch_title(request, BatchService(repos.batches).get(user_id, request.batch_id).name)
    return titles.fallback_title(request)  # a question's title is its own first words


def on_finished(repos: Repositories, job: Job) -> None:
    """A batch job that ended cancelled or failed leaves its batch CANCELLED, FAILED or FAILED_STAGING (with every
    record and answer kept); a completed one has set the batch's status itself."""
    if not isinstance(job, BatchStagingJob | BatchEvaluationJob) or job.status is JobStatus.COMPLETED:
        return
    status = BatchStatus.CANCELLED if job.status is JobStatus.CANCELLED else BatchStatus.FAILED
    BatchService(repos.batches).end_unfinished(job.user_id, job.request.batch_id, job.job_id, status)
