"""Actions on one job: cancel (a cooperative stop) and retry (a new job with the same request)."""

import azure.durable_functions as df
from azurefunctions.extensions.http.fastapi import Request, Response

from api.http import api_url, blocking, handle, json_response, path_param
from api.jobs import accepted
from shared.identity import Caller
from shared.jobs import cancellation
from shared.jobs.document import JobCancelAccepted
from shared.jobs.service import ensure_retryable, job_service
from shared.jobs.submission import submit_job
from shared.storage.factory import get_repositories

bp = df.Blueprint()


@bp.route(route="jobs/{job_id}/cancel", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def cancel_job(req: Request, client: df.DurableOrchestrationClient) -> Response:
    async def impl(req: Request, caller: Caller) -> Response:
        job = await cancellation.cancel_job(client, job_service(), caller.user_id, path_param(req, "job_id"))
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
        # Submitted as any job is: contracts deleted since the first run are rejected before a job exists.
        job = await submit_job(
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
