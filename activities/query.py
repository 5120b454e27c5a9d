"""Query job activities: thin adapters over shared/pipeline/query_steps.py."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from activities import names
from activities.support import guarded, job_scope
from shared.analysis.factory import get_analyzer
from shared.models.jobs import ProcessingStep
from shared.pipeline import query_steps as steps
from shared.pipeline.messages import (
    AnswerPartInput,
    ItemAnalyzed,
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
    ResultSaved,
    SaveResultInput,
)
from shared.settings import get_settings

bp = df.Blueprint()


@bp.function_name(names.QUERY_RETRIEVE)
@bp.activity_trigger(input_name="payload")
def query_retrieve(payload: dict[str, Any]) -> dict[str, Any]:
    data = QueryRetrieveInput.model_validate(payload)
    return guarded(
        ProcessingStep.RETRIEVING_DATA, QueryRetrieved, lambda: steps.retrieve_chunk(job_scope(data), data.contract_ids)
    )


@bp.function_name(names.QUERY_PLAN)
@bp.activity_trigger(input_name="payload")
def query_plan(payload: dict[str, Any]) -> dict[str, Any]:
    data = QueryPlanInput.model_validate(payload)
    reserve = get_settings().llm_max_output_tokens
    return guarded(
        ProcessingStep.GENERATING_PROMPT, QueryPlanned, lambda: steps.plan(job_scope(data), get_analyzer(), reserve)
    )


@bp.function_name(names.QUERY_ANSWER_PART)
@bp.activity_trigger(input_name="payload")
def query_answer_part(payload: dict[str, Any]) -> dict[str, Any]:
    data = AnswerPartInput.model_validate(payload)
    return guarded(
        ProcessingStep.CALLING_LLM,
        ItemAnalyzed,
        lambda: steps.answer_part(job_scope(data), get_analyzer(), data.part_index),
    )


@bp.function_name(names.QUERY_GROUP)
@bp.activity_trigger(input_name="payload")
def query_group(payload: dict[str, Any]) -> dict[str, Any]:
    data = QueryGroupInput.model_validate(payload)
    reserve = get_settings().llm_max_output_tokens
    return guarded(
        ProcessingStep.PROCESSING_RESULTS,
        QueryGrouped,
        lambda: steps.group(job_scope(data), get_analyzer(), data.level, data.count, reserve),
    )


@bp.function_name(names.QUERY_COMBINE)
@bp.activity_trigger(input_name="payload")
def query_combine(payload: dict[str, Any]) -> dict[str, Any]:
    data = QueryCombineInput.model_validate(payload)
    return guarded(
        ProcessingStep.PROCESSING_RESULTS,
        QueryCombined,
        lambda: steps.combine(job_scope(data), get_analyzer(), data.level, data.index, data.first, data.count),
    )


@bp.function_name(names.QUERY_FINISH)
@bp.activity_trigger(input_name="payload")
def query_finish(payload: dict[str, Any]) -> dict[str, Any]:
    data = QueryFinishInput.model_validate(payload)
    return guarded(ProcessingStep.PROCESSING_RESULTS, QueryFinished, lambda: steps.finish(job_scope(data), data.levels))


@bp.function_name(names.QUERY_SAVE)
@bp.activity_trigger(input_name="payload")
def query_save(payload: dict[str, Any]) -> dict[str, Any]:
    data = SaveResultInput.model_validate(payload)
    return guarded(ProcessingStep.SAVING_RESULTS, ResultSaved, lambda: steps.save(job_scope(data)))
