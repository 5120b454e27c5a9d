"""Jobs API: submit comparison and query jobs, read them, poll their status, list, cancel, retry, health.

Registration order: the literal routes (`jobs/health`, `jobs/user/{user_id}`) come before `jobs/{job_id}`.
The host ranks literal segments above parameters anyway (ASP.NET route precedence); the order is a second guard.
"""

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df
import azure.functions as func
from azurefunctions.extensions.http.fastapi import Request, Response

from api.http import (
    BadRequest,
    api_url,
    blocking,
    handle,
    handle_anonymous,
    json_response,
    page_size,
    path_param,
    read_model,
)
from api.reconcile import reconcile
from api.starter import start_job
from orchestrators.names import CANCEL_EVENT, ORCHESTRATOR_BY_JOB_TYPE
from shared.analysis.factory import describe_llm_config
from shared.identity import Caller, require_same_user
from shared.jobs import ensure_retryable, job_service
from shared.models.jobs import (
    RUNTIME_STATUS_BY_JOB_STATUS,
    Job,
    JobList,
    JobStatus,
    JobStatusView,
    JobSubmitted,
    JobType,
    SubmitComparisonJob,
    SubmitQueryJob,
)
from shared.settings import get_settings
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
        job = await start_job(client, repos, caller.user_id, job_type, body.request, priority=body.priority)
        return accepted(req, job)

    return impl


# --- health (anonymous) -----------------------------------------------------------------------------


@bp.route(route="jobs/health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def jobs_health(req: Request) -> Response:
    return await handle_anonymous(req, _health)


def _storage_check() -> dict[str, Any]:
    repos = get_repositories()
    # A partition-scoped count on a user id no one has: exercises the store without reading anyone's data.
    repos.jobs.counts("__health__")
    return {"ok": True, "backend": repos.backend}


async def _health(req: Request) -> Response:
    settings = get_settings()
    try:
        storage = await blocking(_storage_check)
    except Exception as exc:
        logger.exception("health: storage check failed")
        # The exception type only: messages can carry endpoints or keys.
        storage = {"ok": False, "error": type(exc).__name__}
    llm = describe_llm_config(settings)
    healthy = bool(storage["ok"]) and bool(llm.get("configured"))
    body = {
        "status": "healthy" if healthy else "unhealthy",
        "timestamp": datetime.now(UTC).isoformat(),
        "checks": {"storage": storage, "llm": llm},
    }
    return json_response(body, 200 if healthy else 503)


# --- lists -----------------------------------------------------------------------------------------


def _statuses(raw: str | None) -> list[JobStatus] | None:
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
    statuses = _statuses(query.get("status"))
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
        require_same_user(caller, path_param(req, "user_id"))
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


def status_view(job: Job) -> JobStatusView:
    """Durable's check-status shape, built from the job document (progress is mirrored there)."""
    progress = job.progress
    custom_status = {
        "job_id": job.job_id,
        "status": job.status.value,
        "current_step": progress.current_step.value,
        "percentage": progress.percentage,
        "message": progress.message,
        "items_done": progress.items_done,
        "items_total": progress.items_total,
    }
    output: dict[str, Any] | None = None
    if job.status is JobStatus.COMPLETED:
        output = {"result_id": job.result_id}
    elif job.status.is_terminal and job.error_details:
        output = {"error": job.error_details}
    stamps = [t for t in (job.created_at, job.started_at, job.completed_at, progress.updated_at) if t is not None]
    return JobStatusView(
        job_id=job.job_id,
        name=ORCHESTRATOR_BY_JOB_TYPE.get(job.job_type, job.job_type.value),
        instanceId=job.instance_id,
        runtimeStatus=RUNTIME_STATUS_BY_JOB_STATUS[job.status],
        status=job.status,
        customStatus=custom_status,
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


# --- actions ---------------------------------------------------------------------------------------


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
        body = {
            "job_id": job.job_id,
            "status": job.status.value,
            "message": f"Job {job.job_id} cancelled",
            "statusQueryGetUri": api_url(req, f"jobs/{job.job_id}/status"),
        }
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
