"""host.json concurrency limits, and episodes of one instance never overlapping."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import azure.durable_functions as df
import pytest

from devhost.durable import DurableEngine
from tests.devhost.durable.conftest import make_engine, reset_sdk_session, wait_done


@pytest.fixture
async def limited(tmp_path: Path) -> AsyncIterator[DurableEngine]:
    config = {
        "extensions": {"durableTask": {"maxConcurrentActivityFunctions": 3, "maxConcurrentOrchestratorFunctions": 2}}
    }
    eng = make_engine(tmp_path / "state", host_config=config)
    await eng.start()
    try:
        yield eng
    finally:
        await eng.stop()
        await reset_sdk_session()


def test_limits_come_from_host_json_or_azure_defaults(tmp_path: Path) -> None:
    import os

    default = make_engine(tmp_path / "a")
    assert default.max_activities == 10 * (os.cpu_count() or 1)
    assert default.max_orchestrators == 10 * (os.cpu_count() or 1)
    config = {"extensions": {"durableTask": {"maxConcurrentActivityFunctions": 3, "hubName": "MyHub"}}}
    configured = make_engine(tmp_path / "b", host_config=config)
    assert configured.max_activities == 3
    assert configured.task_hub == "MyHub"


async def test_activity_concurrency_is_bounded(limited: DurableEngine, basic_app: Any) -> None:
    basic_app.ACTIVE.update(now=0, peak=0)
    client = df.DurableOrchestrationClient(limited.client_binding())
    instance_id = await client.start_new("tracked_fan_out", client_input={"count": 12, "seconds": 0.05})
    status = await wait_done(client, instance_id)
    assert status.output == 12
    assert 1 <= basic_app.ACTIVE["peak"] <= 3


async def test_episodes_of_one_instance_never_overlap(
    engine: DurableEngine, client: df.DurableOrchestrationClient
) -> None:
    active: dict[str, int] = {}
    overlaps: list[str] = []
    original = engine._call_orchestrator

    async def probe(info: Any, instance: Any, history: Any, new_events: Any) -> Any:
        key = instance.instance_id
        active[key] = active.get(key, 0) + 1
        if active[key] > 1:
            overlaps.append(key)
        try:
            await asyncio.sleep(0.01)  # widen the window an overlap would need
            return await original(info, instance, history, new_events)
        finally:
            active[key] -= 1

    engine._call_orchestrator = probe  # type: ignore[method-assign]
    ids = [await client.start_new("fan_out", client_input={"count": 20, "seconds": 0}) for _ in range(3)]
    for instance_id in ids:
        status = await wait_done(client, instance_id)
        assert status.output == {"count": 20, "doubled": 40}
    assert overlaps == []


async def test_sync_functions_share_the_python_workers_threads(
    tmp_path: Path, basic_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """host.json allows 10 activities, but the worker runs sync functions on PYTHON_THREADPOOL_THREAD_COUNT threads
    (orchestrator episodes included), as in Azure: never more than 2 at once here."""
    monkeypatch.setenv("PYTHON_THREADPOOL_THREAD_COUNT", "2")
    config = {"extensions": {"durableTask": {"maxConcurrentActivityFunctions": 10}}}
    eng = make_engine(tmp_path / "state", host_config=config)
    await eng.start()
    try:
        basic_app.ACTIVE.update(now=0, peak=0)
        client = df.DurableOrchestrationClient(eng.client_binding())
        instance_id = await client.start_new("tracked_fan_out", client_input={"count": 8, "seconds": 0.05})
        status = await wait_done(client, instance_id)
    finally:
        await eng.stop()
        await reset_sdk_session()
    assert status.output == 8
    assert basic_app.ACTIVE["peak"] == 2
