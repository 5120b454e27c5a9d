"""Batch staging job: plan (snapshot the configuration, find the documents) → stage chunks of documents (bounded
fan-out) → finish (STAGED or FAILED_STAGING) → save. The steps are shared/batches/staging.py, reached through
activities/batches.py.

Like the evaluation job, it continues as new every CHUNKS_PER_GENERATION chunks (StagingGeneration: ids and counts),
so a folder of 10,000 documents never makes one history of a thousand calls."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators.fan_out import fan_out
from orchestrators.job_run import JobRun
from orchestrators.retry_policies import STORAGE_STEP
from shared.batches import names
from shared.batches.messages import BatchStepInput, StageChunkInput, StagingGeneration, StagingPlanned
from shared.jobs.messages import JobStarted, Outcome
from shared.jobs.models import JobRef, ProcessingStep

CHUNKS_PER_GENERATION = 40
"""Staging calls (BATCH_STAGE_CHUNK documents each) one execution makes before it continues as new."""

Steps = Generator[Any, Any, Any]

bp = df.Blueprint()


def batch_staging_orchestration(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    given = context.get_input()
    if isinstance(given, dict) and "next_chunk" in given:  # a later execution: the job continued as new
        state = StagingGeneration.model_validate(given)
        run = JobRun(context, JobRef(job_id=state.job_id, user_id=state.user_id))
        return (yield from run.resume(lambda: _generation(run, state), state.progress))
    run = JobRun(context, JobRef.model_validate(given))
    return (yield from run.execute(lambda started: _steps(run, started)))


def _steps(run: JobRun, started: JobStarted) -> Steps:
    plan = yield from run.call(ProcessingStep.RETRIEVING_DATA, names.STAGE_PLAN, JobRef(**run.ids), StagingPlanned)
    if plan.documents == 0:
        return (yield from _finish(run, plan.batch_id))
    state = StagingGeneration(
        job_id=run.ref.job_id, user_id=run.ref.user_id, batch_id=plan.batch_id, documents=plan.documents,
        chunk_size=plan.chunk_size, next_chunk=0,
    )  # fmt: skip
    return (yield from _generation(run, state))


def _generation(run: JobRun, state: StagingGeneration) -> Steps:
    size, total = state.chunk_size, state.documents
    first, chunks = state.next_chunk, (total + size - 1) // size
    last = min(first + CHUNKS_PER_GENERATION, chunks)
    payloads = [
        StageChunkInput(**run.ids, batch_id=state.batch_id, chunk=c, chunk_size=size, total=total)
        for c in range(first, last)
    ]
    yield from fan_out(run, ProcessingStep.RETRIEVING_DATA, names.STAGE_DOCUMENTS, STORAGE_STEP, payloads, Outcome)
    if last < chunks:
        return run.continue_as_new(state.model_copy(update={"next_chunk": last, "progress": run.shown}))
    return (yield from _finish(run, state.batch_id))


def _finish(run: JobRun, batch_id: str) -> Steps:
    batch = BatchStepInput(**run.ids, batch_id=batch_id)
    yield from run.call(ProcessingStep.PROCESSING_RESULTS, names.STAGE_FINISH, batch, Outcome)
    return (yield from run.save(names.SAVE))


@bp.function_name(names.STAGING_ORCHESTRATOR)
@bp.orchestration_trigger(context_name="context")
def batch_staging_orchestrator(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    return (yield from batch_staging_orchestration(context))
