"""External events, task_any with a cancelled timer, terminate, suspend/resume and purge."""

from __future__ import annotations

import asyncio

import azure.durable_functions as df
import pytest

from devhost.durable import DurableEngine
from tests.devhost.durable.conftest import wait_done, wait_for

S = df.OrchestrationRuntimeStatus


async def _history(client: df.DurableOrchestrationClient, instance_id: str) -> list[dict]:
    return (await client.get_status(instance_id, show_history=True)).historyEvents or []


async def test_events_raised_before_and_after_waiting(client: df.DurableOrchestrationClient) -> None:
    instance_id = await client.start_new("approval")
    await client.raise_event(instance_id, "approve", {"first": 1})  # may arrive before the wait is recorded

    async def waiting() -> bool:
        return (await client.get_status(instance_id)).runtime_status == S.Running

    await wait_for(waiting)
    await client.raise_event(instance_id, "approve", "second")
    status = await wait_done(client, instance_id)
    assert status.runtime_status == S.Completed
    assert status.output == [{"first": 1}, "second"]


async def test_task_any_event_wins_and_timer_is_cancelled(client: df.DurableOrchestrationClient) -> None:
    instance_id = await client.start_new("race")

    async def timer_created() -> bool:
        return any(e["EventType"] == "TimerCreated" for e in await _history(client, instance_id))

    await wait_for(timer_created)
    await client.raise_event(instance_id, "go", 42)
    status = await wait_done(client, instance_id)
    assert status.runtime_status == S.Completed
    assert status.output == ["event", 42, "Hello after-race"]


async def test_terminate_running_then_gone(client: df.DurableOrchestrationClient) -> None:
    instance_id = await client.start_new("waiter")
    await wait_for(lambda: _is(client, instance_id, S.Running))
    await client.terminate(instance_id, "enough")
    status = await wait_done(client, instance_id)
    assert status.runtime_status == S.Terminated
    assert status.output == "enough"
    await client.terminate(instance_id, "again")  # 410 is accepted silently by the SDK
    with pytest.raises(Exception, match="is gone"):
        await client.raise_event(instance_id, "never", 1)


async def _is(client: df.DurableOrchestrationClient, instance_id: str, status: df.OrchestrationRuntimeStatus) -> bool:
    return (await client.get_status(instance_id)).runtime_status == status


async def test_suspend_holds_events_until_resume(engine: DurableEngine, client: df.DurableOrchestrationClient) -> None:
    instance_id = await client.start_new("pausable")
    await wait_for(lambda: _is(client, instance_id, S.Running))
    await client.suspend(instance_id, "hold on")
    await wait_for(lambda: _is(client, instance_id, S.Suspended))
    episodes = 0
    original = engine._episode

    async def counting(iid: str) -> None:
        nonlocal episodes
        episodes += 1
        await original(iid)

    engine._episode = counting  # type: ignore[method-assign]
    await client.raise_event(instance_id, "go", "later")
    await asyncio.sleep(0.3)
    status = await client.get_status(instance_id)
    assert status.runtime_status == S.Suspended
    assert episodes == 0  # the held event does not wake the suspended instance
    await client.resume(instance_id, "go on")
    status = await wait_done(client, instance_id)
    assert status.runtime_status == S.Completed
    assert status.output == "Hello later"
    kinds = [e["EventType"] for e in await _history(client, instance_id)]
    assert "ExecutionSuspended" in kinds and "ExecutionResumed" in kinds


async def test_purge_and_unknown_instances(client: df.DurableOrchestrationClient) -> None:
    instance_id = await client.start_new("sequence", client_input=["P"])
    await wait_done(client, instance_id)
    result = await client.purge_instance_history(instance_id)
    assert result.instances_deleted == 1
    assert not await client.get_status(instance_id)
    assert (await client.purge_instance_history(instance_id)).instances_deleted == 0
    with pytest.raises(Exception, match="No instance"):
        await client.terminate("nope", "x")
    with pytest.raises(Exception, match="No instance"):
        await client.raise_event("nope", "e", 1)


async def test_status_queries(client: df.DurableOrchestrationClient) -> None:
    done = [await client.start_new("sequence", client_input=[str(i)]) for i in range(3)]
    for instance_id in done:
        await wait_done(client, instance_id)
    running = await client.start_new("waiter")
    await wait_for(lambda: _is(client, running, S.Running))
    completed = await client.get_status_by(runtime_status=[S.Completed])
    assert {s.instance_id for s in completed} == set(done)
    everything = await client.get_status_all()
    assert {s.instance_id for s in everything} == {*done, running}
    waiting = await client.get_status_by(runtime_status=[S.Running])
    assert [s.custom_status for s in waiting] == ["waiting"]


async def test_wait_for_completion_or_check_status_response(
    engine: DurableEngine, client: df.DurableOrchestrationClient
) -> None:
    import azure.functions as func

    request = func.HttpRequest("POST", "http://localhost:7071/api/start", body=b"")
    instance_id = await client.start_new("sequence", client_input=["W"])
    response = await client.wait_for_completion_or_create_check_status_response(request, instance_id, 10000, 50)
    assert response.status_code == 200
    assert response.get_body() == b'["Hello W"]'
    waiting = await client.start_new("waiter")
    response = await client.wait_for_completion_or_create_check_status_response(request, waiting, 200, 50)
    assert response.status_code == 202
    body = response.get_body().decode()
    assert f"/runtime/webhooks/durabletask/instances/{waiting}?" in body
    assert "code=test-system-key" in body
    assert response.headers["Location"].startswith("http://localhost:7071/runtime/webhooks/durabletask/instances/")
