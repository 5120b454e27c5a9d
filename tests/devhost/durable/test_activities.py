"""How activities are called: input decoding as the worker does it, threads, unknown names."""

from __future__ import annotations

import threading
from typing import Any

import azure.durable_functions as df
import pytest

from devhost.durable.invoke import decode_activity_input, encode_activity_output
from tests.devhost.durable.conftest import wait_done


@pytest.mark.parametrize(
    ("text", "value"),
    [('"x"', "x"), ('{"a": [1, 2]}', {"a": [1, 2]}), ("null", None), ("3", 3), ("not json", "not json"), (None, None)],
)
def test_input_is_decoded_like_the_activity_trigger_converter(text: str | None, value: object) -> None:
    assert decode_activity_input(text) == value


def test_output_is_json() -> None:
    assert encode_activity_output({"a": 1}) == '{"a": 1}'
    assert encode_activity_output(None) == "null"


async def test_sync_activities_use_the_pool_and_async_ones_the_loop(client: df.DurableOrchestrationClient) -> None:
    instance_id = await client.start_new("threads")
    status = await wait_done(client, instance_id)
    assert status.output["sync"].startswith("devhost-activity")
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
