"""Jobs submitted by other systems through `job-requests`, and the `job-events` every finished job emits.

Messages are sent the way other Azure producers must send them for a Functions queue trigger: base64-encoded
(host.json `messageEncoding` defaults to base64; the storage SDK sends plain text unless told otherwise).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from api.queue_starter import job_id_for_message
from tests.e2e.app import RunningApp
from tests.e2e.helpers import (
    JOB_EVENTS,
    NDA_STANDARD,
    NDA_VARIANT_B,
    clear_queue,
    events_for,
    queue_texts,
    result_of,
    status_url,
    upload_sample,
    wait_for_job,
    wait_until,
)

pytestmark = [pytest.mark.slow, pytest.mark.azurite]

USER = "queue-producer-user"
JOB_REQUESTS = "job-requests"
POISON = "job-requests-poison"


@pytest.fixture(scope="module", autouse=True)
def _empty_events_queue(azurite_connection_string: str) -> None:
    """Events of other modules' jobs would crowd out ours (a peek shows at most 32 messages)."""
    clear_queue(azurite_connection_string, JOB_EVENTS)


@pytest.fixture
def requests_queue(azurite_connection_string: str) -> Iterator[QueueClient]:
    client = QueueClient.from_connection_string(
        azurite_connection_string, JOB_REQUESTS, message_encode_policy=TextBase64EncodePolicy()
    )
    yield client
    client.close()


def poisoned(connection: str) -> list[bytes]:
    return [base64.b64decode(text) for text in queue_texts(connection, POISON)]


def test_queued_request_runs_a_job_and_emits_a_completed_event(
    offline_app: RunningApp, requests_queue: QueueClient, azurite_connection_string: str
) -> None:
    with offline_app.client(USER) as client:
        standard = upload_sample(client, NDA_STANDARD)
        variant = upload_sample(client, NDA_VARIANT_B)
        message = {
            "user_id": USER,
            "job_type": "comparison",
            "request": {"standardContractId": standard, "compareContractIds": [variant]},
            "priority": 3,
        }
        sent = requests_queue.send_message(json.dumps(message))
        job_id = job_id_for_message(sent.id)
        watch = wait_for_job(client, status_url(job_id), allow_missing=True, timeout=60)
        stored = result_of(client, watch)
        job = client.get(f"/api/jobs/{job_id}").json()
    assert job["user_id"] == USER and job["priority"] == 3
    [comparison] = stored["result"]["comparisons"]
    remedies = [c for c in comparison["clauses"] if c["title"] == "Remedies"]
    assert remedies and remedies[0]["status"] == "missing"

    wait_until(lambda: bool(events_for(azurite_connection_string, job_id)), timeout=20, what="a job-events message")
    event = events_for(azurite_connection_string, job_id)[0]
    assert event["status"] == "completed"
    assert event["user_id"] == USER and event["job_type"] == "comparison"
    assert event["result_id"] == stored["result_id"]
    assert event["error"] is None
    # The message was consumed, not left to run again.
    assert not [t for t in queue_texts(azurite_connection_string, JOB_REQUESTS) if job_id in t]


INVALID_MESSAGES = {
    "not-json": b"this is not json",
    "invalid-request": json.dumps(
        {"user_id": USER, "job_type": "comparison", "request": {"standardContractId": "c"}}
    ).encode(),
    "unknown-contracts": json.dumps(
        {
            "user_id": USER,
            "job_type": "comparison",
            "request": {"standardContractId": "contract_nope", "compareContractIds": ["contract_gone"]},
        }
    ).encode(),
    "unknown-job-type": json.dumps({"user_id": USER, "job_type": "translation", "request": {}}).encode(),
}


def test_invalid_requests_end_in_poison_queue_and_create_no_job(
    offline_app: RunningApp, azurite_connection_string: str
) -> None:
    with QueueClient.from_connection_string(azurite_connection_string, JOB_REQUESTS) as raw:
        job_ids = {
            name: job_id_for_message(raw.send_message(base64.b64encode(body).decode()).id)
            for name, body in INVALID_MESSAGES.items()
        }
    # maxDequeueCount (5) attempts each, visible again after the test visibilityTimeout (1 s).
    wait_until(
        lambda: all(body in poisoned(azurite_connection_string) for body in INVALID_MESSAGES.values()),
        timeout=60,
        what="every invalid message on the poison queue",
    )
    with offline_app.client(USER) as client:
        listed = client.get("/api/jobs").text
        for name, job_id in job_ids.items():
            assert client.get(f"/api/jobs/{job_id}").status_code == 404, name
            assert job_id not in listed, name
            assert not events_for(azurite_connection_string, job_id), name
