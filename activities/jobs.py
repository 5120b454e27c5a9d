"""Job bookkeeping activities, shared by every workflow: start (mark processing) and finalize (terminal state,
final progress, job-events message). Each runs in a span of its job's trace, as every step does."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from shared import telemetry
from shared.jobs import lifecycle
from shared.jobs.messages import FinalizeJobInput, StartJobInput, history_json
from shared.jobs.names import FINALIZE_JOB, START_JOB
from shared.jobs.service import job_service
from shared.storage.factory import get_repositories

bp = df.Blueprint()


@bp.function_name(START_JOB)
@bp.activity_trigger(input_name="payload")
def start_job(payload: dict[str, Any]) -> dict[str, Any]:
    data = StartJobInput.model_validate(payload)
    jobs = job_service()
    with telemetry.activity_span(
        START_JOB, "start", data.job_id, data.user_id, lambda: jobs.get_job(data.user_id, data.job_id)
    ) as span:
        started = lifecycle.start(jobs, data)
        span.finished(started)
        return history_json(started)


@bp.function_name(FINALIZE_JOB)
@bp.activity_trigger(input_name="payload")
def finalize_job(payload: dict[str, Any]) -> dict[str, Any]:
    data = FinalizeJobInput.model_validate(payload)
    jobs = job_service()
    with telemetry.activity_span(
        FINALIZE_JOB, "finalize", data.job_id, data.user_id, lambda: jobs.get_job(data.user_id, data.job_id)
    ) as span:
        finalized = lifecycle.finalize(jobs, get_repositories(), data)
        span.finished(finalized)
        return history_json(finalized)
