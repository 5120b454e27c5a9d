"""Job bookkeeping activities: start (mark processing), record progress, finalize (terminal state + event)."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from activities import names
from shared.jobs import job_service
from shared.pipeline import lifecycle
from shared.pipeline.messages import FinalizeJobInput, RecordProgressInput, StartJobInput
from shared.settings import get_settings

bp = df.Blueprint()


@bp.function_name(names.START_JOB)
@bp.activity_trigger(input_name="payload")
def start_job(payload: dict[str, Any]) -> dict[str, Any]:
    data = StartJobInput.model_validate(payload)
    return lifecycle.start(job_service(), data).model_dump(mode="json")


@bp.function_name(names.RECORD_PROGRESS)
@bp.activity_trigger(input_name="payload")
def record_progress(payload: dict[str, Any]) -> None:
    data = RecordProgressInput.model_validate(payload)
    lifecycle.record_progress(job_service(), data)


@bp.function_name(names.FINALIZE_JOB)
@bp.activity_trigger(input_name="payload")
def finalize_job(payload: dict[str, Any]) -> dict[str, Any]:
    data = FinalizeJobInput.model_validate(payload)
    return lifecycle.finalize(job_service(), data, get_settings()).model_dump(mode="json")
