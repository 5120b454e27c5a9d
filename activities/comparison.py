"""Comparison job activities: thin adapters over shared/pipeline/comparison_steps.py."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from activities import names
from activities.support import guarded, job_scope
from shared.analysis.factory import get_analyzer
from shared.models.jobs import ProcessingStep
from shared.pipeline import comparison_steps as steps
from shared.pipeline.messages import (
    CompareContractInput,
    ComparisonEnhanced,
    ComparisonPrompted,
    ComparisonRetrieved,
    ComparisonStepInput,
    ItemAnalyzed,
    ResultSaved,
    SaveResultInput,
)
from shared.settings import get_settings

bp = df.Blueprint()


@bp.function_name(names.COMPARISON_RETRIEVE)
@bp.activity_trigger(input_name="payload")
def comparison_retrieve(payload: dict[str, Any]) -> dict[str, Any]:
    data = ComparisonStepInput.model_validate(payload)
    return guarded(ProcessingStep.RETRIEVING_DATA, ComparisonRetrieved, lambda: steps.retrieve(job_scope(data)))


@bp.function_name(names.COMPARISON_PROMPT)
@bp.activity_trigger(input_name="payload")
def comparison_prompt(payload: dict[str, Any]) -> dict[str, Any]:
    data = ComparisonStepInput.model_validate(payload)
    reserve = get_settings().llm_max_output_tokens
    return guarded(
        ProcessingStep.GENERATING_PROMPT,
        ComparisonPrompted,
        lambda: steps.prompt(job_scope(data), get_analyzer(), reserve),
    )


@bp.function_name(names.COMPARISON_COMPARE)
@bp.activity_trigger(input_name="payload")
def comparison_compare_contract(payload: dict[str, Any]) -> dict[str, Any]:
    data = CompareContractInput.model_validate(payload)
    return guarded(
        ProcessingStep.CALLING_LLM,
        ItemAnalyzed,
        lambda: steps.compare_one(job_scope(data), get_analyzer(), data.contract_id),
    )


@bp.function_name(names.COMPARISON_ENHANCE)
@bp.activity_trigger(input_name="payload")
def comparison_enhance(payload: dict[str, Any]) -> dict[str, Any]:
    data = ComparisonStepInput.model_validate(payload)
    return guarded(ProcessingStep.PROCESSING_RESULTS, ComparisonEnhanced, lambda: steps.enhance(job_scope(data)))


@bp.function_name(names.COMPARISON_SAVE)
@bp.activity_trigger(input_name="payload")
def comparison_save(payload: dict[str, Any]) -> dict[str, Any]:
    data = SaveResultInput.model_validate(payload)
    return guarded(ProcessingStep.SAVING_RESULTS, ResultSaved, lambda: steps.save(job_scope(data)))
