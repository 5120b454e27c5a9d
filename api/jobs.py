"""Jobs API: submit comparison and query jobs, list the caller's jobs, read one.
(Status: api/job_status.py; cancel and retry: api/job_actions.py; health: api/health.py.)
"""

import logging
from collections.abc import Awaitable, Callable

import azure.durable_functions as df
from azurefunctions.extensions.http.fastapi import Request, Response

from api.http import BadRequest, api_url, blocking, handle, json_response, page_size, path_param, path_user, read_model
from shared.comparison.request import SubmitComparisonJob
from shared.identity import Caller, require_same_user
from shared.jobs.document import Job, JobList, JobSubmitted
from shared.jobs.models import JobStatus, JobType
from shared.jobs.service import job_service
from shared.jobs.submission import submit_job
from shared.query.request import SubmitQueryJob
from shared.storage.factory import get_repositories

logger = logging.getLogger(__name__)

bp = df.Blueprint()

DEFAULT_LIST_LIMIT = 50
MAX_LIST_LIMIT = 100
# Seconds a poller should wait between status requests while a job runs (Durable's check-status default).
RETRY_AFTER_SECONDS = 2


def submitted(req: Request, job: Job) -> JobSubmitted:
    return JobSubmitted(
        job_id=job.job_id,
        # The 202 describes what was accepted: a queued job. Its first step may already be running by the time
        # this is written; statusQueryGetUri is where the live state is.
        status=JobStatus.QUEUED,
        id=job.job_id,
        statusQueryGetUri=api_url(req, f"jobs/{job.job_id}/status"),
        terminatePostUri=api_url(req, f"jobs/{job.job_id}/cancel"),
        retryPostUri=api_url(req, f"jobs/{job.job_id}/retry"),
        jobGetUri=api_url(req, f"jobs/{job.job_id}"),
    )


def accepted(req: Request, job: Job) -> Response:
    body = submitted(req, job)
    return json_response(body, 202, {"Location": body.statusQueryGetUri, "Retry-After": str(RETRY_AFTER_SECONDS)})


# --- submit ----------------------------------------------------------------------------------------


@bp.route(route="jobs/comparison", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def submit_comparison_job(req: Request, client: df.DurableOrchestrationClient) -> Response:
    return await handle(req, _submitter(client, SubmitComparisonJob, JobType.COMPARISON))


@bp.route(route="jobs/query", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def submit_query_job(req: Request, client: df.DurableOrchestrationClient) -> Response:
    return await handle(req, _submitter(client, SubmitQueryJob, JobType.QUERY))


def _submitter(
    client: df.DurableOrchestrationClient,
    body_model: type[SubmitComparisonJob] | type[SubmitQueryJob],
    job_type: JobType,
) -> Callable[[Request, Caller], Awaitable[Response]]:
    """The submit endpoints differ only in their body model and job type."""

    async def impl(req: Request, caller: Caller) -> Response:
        body = await read_model(req, body_model)
        repos = get_repositories()
        job = await submit_job(client, repos, caller.user_id, job_type, body.request, priority=body.priority)
        return accepted(req, job)

    return impl


# --- lists -----------------------------------------------------------------------------------------


def parse_statuses(raw: str | None) -> list[JobStatus] | None:
    if not raw:
        return None
    values = [part.strip().lower() for part in raw.split(",") if part.strip()]
    unknown = [v for v in values if v not in {s.value for s in JobStatus}]
    if unknown:
        raise BadRequest(
            f"unknown status {', '.join(unknown)}", {"unknown": unknown, "allowed": [s.value for s in JobStatus]}
        )
    return [JobStatus(v) for v in dict.fromkeys(values)]


def _job_type(raw: str | None) -> JobType | None:
    if not raw:
        return None
    try:
        return JobType(raw.strip().lower())
    except ValueError:
        raise BadRequest(
            f"unknown job_type {raw!r}", {"job_type": raw, "allowed": [t.value for t in JobType]}
        ) from None


async def list_for(req: Request, user_id: str) -> Response:
    query = req.query_params
    statuses = parse_statuses(query.get("status"))
    job_type = _job_type(query.get("job_type"))
    limit = page_size(req, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT)
    continuation = query.get("continuation") or None
    service = job_service()
    page = await blocking(
        service.list_user_jobs, user_id, statuses=statuses, job_type=job_type, limit=limit, continuation=continuation
    )
    counts = await blocking(service.counts, user_id)
    return json_response(JobList(jobs=page.items, counts=counts, continuation=page.continuation))


@bp.route(route="jobs/user/{user_id}", methods=["GET"])
async def list_user_jobs(req: Request) -> Response:
    async def impl(req: Request, caller: Caller) -> Response:
        require_same_user(caller, path_user(req))
        return await list_for(req, caller.user_id)

    return await handle(req, impl)


@bp.route(route="jobs", methods=["GET"])
async def list_jobs(req: Request) -> Response:
    async def impl(req: Request, caller: Caller) -> Response:
        return await list_for(req, caller.user_id)

    return await handle(req, impl)


# --- one job ---------------------------------------------------------------------------------------


@bp.route(route="jobs/{job_id}", methods=["GET"])
async def get_job(req: Request) -> Response:
    async def impl(req: Request, caller: Caller) -> Response:
        job = await blocking(job_service().get_job, caller.user_id, path_param(req, "job_id"))
        return json_response(job)

    return await handle(req, impl)
