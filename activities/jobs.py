"""Job bookkeeping activities, shared by every workflow: start (mark processing) and finalize (terminal state,
final progress, job-events message)."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from shared.jobs import lifecycle
from shared.jobs.messages import FinalizeJobInput, StartJobInput, history_json
from shared.jobs.names import FINALIZE_JOB, START_JOB
from shared.jobs.service import job_service
from shared.storage.factory import get_repositories

bp = df.Blueprint()


@bp.function_name(START_JOB)
@bp.activity_trigger(input_name="payload")
def start_job(payload: dict[str, Any]) -> dict[str, Any]:
    return history_json(lifecycle.start(job_service(), StartJobInput.model_validate(payload)))


@bp.function_name(FINALIZE_JOB)
@bp.activity_trigger(input_name="payload")
def finalize_job(payload: dict[str, Any]) -> dict[str, Any]:
    data = FinalizeJobInput.model_validate(payload)
    return history_json(lifecycle.finalize(job_service(), get_repositories(), data))
