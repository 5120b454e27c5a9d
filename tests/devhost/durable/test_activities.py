"""How activity work items run: sync activities in the thread pool, async ones on the loop, unknown names."""

from __future__ import annotations

import threading
from typing import Any

import azure.durable_functions as df

from tests.devhost.durable.conftest import wait_done


async def test_sync_activities_use_the_pool_and_async_ones_the_loop(client: df.DurableOrchestrationClient) -> None:
    instance_id = await client.start_new("threads")
    status = await wait_done(client, instance_id)
    assert status.output["sync"].startswith("devhost-fn")  # the worker's one pool of threads for sync functions
    assert status.output["async"] == threading.current_thread().name


async def test_unknown_activity_fails_the_task(client: df.DurableOrchestrationClient, basic_app: Any) -> None:
    basic_app.NONDET["first"] = "missing_activity"
    try:
        instance_id = await client.start_new("drifting")
        status = await wait_done(client, instance_id)
    finally:
        basic_app.NONDET["first"] = "hello"
    assert status.runtime_status == df.OrchestrationRuntimeStatus.Failed
    assert "'missing_activity' doesn't exist" in status.output
