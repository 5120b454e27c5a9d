"""Batch staging job: plan (snapshot the configuration, find the documents) → stage chunks of documents (bounded
fan-out) → finish (STAGED or FAILED_STAGING) → save. The steps are shared/batches/staging.py, reached through
activities/batches.py."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators.fan_out import fan_out
from orchestrators.job_run import JobRun
from orchestrators.retry_policies import STORAGE_STEP
from shared.batches import names
from shared.batches.messages import BatchStepInput, StageChunkInput, StagingPlanned
from shared.jobs.messages import JobStarted, Outcome
from shared.jobs.models import JobRef, ProcessingStep

bp = df.Blueprint()


def batch_staging_orchestration(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    run = JobRun(context, JobRef.model_validate(context.get_input()))
    return (yield from run.execute(lambda started: _steps(run, started)))


def _steps(run: JobRun, started: JobStarted) -> Generator[Any, Any, str]:
    ids = run.ids
    plan = yield from run.call(ProcessingStep.RETRIEVING_DATA, names.STAGE_PLAN, JobRef(**ids), StagingPlanned)
    size, total = plan.chunk_size, plan.documents
    chunks = [
        StageChunkInput(**ids, batch_id=plan.batch_id, chunk=c, chunk_size=size, total=total)
        for c in range((total + size - 1) // size)
    ]
    yield from fan_out(run, ProcessingStep.RETRIEVING_DATA, names.STAGE_DOCUMENTS, STORAGE_STEP, chunks, Outcome)
    batch = BatchStepInput(**ids, batch_id=plan.batch_id)
    yield from run.call(ProcessingStep.PROCESSING_RESULTS, names.STAGE_FINISH, batch, Outcome)
    return (yield from run.save(names.SAVE))


@bp.function_name(names.STAGING_ORCHESTRATOR)
@bp.orchestration_trigger(context_name="context")
def batch_staging_orchestrator(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    return (yield from batch_staging_orchestration(context))
