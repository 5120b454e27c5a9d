"""Comparison job: retrieve → prompt → one model call per compared contract (bounded fan-out) → enhance → save.
The steps themselves are shared/comparison/steps.py, reached through activities/comparison.py."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators.fan_out import FAN_OUT_WINDOW, fan_out
from orchestrators.job_run import JobRun
from orchestrators.retry_policies import LLM_CALL
from shared.comparison import names
from shared.comparison.messages import CompareContractInput
from shared.jobs.messages import JobStarted, Outcome
from shared.jobs.models import JobRef, ProcessingStep

bp = df.Blueprint()


def comparison_orchestration(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    """The orchestration as a plain generator (tests drive it with a fake context)."""
    run = JobRun(context, JobRef.model_validate(context.get_input()))
    return (yield from run.execute(lambda started: _steps(run, started)))


def _steps(run: JobRun, started: JobStarted) -> Generator[Any, Any, str]:
    ref = JobRef(**run.ids)
    compared = started.contract_ids
    yield from run.call(ProcessingStep.RETRIEVING_DATA, names.RETRIEVE, ref, Outcome)
    yield from run.call(ProcessingStep.GENERATING_PROMPT, names.PROMPT, ref, Outcome)
    calls = [CompareContractInput(**run.ids, contract_id=cid, items_total=len(compared)) for cid in compared]
    window = started.window or FAN_OUT_WINDOW
    yield from fan_out(run, ProcessingStep.CALLING_LLM, names.COMPARE, LLM_CALL, calls, Outcome, window=window)
    yield from run.call(ProcessingStep.PROCESSING_RESULTS, names.ENHANCE, ref, Outcome)
    return (yield from run.save(names.SAVE))


@bp.function_name(names.ORCHESTRATOR)
@bp.orchestration_trigger(context_name="context")
def comparison_orchestrator(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    return (yield from comparison_orchestration(context))
