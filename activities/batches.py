"""Batch job activities: thin adapters over shared/batches/staging.py, shared/batches/running.py and, for economy
runs (the Batch API), shared/batches/economy.py and economy_results.py."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from activities.support import run_step
from shared.analysis.factory import get_analyzer
from shared.batches import economy, economy_results, names, running, staging
from shared.batches.messages import (
    BatchStepInput,
    EvaluateRecordInput,
    IngestInput,
    PollInput,
    StageChunkInput,
    SubmitInput,
)
from shared.batches.request import EvaluationJobRequest, StagingJobRequest
from shared.jobs.messages import ResultSaved
from shared.jobs.models import JobRef, ProcessingStep
from shared.jobs.scope import JobScope
from shared.llm.batch_api import get_batch_api

bp = df.Blueprint()


@bp.function_name(names.STAGE_PLAN)
@bp.activity_trigger(input_name="payload")
def batch_stage_plan(payload: dict[str, Any]) -> dict[str, Any]:
    return run_step(names.STAGE_PLAN, ProcessingStep.RETRIEVING_DATA, JobRef.model_validate(payload), staging.plan)


@bp.function_name(names.STAGE_DOCUMENTS)
@bp.activity_trigger(input_name="payload")
def batch_stage_documents(payload: dict[str, Any]) -> dict[str, Any]:
    data = StageChunkInput.model_validate(payload)
    return run_step(
        names.STAGE_DOCUMENTS,
        ProcessingStep.RETRIEVING_DATA,
        data,
        lambda scope: staging.stage_chunk(scope, data.batch_id, data.chunk, data.chunk_size, data.total),
    )


@bp.function_name(names.STAGE_FINISH)
@bp.activity_trigger(input_name="payload")
def batch_stage_finish(payload: dict[str, Any]) -> dict[str, Any]:
    data = BatchStepInput.model_validate(payload)
    return run_step(
        names.STAGE_FINISH, ProcessingStep.PROCESSING_RESULTS, data, lambda scope: staging.finish(scope, data.batch_id)
    )


@bp.function_name(names.RUN_PLAN)
@bp.activity_trigger(input_name="payload")
def batch_run_plan(payload: dict[str, Any]) -> dict[str, Any]:
    return run_step(names.RUN_PLAN, ProcessingStep.GENERATING_PROMPT, JobRef.model_validate(payload), running.plan)


@bp.function_name(names.EVALUATE_RECORD)
@bp.activity_trigger(input_name="payload")
def batch_evaluate_record(payload: dict[str, Any]) -> dict[str, Any]:
    data = EvaluateRecordInput.model_validate(payload)
    return run_step(
        names.EVALUATE_RECORD,
        ProcessingStep.CALLING_LLM,
        data,
        lambda scope: running.evaluate_records(
            scope, get_analyzer(), data.batch_id, data.chunk, data.position, data.count, data.total
        ),
    )


@bp.function_name(names.RUN_FINISH)
@bp.activity_trigger(input_name="payload")
def batch_run_finish(payload: dict[str, Any]) -> dict[str, Any]:
    data = BatchStepInput.model_validate(payload)
    return run_step(
        names.RUN_FINISH, ProcessingStep.PROCESSING_RESULTS, data, lambda scope: running.finish(scope, data.batch_id)
    )


@bp.function_name(names.ECONOMY_SUBMIT)
@bp.activity_trigger(input_name="payload")
def batch_economy_submit(payload: dict[str, Any]) -> dict[str, Any]:
    data = SubmitInput.model_validate(payload)
    return run_step(
        names.ECONOMY_SUBMIT,
        ProcessingStep.CALLING_LLM,
        data,
        lambda scope: economy.submit(scope, get_batch_api(), data.batch_id, data.start, data.records, data.chunk_size),
    )


@bp.function_name(names.ECONOMY_POLL)
@bp.activity_trigger(input_name="payload")
def batch_economy_poll(payload: dict[str, Any]) -> dict[str, Any]:
    data = PollInput.model_validate(payload)
    return run_step(
        names.ECONOMY_POLL,
        ProcessingStep.CALLING_LLM,
        data,
        lambda scope: economy_results.poll(scope, get_batch_api(), data.batch_id, data.after_cancel),
    )


@bp.function_name(names.ECONOMY_INGEST)
@bp.activity_trigger(input_name="payload")
def batch_economy_ingest(payload: dict[str, Any]) -> dict[str, Any]:
    data = IngestInput.model_validate(payload)
    return run_step(
        names.ECONOMY_INGEST,
        ProcessingStep.PROCESSING_RESULTS,
        data,
        lambda scope: economy_results.ingest(scope, get_batch_api(), data.batch_id, data.start, data.cancelled),
    )


@bp.function_name(names.ECONOMY_CANCEL)
@bp.activity_trigger(input_name="payload")
def batch_economy_cancel(payload: dict[str, Any]) -> dict[str, Any]:
    data = BatchStepInput.model_validate(payload)
    return run_step(
        names.ECONOMY_CANCEL,
        ProcessingStep.CALLING_LLM,
        data,
        lambda scope: economy_results.cancel(scope, get_batch_api(), data.batch_id),
    )


@bp.function_name(names.SAVE)
@bp.activity_trigger(input_name="payload")
def batch_save(payload: dict[str, Any]) -> dict[str, Any]:
    return run_step(names.SAVE, ProcessingStep.SAVING_RESULTS, JobRef.model_validate(payload), _save)


def _save(scope: JobScope) -> ResultSaved:
    request = scope.job().request
    if isinstance(request, StagingJobRequest):
        return staging.save(scope, request.batch_id)
    assert isinstance(request, EvaluationJobRequest)
    return running.save(scope, request.batch_id)
