"""Comparison job: retrieve → prompt → one LLM call per compared contract (bounded fan-out) → enhance → save."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from activities import names
from orchestrators import progress
from orchestrators.names import COMPARISON_ORCHESTRATOR
from orchestrators.retry_policies import LLM_CALL, STORAGE_STEP
from orchestrators.runner import JobRun
from shared.models.jobs import JobRef, JobType, ProcessingStep
from shared.pipeline.messages import (
    CompareContractInput,
    ComparisonEnhanced,
    ComparisonPrompted,
    ComparisonRetrieved,
    ComparisonStepInput,
    ItemAnalyzed,
    JobStarted,
)

bp = df.Blueprint()


def comparison_orchestration(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    """The orchestration as a plain generator (tests drive it with a fake context)."""
    ref = JobRef.model_validate(context.get_input())
    run = JobRun(context, ref)
    return (yield from run.execute(lambda started: _steps(run, started)))


def _steps(run: JobRun, started: JobStarted) -> Generator[Any, Any, str]:
    job_id, ids = run.ref.job_id, run.ids
    total = len(started.contract_ids)

    yield from run.report(progress.comparison_retrieving(job_id, total))
    yield from run.call(
        ProcessingStep.RETRIEVING_DATA, names.COMPARISON_RETRIEVE, STORAGE_STEP, ComparisonStepInput(**ids),
        ComparisonRetrieved,
    )  # fmt: skip

    yield from run.report(progress.comparison_prompting(job_id, total))
    prompted = yield from run.call(
        ProcessingStep.GENERATING_PROMPT, names.COMPARISON_PROMPT, STORAGE_STEP, ComparisonStepInput(**ids),
        ComparisonPrompted,
    )  # fmt: skip

    compared = prompted.contract_ids
    yield from run.report(progress.comparing(job_id, 0, len(compared)))
    calls = [
        CompareContractInput(**ids, contract_id=cid, item_index=i, items_total=len(compared))
        for i, cid in enumerate(compared)
    ]
    yield from run.fan_out(
        ProcessingStep.CALLING_LLM, names.COMPARISON_COMPARE, LLM_CALL, calls, ItemAnalyzed,
        lambda done, of: progress.comparing(job_id, done, of),
    )  # fmt: skip

    yield from run.report(progress.comparison_processing(job_id, len(compared)))
    yield from run.call(
        ProcessingStep.PROCESSING_RESULTS, names.COMPARISON_ENHANCE, STORAGE_STEP, ComparisonStepInput(**ids),
        ComparisonEnhanced,
    )  # fmt: skip

    return (yield from run.save(names.COMPARISON_SAVE, JobType.COMPARISON))


@bp.function_name(COMPARISON_ORCHESTRATOR)
@bp.orchestration_trigger(context_name="context")
def comparison_orchestrator(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    return (yield from comparison_orchestration(context))
