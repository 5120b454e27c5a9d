"""Query job: retrieve (chunks of contracts) → plan parts within the model's context → answer each part (map,
bounded fan-out) → combine (reduce, in rounds; none needed for one part) → finish → save.
The steps themselves are shared/query/steps.py, reached through activities/query.py.

The reduce is a tree: each round groups the answers so that every combine prompt fits the model's context (an
activity counts them exactly), combines each group in one call (fanned out like the map), and the round's answers
feed the next round until one remains. Only group sizes and small summaries pass through history.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators.fan_out import FAN_OUT_WINDOW, fan_out
from orchestrators.job_run import JobRun
from orchestrators.retry_policies import LLM_CALL, STORAGE_STEP
from shared.jobs.messages import JobStarted, Outcome
from shared.jobs.models import JobRef, ProcessingStep
from shared.query import names
from shared.query.messages import (
    AnswerPartInput,
    QueryCombineInput,
    QueryFinishInput,
    QueryGrouped,
    QueryGroupInput,
    QueryPlanned,
    QueryRetrieveInput,
)

bp = df.Blueprint()

RETRIEVE_CHUNK = 10
"""Contracts read per retrieve activity: progress moves as chunks finish, and no activity holds too many texts."""


def query_orchestration(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    """The orchestration as a plain generator (tests drive it with a fake context)."""
    run = JobRun(context, JobRef.model_validate(context.get_input()))
    return (yield from run.execute(lambda started: _steps(run, started)))


def _steps(run: JobRun, started: JobStarted) -> Generator[Any, Any, str]:
    ids, contract_ids = run.ids, started.contract_ids
    chunks = [contract_ids[i : i + RETRIEVE_CHUNK] for i in range(0, len(contract_ids), RETRIEVE_CHUNK)]
    reads = [QueryRetrieveInput(**ids, contract_ids=chunk, total=len(contract_ids)) for chunk in chunks]
    yield from fan_out(run, ProcessingStep.RETRIEVING_DATA, names.RETRIEVE, STORAGE_STEP, reads, Outcome)

    plan = yield from run.call(ProcessingStep.GENERATING_PROMPT, names.PLAN, JobRef(**ids), QueryPlanned)
    parts = [AnswerPartInput(**ids, part_index=i, parts_total=plan.parts) for i in range(plan.parts)]
    window = started.window or FAN_OUT_WINDOW
    yield from fan_out(run, ProcessingStep.CALLING_LLM, names.ANSWER_PART, LLM_CALL, parts, Outcome, window=window)

    levels = yield from _reduce(run, plan.parts, window)
    finish = QueryFinishInput(**ids, levels=levels)
    yield from run.call(ProcessingStep.PROCESSING_RESULTS, names.FINISH, finish, Outcome)
    return (yield from run.save(names.SAVE))


def _reduce(run: JobRun, parts: int, window: int) -> Generator[Any, Any, list[int]]:
    """Combine rounds until one answer remains; returns the answers per round (the tree's shape), parts first."""
    ids = run.ids
    levels = [parts]
    while levels[-1] > 1:
        level, count = len(levels) - 1, levels[-1]
        grouping = QueryGroupInput(**ids, level=level, count=count)
        grouped = yield from run.call(ProcessingStep.PROCESSING_RESULTS, names.GROUP, grouping, QueryGrouped)
        sizes = grouped.groups
        if sum(sizes) != count or len(sizes) >= count:  # the activity guarantees both; a loop must not hang on it
            raise ValueError(f"round {level + 1} grouped {count} answers as {sizes}")
        starts = [sum(sizes[:g]) for g in range(len(sizes))]
        combines = [
            QueryCombineInput(**ids, level=level + 1, index=g, first=first, count=size, round_total=count)
            for g, (first, size) in enumerate(zip(starts, sizes, strict=True))
        ]
        # A combine is a model call (a group of one passes through without one), so it gets the LLM policy.
        yield from fan_out(
            run, ProcessingStep.PROCESSING_RESULTS, names.COMBINE, LLM_CALL, combines, Outcome, window=window
        )
        levels.append(len(sizes))
    return levels


@bp.function_name(names.ORCHESTRATOR)
@bp.orchestration_trigger(context_name="context")
def query_orchestrator(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    return (yield from query_orchestration(context))
