"""Orchestrations run through the real SDK handle, driven by the real DurableOrchestrationClient."""

from __future__ import annotations

import azure.durable_functions as df

from devhost.durable import DurableEngine
from tests.devhost.durable.conftest import wait_done

Completed = df.OrchestrationRuntimeStatus.Completed
Failed = df.OrchestrationRuntimeStatus.Failed


async def test_activity_sequence(client: df.DurableOrchestrationClient) -> None:
    instance_id = await client.start_new("sequence", client_input=["A", "B", "C"])
    status = await wait_done(client, instance_id)
    assert status.runtime_status == Completed
    assert status.output == ["Hello A", "Hello B", "Hello C"]
    assert status.input_ == ["A", "B", "C"]
