"""job-events: one queue message per job that reaches a terminal state, for downstream consumers.

Message: {"job_id", "user_id", "job_type", "title", "status", "result_id", "error"} as JSON, base64-encoded like every
message a Functions queue trigger reads. Consumers must accept duplicates
(an activity that runs twice publishes the same content twice); they never see a half-finished job.
"""

from __future__ import annotations

import contextlib
import json
import logging
from typing import Any

from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from shared.azure_connections import host_storage, queue_service_client
from shared.jobs.document import Job
from shared.settings import get_settings
from shared.singletons import ProcessSingleton

log = logging.getLogger(__name__)


def job_event(job: Job) -> dict[str, Any]:
    return {
        "job_id": job.job_id,
        "user_id": job.user_id,
        "job_type": job.job_type.value,
        "title": job.title,
        "status": job.status.value,
        "result_id": job.result_id,
        "error": job.error_details,
    }


def _queue() -> QueueClient | None:
    settings = get_settings()
    # A connection string locally (Azurite), identity-based settings in Azure (shared/azure_connections.py).
    connection = host_storage(settings)
    if not connection:
        return None
    # One client per process: it keeps the HTTP connection pool. Base64, as a Functions queue trigger reads
    # messages by default: a consumer written as another function app gets JSON, not a poison message.
    service = queue_service_client(connection)
    client = service.get_queue_client(settings.job_events_queue, message_encode_policy=TextBase64EncodePolicy())
    with contextlib.suppress(ResourceExistsError):  # the usual case after the first start
        client.create_queue()
    return client


_client = ProcessSingleton(_queue)


def publish_job_event(job: Job) -> bool:
    """Send the job's terminal event. False (and a warning) when no storage account is configured."""
    client = _client.get()
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
    """Forget the cached queue client (tests switch storage accounts)."""
    _client.reset()
