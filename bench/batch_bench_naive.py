"""The naive baseline of bench/batch_bench.py, as a function app: the real app's blueprints, except that the batch
evaluation job is one orchestration fanning out over every record of the run itself (no chunk sub-orchestrations).

It registers under the real job's orchestrator name, so POST /api/batches/{id}/run starts it through the real API
and job lifecycle. Same steps (plan, one activity per record, finish, save), same orchestrators/fan_out.py, and as
many record calls in flight as the real job keeps (CHUNKS_IN_FLIGHT x RECORDS_IN_FLIGHT); only the shape differs. The
bench runs it from a bench-only app directory whose function_app.py is `from bench.batch_bench_naive import app`.
Never deployed (bench/ is in .funcignore).
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from activities.batches import bp as batch_activities_bp
from activities.comparison import bp as comparison_activities_bp
from activities.jobs import bp as job_activities_bp
from activities.query import bp as query_activities_bp
from api.batches import bp as batches_bp
from api.contracts import bp as contracts_bp
from api.documents import bp as documents_bp
from api.health import bp as health_bp
from api.job_actions import bp as job_actions_bp
from api.job_status import bp as job_status_bp
from api.jobs import bp as jobs_bp
from api.results import bp as results_bp
from orchestrators.batch_evaluation import CHUNKS_IN_FLIGHT, RECORDS_IN_FLIGHT
from orchestrators.batch_staging import bp as batch_staging_orchestrator_bp
from orchestrators.fan_out import fan_out
from orchestrators.job_run import JobRun
from orchestrators.retry_policies import LLM_CALL
from shared.batches import names
from shared.batches.messages import BatchStepInput, EvaluateRecordInput, RunPlanned
from shared.jobs.messages import JobStarted, Outcome
from shared.jobs.models import JobRef, ProcessingStep

NAIVE_WINDOW = CHUNKS_IN_FLIGHT * RECORDS_IN_FLIGHT
"""Record calls in flight: as many as the real job keeps (its chunks in flight, each with its own window)."""

bp = df.Blueprint()


def naive_evaluation(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    run = JobRun(context, JobRef.model_validate(context.get_input()))
    return (yield from run.execute(lambda started: _steps(run, started)))


def _steps(run: JobRun, started: JobStarted) -> Generator[Any, Any, str]:
    ids = run.ids
    plan = yield from run.call(ProcessingStep.GENERATING_PROMPT, names.RUN_PLAN, JobRef(**ids), RunPlanned)
    size, total = plan.chunk_size, plan.records
    # The plan stored the record ids in chunks; record i is position i % size of chunk i // size.
    records = [
        EvaluateRecordInput(
            job_id=run.ref.job_id, user_id=run.ref.user_id, batch_id=plan.batch_id, chunk=i // size,
            position=i % size, total=total,
        )
        for i in range(total)
    ]  # fmt: skip
    yield from fan_out(
        run, ProcessingStep.CALLING_LLM, names.EVALUATE_RECORD, LLM_CALL, records, Outcome, window=NAIVE_WINDOW
    )
    batch = BatchStepInput(**ids, batch_id=plan.batch_id)
    yield from run.call(ProcessingStep.PROCESSING_RESULTS, names.RUN_FINISH, batch, Outcome)
    return (yield from run.save(names.SAVE))


@bp.function_name(names.EVALUATION_ORCHESTRATOR)
@bp.orchestration_trigger(context_name="context")
def naive_batch_evaluation_orchestrator(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    return (yield from naive_evaluation(context))


logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)  # as function_app.py
app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
for blueprint in (
    contracts_bp,
    documents_bp,
    batches_bp,
    health_bp,
    jobs_bp,
    job_status_bp,
    job_actions_bp,
    results_bp,
    batch_staging_orchestrator_bp,
    bp,  # instead of orchestrators/batch_evaluation.py's blueprint
    job_activities_bp,
    comparison_activities_bp,
    query_activities_bp,
    batch_activities_bp,
):
    app.register_functions(blueprint)
