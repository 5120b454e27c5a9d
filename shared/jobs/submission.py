"""Submitting a job: the one way a job starts, shared by the HTTP starters, retry, the legacy endpoints, the batch
endpoints and the queue starter.

Order matters: validate the request, the caller's contracts and the clauses a comparison selects from its
standard first (bad input creates nothing), then create the job document, then start its orchestration
(instance id == job id), then record the instance. If the start fails, the job is marked failed (a stable code
and a plain message; the exception goes to the log with the job id, never to the user: it can name endpoints or
keys), so no job is ever left queued with nothing running it.
"""

import asyncio
import logging
from typing import Any, Protocol

from pydantic import BaseModel

from shared.errors import ConflictError, DomainError, NotFoundError, ServiceUnavailable, ValidationFailed
from shared.jobs.document import Job, JobRequest, request_model
from shared.jobs.events import publish_job_event
from shared.jobs.models import JobRef, JobStatus, JobType
from shared.jobs.service import JobService, job_service
from shared.jobs.workflows import ORCHESTRATOR_BY_JOB_TYPE, check_startable, job_title
from shared.limits import job_admission
from shared.storage.base import Repositories
from shared.storage.unavailable import is_unavailable, keep
from shared.validation import parse_model

logger = logging.getLogger(__name__)


class OrchestrationClient(Protocol):
    """The part of `DurableOrchestrationClient` that submitting and cancelling jobs use (tests pass a small fake at
    this edge)."""

    async def start_new(
        self, orchestration_function_name: str, instance_id: str | None = None, client_input: Any | None = None
    ) -> str: ...

    async def raise_event(self, instance_id: str, event_name: str, event_data: Any = None) -> None: ...


SET_INSTANCE_BUDGET_S = 5.0
"""How long a started job's instance is written in place before the request answers without it."""


class UnknownContracts(ValidationFailed):
    """The request names contracts the caller does not have (unknown and foreign ids look the same)."""

    code = "unknown_contracts"


class StartFailed(ServiceUnavailable):
    """The job was created but its orchestration could not be started; the job is now failed (503)."""

    code = "start_failed"


START_FAILED_MESSAGE = (
    "The job could not be started: the background service did not accept it. It is marked failed; retry it later."
)
"""What the job's error_details say (status, streams, job-events, the ops summary); the cause is in the log."""


def validate_request(job_type: JobType, request: BaseModel | dict[str, Any]) -> JobRequest:
    """The typed request of a job type that can be submitted; a 422 naming the fields otherwise."""
    model = request_model(job_type)
    if model is None:
        supported = [t.value for t in JobType if request_model(t) is not None]
        raise ValidationFailed(f"job type {job_type.value!r} cannot be started here", {"supported": supported})
    if isinstance(request, model):
        return request
    data = request.model_dump(mode="json") if isinstance(request, BaseModel) else request
    return parse_model(model, data)


def ensure_contracts_owned(repos: Repositories, user_id: str, contract_ids: list[str]) -> None:
    missing = repos.contracts.missing(user_id, contract_ids)
    if missing:
        raise UnknownContracts(f"unknown contract ids: {', '.join(missing)}", {"missing": missing})


async def submit_job(
    client: OrchestrationClient,
    repos: Repositories,
    user_id: str,
    job_type: JobType,
    request: BaseModel | dict[str, Any],
    *,
    priority: int = 5,
    retry_of: str | None = None,
    job_id: str | None = None,
    enforce_limits: bool = True,
) -> Job:
    """Create a job and start its orchestration. With `job_id` (queue redelivery) it is idempotent: an
    existing job is returned as is, or started if an earlier attempt created it but never started it.
    A user already holding MAX_ACTIVE_JOBS_PER_USER queued or running jobs gets TooManyActiveJobs (429) and
    nothing is created (shared/limits.py); `enforce_limits=False` is for the trusted job-requests queue only."""
    typed = validate_request(job_type, request)
    service = job_service(repos)
    if job_id is not None:
        existing = await asyncio.to_thread(_existing, service, user_id, job_id)
        if existing is not None:
            if existing.instance_id is None and existing.status is JobStatus.QUEUED:
                return await _start(client, service, existing)
            return existing
    await asyncio.to_thread(ensure_contracts_owned, repos, user_id, typed.contract_ids_touched())
    await asyncio.to_thread(check_startable, repos, user_id, typed)
    title = await asyncio.to_thread(job_title, repos, user_id, typed)  # names, read once: the job keeps them
    try:
        async with job_admission(repos, user_id, enforce=enforce_limits):
            job = await asyncio.to_thread(
                service.create_job,
                user_id,
                job_type,
                typed,
                priority=priority,
                retry_of=retry_of,
                job_id=job_id,
                title=title,
            )
    except ConflictError:
        # A concurrent delivery of the same queue message won the race: it owns the start.
        if job_id is None:
            raise
        existing = await asyncio.to_thread(_existing, service, user_id, job_id)
        if existing is None:
            raise
        return existing
    return await _start(client, service, job)


def _existing(service: JobService, user_id: str, job_id: str) -> Job | None:
    try:
        return service.get_job(user_id, job_id)
    except NotFoundError:
        return None


async def _start(client: OrchestrationClient, service: JobService, job: Job) -> Job:
    orchestrator = ORCHESTRATOR_BY_JOB_TYPE[job.job_type]
    job_input = JobRef(job_id=job.job_id, user_id=job.user_id).model_dump(mode="json")
    try:
        instance_id = await client.start_new(orchestrator, job.job_id, job_input)
    except Exception as exc:
        # The exception's text stays here: the Durable client's errors carry URLs (with the system key) and hosts.
        logger.exception("job %s: could not start orchestration %r (%s)", job.job_id, orchestrator, type(exc).__name__)
        try:
            failed = await asyncio.to_thread(
                service.update_status,
                job.user_id,
                job.job_id,
                JobStatus.FAILED,
                error_details={"code": StartFailed.code, "message": START_FAILED_MESSAGE},
            )
        except DomainError:
            # The orchestration may have started after all and moved the job on; its state wins.
            logger.warning("job %s: could not mark failed after start error", job.job_id, exc_info=True)
        else:
            # A terminal state like any other: announced on job-events (no orchestrator exists to do it).
            try:
                await asyncio.to_thread(publish_job_event, failed)
            except Exception:
                logger.exception("job %s: job-events message for the failed start not published", job.job_id)
        raise StartFailed(
            "the job was created but could not be started; it is marked failed and can be retried",
            {"job_id": job.job_id},
        ) from exc
    try:
        return await asyncio.to_thread(
            keep,
            lambda: service.set_instance(job.user_id, job.job_id, instance_id),
            f"instance of job {job.job_id!r}",
            budget_s=SET_INSTANCE_BUDGET_S,
        )
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        # The job runs: answering 503 now would have the caller submit it again, and pay for it twice. Its start
        # activity records the instance (the job id) on the job document as soon as the store answers.
        logger.warning("job %s: started; its instance not recorded yet (the store is unavailable)", job.job_id)
        return job.model_copy(update={"instance_id": instance_id})
