"""The job-requests queue starter: idempotent per message id; invalid messages raise (towards poison)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from azure.functions.queue import QueueMessage

from api.queue_starter import InvalidJobMessage, job_id_for_message
from shared.jobs.models import JobType
from shared.jobs.service import JobService
from shared.storage.base import Repositories
from tests.api.conftest import Api, FakeDurableClient, upload


def message(body: Any, message_id: str = "9b1c6a52-0000-4000-8000-000000000001") -> QueueMessage:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return QueueMessage(id=message_id, body=raw, dequeue_count=1)


async def test_valid_message_starts_one_job_even_when_redelivered(
    api: Api, durable: FakeDurableClient, repos: Repositories
) -> None:
    a = await upload(api)
    b = await upload(api)
    body = {
        "user_id": "alice",
        "job_type": "comparison",
        "request": {"standardContractId": a, "compareContractIds": [b]},
        "priority": 3,
    }
    await api.deliver(message(body))
    await api.deliver(message(body))  # at-least-once delivery: the same message again
    job_id = job_id_for_message("9b1c6a52-0000-4000-8000-000000000001")
    assert [s[1] for s in durable.started] == [job_id]
    job = JobService(repos.jobs).get_job("alice", job_id)
    assert job.priority == 3
    assert job.instance_id == job_id
    assert len(JobService(repos.jobs).list_user_jobs("alice").items) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        {"user_id": "alice", "job_type": "comparison"},
        {"user_id": "alice", "job_type": "poem", "request": {}},
        {"user_id": "", "job_type": "query", "request": {"question": "q", "contract_ids": ["c"]}},
        {"user_id": "alice", "job_type": "query", "request": {"question": " ", "contract_ids": ["c"]}},
        {"user_id": "alice", "job_type": "query", "request": {"question": "q?", "contract_ids": ["nope"]}},
        {"user_id": "alice", "job_type": "batch_staging", "request": {}},
    ],
)
async def test_invalid_messages_raise_and_create_nothing(
    api: Api, durable: FakeDurableClient, repos: Repositories, body: Any
) -> None:
    with pytest.raises(InvalidJobMessage):
        await api.deliver(message(body))
    assert durable.started == []
    assert JobService(repos.jobs).list_user_jobs("alice").items == []


async def test_redelivery_starts_a_job_an_earlier_attempt_created_but_never_started(
    api: Api, durable: FakeDurableClient, repos: Repositories
) -> None:
    a = await upload(api)
    message_id = "9b1c6a52-0000-4000-8000-0000000000ff"
    request = {"question": "Who may terminate?", "contract_ids": [a]}
    # An earlier delivery created the job, then the worker died before start_new.
    JobService(repos.jobs).create_job("alice", JobType.QUERY, request, job_id=job_id_for_message(message_id))
    body = {"user_id": "alice", "job_type": "query", "request": request}
    await api.deliver(message(body, message_id))
    assert [s[1] for s in durable.started] == [job_id_for_message(message_id)]
    assert JobService(repos.jobs).get_job("alice", job_id_for_message(message_id)).instance_id is not None
