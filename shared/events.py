"""job-events: one queue message per job that reaches a terminal state, for downstream consumers.

Message: {"job_id", "user_id", "job_type", "status", "result_id", "error"} as JSON, base64-encoded like every
message a Functions queue trigger reads. Consumers must accept duplicates
(an activity that runs twice publishes the same content twice); they never see a half-finished job.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from typing import Any

from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueClient, QueueServiceClient, TextBase64EncodePolicy

from shared.models.jobs import Job
from shared.settings import Settings, get_settings

log = logging.getLogger(__name__)

_lock = threading.Lock()
_clients: dict[tuple[str, str], QueueClient] = {}


def job_event(job: Job) -> dict[str, Any]:
    return {
        "job_id": job.job_id,
        "user_id": job.user_id,
        "job_type": job.job_type.value,
        "status": job.status.value,
        "result_id": job.result_id,
        "error": job.error_details,
    }


def _queue(settings: Settings) -> QueueClient | None:
    connection = settings.storage_connection
    if not connection:
        return None
    key = (connection, settings.job_events_queue)
    with _lock:
        client = _clients.get(key)
        if client is None:
            # One client per process (per account and queue): it keeps the HTTP connection pool.
            # Base64, as a Functions queue trigger reads messages by default: a consumer written as another
            # function app gets JSON, not a poison message.
            service = QueueServiceClient.from_connection_string(connection)
            client = service.get_queue_client(settings.job_events_queue, message_encode_policy=TextBase64EncodePolicy())
            with contextlib.suppress(ResourceExistsError):  # the usual case after the first start
                client.create_queue()
            _clients[key] = client
        return client


def publish_job_event(job: Job, settings: Settings | None = None) -> bool:
    """Send the job's terminal event. False (and a warning) when no storage account is configured."""
    settings = settings or get_settings()
    client = _queue(settings)
    if client is None:
        log.warning(
            "AzureWebJobsStorage is not set: job-events message for job %s (%s) not published",
            job.job_id,
            job.status.value,
        )
        return False
    client.send_message(json.dumps(job_event(job), separators=(",", ":")))
    return True


def reset_clients() -> None:
    """Forget cached queue clients (tests switch storage accounts)."""
    with _lock:
        _clients.clear()
