"""GET /api/jobs/{job_id}/status: the job in the shape of Durable's check-status response, from our own
ownership-checked endpoint (Durable's system-key URLs never reach a user). The job document is the one source of
what it says; Durable is asked only whether an unfinished job's orchestration has ended (shared/jobs/reconcile.py)."""

from typing import Any

import azure.durable_functions as df
from azurefunctions.extensions.http.fastapi import Request, Response

from api.http import api_url, blocking, handle, json_response, path_param
from api.jobs import RETRY_AFTER_SECONDS
from shared.identity import Caller
from shared.jobs.document import RUNTIME_STATUS_BY_JOB_STATUS, Job, JobStatusView
from shared.jobs.models import JobStatus
from shared.jobs.reconcile import reconcile
from shared.jobs.service import job_service
from shared.jobs.workflows import ORCHESTRATOR_BY_JOB_TYPE

bp = df.Blueprint()


def status_view(job: Job) -> JobStatusView:
    """Durable's check-status shape, built from the job document: customStatus is the job's progress."""
    output: dict[str, Any] | None = None
    if job.status is JobStatus.COMPLETED:
        output = {"result_id": job.result_id}
    elif job.status.is_terminal and job.error_details:
        output = {"error": job.error_details}
    stamps = [t for t in (job.created_at, job.started_at, job.completed_at, job.progress.updated_at) if t is not None]
    return JobStatusView(
        job_id=job.job_id,
        name=ORCHESTRATOR_BY_JOB_TYPE.get(job.job_type, job.job_type.value),
        instanceId=job.instance_id,
        runtimeStatus=RUNTIME_STATUS_BY_JOB_STATUS[job.status],
        status=job.status,
        customStatus=job.progress,
        output=output,
        createdTime=job.created_at,
        lastUpdatedTime=max(stamps),
    )


@bp.route(route="jobs/{job_id}/status", methods=["GET"])
@bp.durable_client_input(client_name="client")
async def get_job_status(req: Request, client: df.DurableOrchestrationClient) -> Response:
    async def impl(req: Request, caller: Caller) -> Response:
        service = job_service()
        job = await blocking(service.get_job, caller.user_id, path_param(req, "job_id"))
        job = await reconcile(client, service, job)
        view = status_view(job)
        if job.status.is_terminal:
            return json_response(view, 200)
        # Durable semantics: 202 while running, with Location pointing back here and a polling interval.
        headers = {"Location": api_url(req, f"jobs/{job.job_id}/status"), "Retry-After": str(RETRY_AFTER_SECONDS)}
        return json_response(view, 202, headers)

    return await handle(req, impl)
