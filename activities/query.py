"""Query job activities: thin adapters over shared/query/steps.py."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from activities.support import run_step
from shared.analysis.factory import get_analyzer
from shared.jobs.models import JobRef, ProcessingStep
from shared.query import names, steps
from shared.query.messages import (
    AnswerPartInput,
    QueryCombineInput,
    QueryFinishInput,
    QueryGroupInput,
    QueryRetrieveInput,
)
from shared.settings import get_settings

bp = df.Blueprint()


@bp.function_name(names.RETRIEVE)
@bp.activity_trigger(input_name="payload")
def query_retrieve(payload: dict[str, Any]) -> dict[str, Any]:
    data = QueryRetrieveInput.model_validate(payload)
    return run_step(
        names.RETRIEVE,
        ProcessingStep.RETRIEVING_DATA,
        data,
        lambda scope: steps.retrieve_chunk(scope, data.contract_ids, data.total),
    )


@bp.function_name(names.PLAN)
@bp.activity_trigger(input_name="payload")
def query_plan(payload: dict[str, Any]) -> dict[str, Any]:
    reserve = get_settings().llm_max_output_tokens
    return run_step(
        names.PLAN,
        ProcessingStep.GENERATING_PROMPT,
        JobRef.model_validate(payload),
        lambda scope: steps.plan(scope, get_analyzer(), reserve),
    )


@bp.function_name(names.ANSWER_PART)
@bp.activity_trigger(input_name="payload")
def query_answer_part(payload: dict[str, Any]) -> dict[str, Any]:
    data = AnswerPartInput.model_validate(payload)
    return run_step(
        names.ANSWER_PART,
        ProcessingStep.CALLING_LLM,
        data,
        lambda scope: steps.answer_part(scope, get_analyzer(), data.part_index, data.parts_total),
    )


@bp.function_name(names.GROUP)
@bp.activity_trigger(input_name="payload")
def query_group(payload: dict[str, Any]) -> dict[str, Any]:
    data = QueryGroupInput.model_validate(payload)
    reserve = get_settings().llm_max_output_tokens
    return run_step(
        names.GROUP,
        ProcessingStep.PROCESSING_RESULTS,
        data,
        lambda scope: steps.group(scope, get_analyzer(), data.level, data.count, reserve),
    )


@bp.function_name(names.COMBINE)
@bp.activity_trigger(input_name="payload")
def query_combine(payload: dict[str, Any]) -> dict[str, Any]:
    data = QueryCombineInput.model_validate(payload)
    return run_step(
        names.COMBINE,
        ProcessingStep.PROCESSING_RESULTS,
        data,
        lambda scope: steps.combine(
            scope, get_analyzer(), data.level, data.index, data.first, data.count, data.round_total
        ),
    )


@bp.function_name(names.FINISH)
@bp.activity_trigger(input_name="payload")
def query_finish(payload: dict[str, Any]) -> dict[str, Any]:
    data = QueryFinishInput.model_validate(payload)
    return run_step(
        names.FINISH, ProcessingStep.PROCESSING_RESULTS, data, lambda scope: steps.finish(scope, data.levels)
    )


@bp.function_name(names.SAVE)
@bp.activity_trigger(input_name="payload")
def query_save(payload: dict[str, Any]) -> dict[str, Any]:
    return run_step(names.SAVE, ProcessingStep.SAVING_RESULTS, JobRef.model_validate(payload), steps.save)
