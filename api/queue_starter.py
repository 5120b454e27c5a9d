"""Queue-triggered starter: other systems submit jobs by putting a message on `job-requests`.

Message: {"user_id", "job_type", "request", "priority"}. The queue is internal (only holders of the storage
account's credentials can write to it), so its user_id is trusted, unlike any user_id sent over HTTP.

An invalid message is logged with the reason and the function raises: the host retries it up to
`maxDequeueCount` (host.json) and then moves it to `job-requests-poison`. Validation runs before anything is
created, so a poisoned message leaves nothing half-made. The job id is derived from the queue message id, so a
redelivered message (at-least-once delivery) finds its job instead of creating a second one.
"""

import json
import logging
import uuid
from typing import Any

import azure.durable_functions as df
import azure.functions as func
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.errors import DomainError
from shared.jobs.models import JobType
from shared.jobs.submission import StartFailed, submit_job
from shared.storage.factory import get_repositories
from shared.validation import validation_details

logger = logging.getLogger(__name__)

bp = df.Blueprint()

# Trigger bindings take a literal queue name: other systems put job requests on this queue.
JOB_REQUESTS_QUEUE = "job-requests"
# Fixed namespace: the same message id always maps to the same job id, on every instance, forever.
_JOB_ID_NAMESPACE = uuid.UUID("6f1f5d3e-2c1b-4c63-9a51-0d7c4b7e9a10")


class InvalidJobMessage(Exception):
    """The message cannot become a job; raising it sends the message towards the poison queue."""


class JobRequestMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=200)
    job_type: JobType
    request: dict[str, Any]
    priority: int = Field(default=5, ge=1, le=10)


def job_id_for_message(message_id: str) -> str:
    return f"job_q_{uuid.uuid5(_JOB_ID_NAMESPACE, message_id).hex}"


def parse_message(body: bytes) -> JobRequestMessage:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidJobMessage(f"message is not JSON: {exc}") from exc
    try:
        return JobRequestMessage.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{d['field']}: {d['message']}" for d in validation_details(exc))
        raise InvalidJobMessage(f"message is not a job request: {problems}") from exc


@bp.queue_trigger(arg_name="msg", queue_name=JOB_REQUESTS_QUEUE, connection="AzureWebJobsStorage")
@bp.durable_client_input(client_name="client")
async def job_request_starter(msg: func.QueueMessage, client: df.DurableOrchestrationClient) -> None:
    message_id = msg.id or ""
    try:
        if not message_id:
            raise InvalidJobMessage("message has no id; cannot derive an idempotent job id")
        message = parse_message(msg.get_body())
        job = await submit_job(
            client,
            get_repositories(),
            message.user_id,
            message.job_type,
            message.request,
            priority=message.priority,
            job_id=job_id_for_message(message_id),
            # Trusted back ends only (storage credentials): a per-user limit here could only poison an accepted request.
            enforce_limits=False,
        )
    except StartFailed:
        # The job exists and is marked failed with the reason; a redelivery would not change that.
        logger.error("queue message %s: job created but not started; marked failed", message_id)
        return
    except InvalidJobMessage as exc:
        logger.error("queue message %s rejected (dequeue %s): %s", message_id, msg.dequeue_count, exc)
        raise
    except DomainError as exc:
        # Invalid request (e.g. unknown contracts, wrong types): same treatment as malformed messages.
        logger.error("queue message %s rejected (dequeue %s): %s", message_id, msg.dequeue_count, exc.message)
        raise InvalidJobMessage(exc.message) from exc
    logger.info("queue message %s -> job %s (%s)", message_id, job.job_id, job.status.value)
