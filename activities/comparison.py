"""Comparison job activities: thin adapters over shared/comparison/steps.py."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from activities.support import run_step
from shared.analysis.factory import get_analyzer
from shared.comparison import names, steps
from shared.comparison.messages import CompareContractInput
from shared.jobs.models import JobRef, ProcessingStep
from shared.settings import get_settings

bp = df.Blueprint()


@bp.function_name(names.RETRIEVE)
@bp.activity_trigger(input_name="payload")
def comparison_retrieve(payload: dict[str, Any]) -> dict[str, Any]:
    return run_step(names.RETRIEVE, ProcessingStep.RETRIEVING_DATA, JobRef.model_validate(payload), steps.retrieve)


@bp.function_name(names.PROMPT)
@bp.activity_trigger(input_name="payload")
def comparison_prompt(payload: dict[str, Any]) -> dict[str, Any]:
    reserve = get_settings().llm_max_output_tokens
    return run_step(
        names.PROMPT,
        ProcessingStep.GENERATING_PROMPT,
        JobRef.model_validate(payload),
        lambda scope: steps.prompt(scope, get_analyzer(), reserve),
    )


@bp.function_name(names.COMPARE)
@bp.activity_trigger(input_name="payload")
def comparison_compare_contract(payload: dict[str, Any]) -> dict[str, Any]:
    data = CompareContractInput.model_validate(payload)
    return run_step(
        names.COMPARE,
        ProcessingStep.CALLING_LLM,
        data,
        lambda scope: steps.compare_one(scope, get_analyzer(), data.contract_id, data.items_total),
    )


@bp.function_name(names.ENHANCE)
@bp.activity_trigger(input_name="payload")
def comparison_enhance(payload: dict[str, Any]) -> dict[str, Any]:
    return run_step(names.ENHANCE, ProcessingStep.PROCESSING_RESULTS, JobRef.model_validate(payload), steps.enhance)


@bp.function_name(names.SAVE)
@bp.activity_trigger(input_name="payload")
def comparison_save(payload: dict[str, Any]) -> dict[str, Any]:
    return run_step(names.SAVE, ProcessingStep.SAVING_RESULTS, JobRef.model_validate(payload), steps.save)
