"""Query job: retrieve (chunks of contracts) → plan parts within the model's context → answer each part (map,
bounded fan-out) → combine (reduce; none needed for one part) → save."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from activities import names
from orchestrators import progress
from orchestrators.names import QUERY_ORCHESTRATOR
from orchestrators.retry_policies import LLM_CALL, STORAGE_STEP
from orchestrators.runner import JobRun
from shared.models.jobs import JobRef, JobType, ProcessingStep
from shared.pipeline.messages import (
    AnswerPartInput,
    ItemAnalyzed,
    JobStarted,
    QueryCombined,
    QueryCombineInput,
    QueryPlanInput,
    QueryPlanned,
    QueryRetrieved,
    QueryRetrieveInput,
)

bp = df.Blueprint()

RETRIEVE_CHUNK = 10
"""Contracts read per retrieve activity: progress moves as chunks finish, and no activity holds too many texts."""


def query_orchestration(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    """The orchestration as a plain generator (tests drive it with a fake context)."""
    ref = JobRef.model_validate(context.get_input())
    run = JobRun(context, ref)
    return (yield from run.execute(lambda started: _steps(run, started)))


def _steps(run: JobRun, started: JobStarted) -> Generator[Any, Any, str]:
    job_id, ids = run.ref.job_id, run.ids
    contract_ids = started.contract_ids

    yield from run.report(progress.query_retrieving(job_id, 0, len(contract_ids)))
    chunks = [contract_ids[i : i + RETRIEVE_CHUNK] for i in range(0, len(contract_ids), RETRIEVE_CHUNK)]
    yield from run.fan_out(
        ProcessingStep.RETRIEVING_DATA, names.QUERY_RETRIEVE, STORAGE_STEP,
        [QueryRetrieveInput(**ids, contract_ids=chunk) for chunk in chunks], QueryRetrieved,
        lambda done, of: progress.query_retrieving(job_id, done, of), weights=[len(c) for c in chunks],
    )  # fmt: skip

    yield from run.report(progress.query_planning(job_id, len(contract_ids)))
    plan = yield from run.call(
        ProcessingStep.GENERATING_PROMPT, names.QUERY_PLAN, STORAGE_STEP, QueryPlanInput(**ids), QueryPlanned
    )

    yield from run.report(progress.answering(job_id, 0, plan.parts))
    yield from run.fan_out(
        ProcessingStep.CALLING_LLM, names.QUERY_ANSWER_PART, LLM_CALL,
        [AnswerPartInput(**ids, part_index=i, parts_total=plan.parts) for i in range(plan.parts)], ItemAnalyzed,
        lambda done, of: progress.answering(job_id, done, of),
    )  # fmt: skip

    yield from run.report(progress.combining(job_id, plan.parts))
    # The reduce is an LLM call when there are several parts, so it gets the LLM policy.
    yield from run.call(
        ProcessingStep.PROCESSING_RESULTS, names.QUERY_COMBINE, LLM_CALL,
        QueryCombineInput(**ids, parts_total=plan.parts), QueryCombined,
    )  # fmt: skip

    return (yield from run.save(names.QUERY_SAVE, JobType.QUERY))


@bp.function_name(QUERY_ORCHESTRATOR)
@bp.orchestration_trigger(context_name="context")
def query_orchestrator(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    return (yield from query_orchestration(context))
