"""Batch evaluation job: plan (the records to run: QUEUED and F) → one sub-orchestration per chunk of records
(bounded fan-out), each evaluating its records (bounded fan-out of one activity per record) → finish (summary,
status) → save. The steps are shared/batches/running.py, reached through activities/batches.py.

Chunks keep every instance's history small however large the batch: the job's own history grows with the number
of chunks, a chunk's with its BATCH_RUN_CHUNK records.

A run in mode "economy" sends the planned records through the Batch API instead (orchestrators/batch_economy.py),
then finishes and saves the same way.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators.batch_economy import economy_steps
from orchestrators.fan_out import FAN_OUT_WINDOW, fan_out
from orchestrators.job_run import JobCancelled, JobRun
from orchestrators.retry_policies import LLM_CALL, SUB_ORCHESTRATION
from shared.batches import names
from shared.batches.messages import BatchStepInput, ChunkInput, EvaluateRecordInput, RunPlanned
from shared.jobs.messages import JobStarted, Outcome
from shared.jobs.models import JobRef, ProcessingStep

bp = df.Blueprint()

CHUNKS_IN_FLIGHT = 4
"""Chunks running at once; each keeps its own window of record calls in flight."""


def batch_evaluation_orchestration(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    run = JobRun(context, JobRef.model_validate(context.get_input()))
    return (yield from run.execute(lambda started: _steps(run, started)))


def _steps(run: JobRun, started: JobStarted) -> Generator[Any, Any, str]:
    ids = run.ids
    plan = yield from run.call(ProcessingStep.GENERATING_PROMPT, names.RUN_PLAN, JobRef(**ids), RunPlanned)
    if plan.mode == "economy":
        yield from economy_steps(run, plan)
    else:
        yield from _chunks(run, plan)
    batch = BatchStepInput(**ids, batch_id=plan.batch_id)
    yield from run.call(ProcessingStep.PROCESSING_RESULTS, names.RUN_FINISH, batch, Outcome)
    return (yield from run.save(names.SAVE))


def _chunks(run: JobRun, plan: RunPlanned) -> Generator[Any, Any, None]:
    ids, size, total = run.ids, plan.chunk_size, plan.records
    chunks = [
        ChunkInput(
            **ids, batch_id=plan.batch_id, chunk=c, size=min(size, total - c * size), total=total,
            per_call=plan.records_per_call,
        )
        for c in range((total + size - 1) // size)
    ]  # fmt: skip
    yield from fan_out(
        run, ProcessingStep.CALLING_LLM, names.CHUNK_ORCHESTRATOR, SUB_ORCHESTRATION, chunks, Outcome,
        window=CHUNKS_IN_FLIGHT, sub_orchestrations=True,
    )  # fmt: skip


def batch_chunk_orchestration(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    """One chunk of a run's records: each activity call evaluates `per_call` of them, with FAN_OUT_WINDOW records
    in flight (at least one call). A record's failure marks that record F and the chunk goes on; a cancelled job
    ends the chunk `skipped`."""
    chunk = ChunkInput.model_validate(context.get_input())
    run = JobRun(context, JobRef(job_id=chunk.job_id, user_id=chunk.user_id))
    per_call = chunk.per_call
    calls = [
        EvaluateRecordInput(
            job_id=chunk.job_id, user_id=chunk.user_id, batch_id=chunk.batch_id, chunk=chunk.chunk, position=p,
            total=chunk.total, count=min(per_call, chunk.size - p),
        )
        for p in range(0, chunk.size, per_call)
    ]  # fmt: skip
    window = max(1, FAN_OUT_WINDOW // per_call)
    try:
        yield from fan_out(
            run, ProcessingStep.CALLING_LLM, names.EVALUATE_RECORD, LLM_CALL, calls, Outcome, window=window
        )
    except JobCancelled:
        return {"status": "skipped"}
    return {"status": "ok"}


@bp.function_name(names.EVALUATION_ORCHESTRATOR)
@bp.orchestration_trigger(context_name="context")
def batch_evaluation_orchestrator(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    return (yield from batch_evaluation_orchestration(context))


@bp.function_name(names.CHUNK_ORCHESTRATOR)
@bp.orchestration_trigger(context_name="context")
def batch_chunk_orchestrator(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    return (yield from batch_chunk_orchestration(context))
