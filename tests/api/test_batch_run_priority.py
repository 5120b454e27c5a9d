"""POST /api/batches/{id}/run takes a priority (1-10, default 5): the run job has it, so its model calls queue for
quota behind more urgent work (shared/llm/budget.py). Invalid priorities are a 422 that starts nothing."""

from __future__ import annotations

import pytest

from shared.jobs.service import JobService
from shared.storage.base import Repositories
from tests.api.conftest import Api, FakeDurableClient
from tests.api.test_batches_api import fields_of, staged_batch


async def test_a_run_is_a_job_of_the_priority_asked_for(api: Api, repos: Repositories) -> None:
    batch_id = await staged_batch(api, repos)
    reply = await api.call("POST", f"/api/batches/{batch_id}/run", json_body={"priority": 2})
    assert reply.status == 202, reply.body
    assert JobService(repos.jobs).get_job("alice", reply.json["job_id"]).priority == 2


async def test_a_run_without_a_priority_is_a_normal_one(api: Api, repos: Repositories) -> None:
    batch_id = await staged_batch(api, repos)
    reply = await api.call("POST", f"/api/batches/{batch_id}/run")
    assert reply.status == 202, reply.body
    assert JobService(repos.jobs).get_job("alice", reply.json["job_id"]).priority == 5


@pytest.mark.parametrize("priority", [0, 11, "high"])
async def test_a_priority_out_of_range_is_a_422_that_starts_nothing(
    api: Api, repos: Repositories, durable: FakeDurableClient, priority: object
) -> None:
    batch_id = await staged_batch(api, repos)
    started = len(durable.started)
    reply = await api.call("POST", f"/api/batches/{batch_id}/run", json_body={"priority": priority})
    assert reply.status == 422 and fields_of(reply) == {"priority"}
    assert len(durable.started) == started
