"""Actions on one job: cancel (a cooperative stop) and retry (a new job with the same request)."""

import logging

import azure.durable_functions as df
from azurefunctions.extensions.http.fastapi import Request, Response

from api.http import api_url, blocking, handle, json_response, path_param
from api.jobs import accepted
from api.starter import start_job
from shared.identity import Caller
from shared.jobs.document import JobCancelAccepted
from shared.jobs.names import CANCEL_EVENT
from shared.jobs.service import ensure_retryable, job_service
from shared.storage.factory import get_repositories

logger = logging.getLogger(__name__)

bp = df.Blueprint()


@bp.route(route="jobs/{job_id}/cancel", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def cancel_job(req: Request, client: df.DurableOrchestrationClient) -> Response:
    async def impl(req: Request, caller: Caller) -> Response:
        job_id = path_param(req, "job_id")
        # The job document is the authority (activities check it before every LLM call); the event only
        # wakes the orchestrator so it stops scheduling work now rather than at its next step.
        job = await blocking(job_service().cancel, caller.user_id, job_id)
        if job.instance_id:
            try:
                await client.raise_event(job.instance_id, CANCEL_EVENT, {"reason": "Cancelled by user"})
            except Exception:
                logger.warning("job %s: cancel event not delivered; activities will see the status", job_id)
        body = JobCancelAccepted(
            job_id=job.job_id,
            status=job.status,
            message=f"Job {job.job_id} cancelled",
            statusQueryGetUri=api_url(req, f"jobs/{job.job_id}/status"),
        )
        return json_response(body, 202)

    return await handle(req, impl)


@bp.route(route="jobs/{job_id}/retry", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def retry_job(req: Request, client: df.DurableOrchestrationClient) -> Response:
    async def impl(req: Request, caller: Caller) -> Response:
        old = await blocking(job_service().get_job, caller.user_id, path_param(req, "job_id"))
        ensure_retryable(old)
        # Through the shared starter: contracts deleted since the first run are rejected before a job exists.
        job = await start_job(
            client,
            get_repositories(),
            caller.user_id,
            old.job_type,
            old.request,
            priority=old.priority,
            retry_of=old.job_id,
        )
        return accepted(req, job)

    return await handle(req, impl)
