"""The engine: orchestrations run through the real SDK handle, driven by the real DurableOrchestrationClient,
and what using it before start() says."""

from __future__ import annotations

from pathlib import Path

import azure.durable_functions as df
import pytest

from devhost.durable import DurableEngine
from tests.devhost.durable.conftest import make_engine, wait_done

Completed = df.OrchestrationRuntimeStatus.Completed
Failed = df.OrchestrationRuntimeStatus.Failed


async def test_activity_sequence(client: df.DurableOrchestrationClient) -> None:
    instance_id = await client.start_new("sequence", client_input=["A", "B", "C"])
    status = await wait_done(client, instance_id)
    assert status.runtime_status == Completed
    assert status.output == ["Hello A", "Hello B", "Hello C"]
    assert status.input_ == ["A", "B", "C"]


async def test_fan_out_of_100_activities(client: df.DurableOrchestrationClient) -> None:
    instance_id = await client.start_new("fan_out", client_input={"count": 100, "seconds": 0.1})
    status = await wait_done(client, instance_id, timeout=60)
    assert status.runtime_status == Completed
    assert status.output == {"count": 100, "doubled": 200}


async def test_retry_is_timer_then_new_task_schedule(client: df.DurableOrchestrationClient) -> None:
    instance_id = await client.start_new("retrying", client_input="retry-key-1")
    status = await wait_done(client, instance_id)
    assert status.runtime_status == Completed, status.output
    assert status.output == ["ok after 3", "Hello after"]
    history = (await client.get_status(instance_id, show_history=True)).historyEvents
    kinds = [(e["EventType"], e.get("EventId")) for e in history if e["EventType"] in ("TaskScheduled", "TimerCreated")]
    assert kinds == [
        ("TaskScheduled", 0),
        ("TimerCreated", 1),
        ("TaskScheduled", 2),
        ("TimerCreated", 3),
        ("TaskScheduled", 4),
        ("TaskScheduled", 5),
    ]


async def test_retry_exhausted_raises_into_orchestrator(client: df.DurableOrchestrationClient) -> None:
    instance_id = await client.start_new("retry_exhausted")
    status = await wait_done(client, instance_id)
    assert status.runtime_status == Completed
    assert status.output.startswith("caught: kaboom")


async def test_activity_failure_carries_reason_and_details(client: df.DurableOrchestrationClient) -> None:
    instance_id = await client.start_new("catches")
    status = await wait_done(client, instance_id)
    assert status.runtime_status == Completed
    assert status.output.startswith("kaboom")
    assert "Traceback" in status.output and "ValueError" in status.output


async def test_orchestrator_exception_fails_instance(client: df.DurableOrchestrationClient) -> None:
    instance_id = await client.start_new("raises")
    status = await wait_done(client, instance_id)
    assert status.runtime_status == Failed
    assert "orchestrator broke" in status.output


async def test_sub_orchestrations_with_and_without_retry(client: df.DurableOrchestrationClient) -> None:
    instance_id = await client.start_new("parent")
    status = await wait_done(client, instance_id)
    assert status.runtime_status == Completed, status.output
    assert status.output == {"child": ["Hello A", "Hello B"], "retried": ["Hello C"], "failed": True}
    child = await client.get_status("child-fixed-id")
    assert child.runtime_status == Completed


async def test_timer_fires_and_current_time_is_episode_start(client: df.DurableOrchestrationClient) -> None:
    instance_id = await client.start_new("sleeper", client_input=150)
    status = await wait_done(client, instance_id)
    assert status.runtime_status == Completed
    out = status.output
    assert out["now"] > out["start"]
    assert out["now"] >= out["fire_at"]
    history = (await client.get_status(instance_id, show_history=True)).historyEvents
    assert [e["EventType"] for e in history if e["EventType"].startswith("Timer")] == ["TimerCreated", "TimerFired"]


async def test_custom_status_over_16kb_fails_instance(client: df.DurableOrchestrationClient) -> None:
    ok = await client.start_new("status_setter", client_input=100)
    too_big = await client.start_new("status_setter", client_input=9000)
    ok_status = await wait_done(client, ok)
    assert ok_status.runtime_status == Completed
    assert ok_status.custom_status == {"blob": "y" * 100}
    big_status = await wait_done(client, too_big)
    assert big_status.runtime_status == Failed
    assert "16 KB" in big_status.output and "Custom status" in big_status.output


async def test_continue_as_new_restarts_with_new_input(client: df.DurableOrchestrationClient) -> None:
    instance_id = await client.start_new("counter", client_input=0)
    status = await wait_done(client, instance_id)
    assert status.runtime_status == Completed
    assert status.output == 3
    assert status.input_ == 3


async def test_activity_can_use_a_durable_client_binding(client: df.DurableOrchestrationClient) -> None:
    instance_id = await client.start_new("with_client")
    status = await wait_done(client, instance_id)
    assert status.output == "Running"


async def test_large_payload_warning(client: df.DurableOrchestrationClient, caplog) -> None:
    caplog.set_level("WARNING", logger="devhost.durable")
    instance_id = await client.start_new("payloads", client_input=50 * 1024)
    status = await wait_done(client, instance_id)
    assert status.output == 50 * 1024
    assert any("over 45 KB" in r.getMessage() and "big" in r.getMessage() for r in caplog.records)


async def test_invocation_log_lines(client: df.DurableOrchestrationClient, caplog) -> None:
    caplog.set_level("INFO", logger="devhost.invocations")
    instance_id = await client.start_new("catches")
    await wait_done(client, instance_id)
    lines = [r.getMessage() for r in caplog.records if r.name == "devhost.invocations"]
    assert any(line.startswith("Executed 'boom' (invocation=") and "outcome=Failed: kaboom" in line for line in lines)
    assert any(
        line.startswith("Executed 'catches'") and f"instance={instance_id}" in line and "outcome=Succeeded" in line
        for line in lines
    )


async def test_non_determinism_fails_with_both_names(
    engine: DurableEngine, client: df.DurableOrchestrationClient, basic_app
) -> None:
    instance_id = await client.start_new("drifting")

    async def waiting_for_event() -> bool:
        history = (await client.get_status(instance_id, show_history=True)).historyEvents or []
        return any(e["EventType"] == "TaskCompleted" for e in history)

    from tests.devhost.durable.conftest import wait_for

    await wait_for(waiting_for_event)
    basic_app.NONDET["first"] = "echo"
    try:
        await client.raise_event(instance_id, "go", True)
        status = await wait_done(client, instance_id)
    finally:
        basic_app.NONDET["first"] = "hello"
    assert status.runtime_status == Failed
    assert "non-deterministic" in status.output.lower()
    assert "'hello'" in status.output and "'echo'" in status.output


def test_client_binding_before_start_is_a_clear_error(tmp_path: Path) -> None:
    from devhost.durable.errors import EngineNotStartedError

    with pytest.raises(EngineNotStartedError, match="start"):
        make_engine(tmp_path / "s").client_binding()
