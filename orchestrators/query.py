"""Query job: retrieve (chunks of contracts) → plan parts within the model's context → answer each part (map,
bounded fan-out) → combine (reduce, in rounds; none needed for one part) → save.

The reduce is a tree: each round groups the answers so that every combine prompt fits the model's context (an
activity counts them exactly), combines each group in one call (fanned out like the map), and the round's answers
feed the next round until one remains. Only group sizes and small summaries pass through history.
"""

from __future__ import annotations

import functools
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
    QueryFinished,
    QueryFinishInput,
    QueryGrouped,
    QueryGroupInput,
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

    levels = yield from _reduce(run, plan.parts)
    yield from run.call(
        ProcessingStep.PROCESSING_RESULTS, names.QUERY_FINISH, STORAGE_STEP,
        QueryFinishInput(**ids, levels=levels), QueryFinished,
    )  # fmt: skip

    return (yield from run.save(names.QUERY_SAVE, JobType.QUERY))


def _reduce(run: JobRun, parts: int) -> Generator[Any, Any, list[int]]:
    """Combine rounds until one answer remains; returns the answers per round (the tree's shape), parts first."""
    job_id, ids = run.ref.job_id, run.ids
    levels = [parts]
    if parts == 1:
        yield from run.report(progress.checking(job_id))
    while levels[-1] > 1:
        level, count = len(levels) - 1, levels[-1]
        yield from run.report(progress.combining(job_id, level + 1, 0, count))
        grouped = yield from run.call(
            ProcessingStep.PROCESSING_RESULTS, names.QUERY_GROUP, STORAGE_STEP,
            QueryGroupInput(**ids, level=level, count=count), QueryGrouped,
        )  # fmt: skip
        sizes = grouped.groups
        if sum(sizes) != count or len(sizes) >= count:  # the activity guarantees both; a loop must not hang on it
            raise ValueError(f"round {level + 1} grouped {count} answers as {sizes}")
        starts = [sum(sizes[:g]) for g in range(len(sizes))]
        # A combine is an LLM call (a group of one passes through without one), so it gets the LLM policy.
        yield from run.fan_out(
            ProcessingStep.PROCESSING_RESULTS, names.QUERY_COMBINE, LLM_CALL,
            [
                QueryCombineInput(**ids, level=level + 1, index=g, first=first, count=size)
                for g, (first, size) in enumerate(zip(starts, sizes, strict=True))
            ],
            QueryCombined,
            functools.partial(progress.combining, job_id, level + 1),
            weights=sizes,
        )  # fmt: skip
        levels.append(len(sizes))
    return levels


@bp.function_name(QUERY_ORCHESTRATOR)
@bp.orchestration_trigger(context_name="context")
def query_orchestrator(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    return (yield from query_orchestration(context))
