"""Batch evaluation job: plan (the records to run: QUEUED and F) → one sub-orchestration per chunk of records
(bounded fan-out), each evaluating its records (a bounded fan-out of activity calls, several records each) → finish
(summary, status) → save. The steps are shared/batches/running.py, reached through activities/batches.py.

Chunks keep every instance's history small however large the batch: a chunk's grows with its BATCH_RUN_CHUNK
records, and the job's own with its chunks, so the job continues as new every CHUNKS_PER_GENERATION chunks,
carrying only ids and counts (RunGeneration): no execution's history holds more than a generation's chunks. The
chunk instances keep their numbers across executions (`<job id>:batch_chunk_orchestrator:<chunk>`); a cancel, a
failure and a crash end or resume any execution the same way as the first.

A run in mode "economy" sends the planned records through the Batch API instead (orchestrators/batch_economy.py),
then finishes and saves the same way.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators.batch_economy import economy_steps
from orchestrators.fan_out import fan_out
from orchestrators.job_run import JobCancelled, JobRun
from orchestrators.retry_policies import LLM_CALL, SUB_ORCHESTRATION
from shared.batches import names
from shared.batches.messages import BatchStepInput, ChunkInput, EvaluateRecordInput, RunGeneration, RunPlanned
from shared.jobs.messages import JobStarted, Outcome
from shared.jobs.models import JobRef, ProcessingStep

bp = df.Blueprint()

CHUNKS_IN_FLIGHT = 4
"""Chunks running at once; each keeps its own window of record calls in flight."""

RECORDS_IN_FLIGHT = 8
"""Records a chunk has in flight (at least one activity call): with CHUNKS_IN_FLIGHT, 32 a job. A batch is bulk work:
what it does not start now waits in the plan rather than in the quota scheduler's queue, and a cancel stops it."""

CHUNKS_PER_GENERATION = 40
"""Chunks one execution of the job's instance runs before it continues as new: its history stays under ~50 KB
(about 1.2 KB per chunk) however large the batch, and the chunks still in flight when a generation drains are few
beside the 40 it ran."""

Steps = Generator[Any, Any, Any]


def batch_evaluation_orchestration(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    given = context.get_input()
    if isinstance(given, dict) and "next_chunk" in given:  # a later execution: the job continued as new
        state = RunGeneration.model_validate(given)
        run = JobRun(context, JobRef(job_id=state.job_id, user_id=state.user_id))
        return (yield from run.resume(lambda: _generation(run, state, CHUNKS_PER_GENERATION), state.progress))
    run = JobRun(context, JobRef.model_validate(given))
    return (yield from run.execute(lambda started: _steps(run, started)))


def _steps(run: JobRun, started: JobStarted) -> Steps:
    ids = run.ids
    plan = yield from run.call(ProcessingStep.GENERATING_PROMPT, names.RUN_PLAN, JobRef(**ids), RunPlanned)
    if plan.mode == "economy":
        yield from economy_steps(run, plan)
        return (yield from _finish(run, plan.batch_id))
    if plan.records == 0:
        return (yield from _finish(run, plan.batch_id))
    state = RunGeneration(
        job_id=run.ref.job_id, user_id=run.ref.user_id, batch_id=plan.batch_id, records=plan.records,
        chunk_size=plan.chunk_size, records_per_call=plan.records_per_call, next_chunk=0,
    )  # fmt: skip
    # A plan from before generations runs every chunk in this execution, as it did when its instance started.
    return (yield from _generation(run, state, CHUNKS_PER_GENERATION if plan.generations else None))


def _generation(run: JobRun, state: RunGeneration, per_generation: int | None) -> Steps:
    """Chunks `state.next_chunk` on, `per_generation` of them (None: all); then the next execution, or the end."""
    size, total = state.chunk_size, state.records
    first, chunks = state.next_chunk, (total + size - 1) // size
    last = chunks if per_generation is None else min(first + per_generation, chunks)
    payloads = [
        ChunkInput(
            job_id=state.job_id, user_id=state.user_id, batch_id=state.batch_id, chunk=c,
            size=min(size, total - c * size), total=total, per_call=state.records_per_call,
        )
        for c in range(first, last)
    ]  # fmt: skip
    yield from fan_out(
        run, ProcessingStep.CALLING_LLM, names.CHUNK_ORCHESTRATOR, SUB_ORCHESTRATION, payloads, Outcome,
        window=CHUNKS_IN_FLIGHT, sub_orchestrations=True, first_key=first,
    )  # fmt: skip
    if last < chunks:
        return run.continue_as_new(state.model_copy(update={"next_chunk": last, "progress": run.shown}))
    return (yield from _finish(run, state.batch_id))


def _finish(run: JobRun, batch_id: str) -> Steps:
    batch = BatchStepInput(**run.ids, batch_id=batch_id)
    yield from run.call(ProcessingStep.PROCESSING_RESULTS, names.RUN_FINISH, batch, Outcome)
    return (yield from run.save(names.SAVE))


def batch_chunk_orchestration(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    """One chunk of a run's records: each activity call evaluates `per_call` of them, with RECORDS_IN_FLIGHT records
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
    window = max(1, RECORDS_IN_FLIGHT // per_call)
    try:
        yield from fan_out(
            run, ProcessingStep.CALLING_LLM, names.EVALUATE_RECORD, LLM_CALL, calls, Outcome, window=window
        )
    except JobCancelled:
        return {"status": "skipped"}
    # The progress its last call recorded: the job's own custom status moves on chunk by chunk too.
    return {"status": "ok", "progress": None if run.shown is None else run.shown.model_dump(mode="json")}


@bp.function_name(names.EVALUATION_ORCHESTRATOR)
@bp.orchestration_trigger(context_name="context")
def batch_evaluation_orchestrator(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    return (yield from batch_evaluation_orchestration(context))


@bp.function_name(names.CHUNK_ORCHESTRATOR)
@bp.orchestration_trigger(context_name="context")
def batch_chunk_orchestrator(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    return (yield from batch_chunk_orchestration(context))
