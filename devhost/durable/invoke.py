"""Calling the app's functions the way the Python worker does, and the invocation log line."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from typing import Any

from azure.functions import meta
from azure.functions.durable_functions import ActivityTriggerConverter

from devhost.functions import FunctionInfo
from devhost.invoke import InvocationContext

invocation_log = logging.getLogger("devhost.invocations")
durable_log = logging.getLogger("devhost.durable")

LARGE_PAYLOAD_BYTES = 45 * 1024
"""Azure Storage moves messages over ~45 KB to blobs, which makes them slow: warn about them."""


def log_invocation(name: str, invocation_id: str, instance_id: str, started: float, error: str | None) -> None:
    duration = (time.perf_counter() - started) * 1000
    outcome = "Succeeded" if error is None else f"Failed: {error}"
    invocation_log.info(
        "Executed '%s' (invocation=%s, instance=%s, duration=%.0fms, outcome=%s)",
        name,
        invocation_id,
        instance_id,
        duration,
        outcome,
    )


def decode_activity_input(text: str | None) -> Any:
    """Decode as the worker's activityTrigger converter does (JSON, falling back to the raw string)."""
    if text is None:
        return None
    return ActivityTriggerConverter.decode(meta.Datum(text, "string"), trigger_metadata=None)


def encode_activity_output(value: Any) -> str:
    datum = ActivityTriggerConverter.encode(value, expected_type=None)
    return str(datum.value)


def warn_if_large(kind: str, function: str, instance_id: str, payload: str | None) -> None:
    if payload is not None and len(payload.encode("utf-8")) > LARGE_PAYLOAD_BYTES:
        durable_log.warning(
            "Activity '%s' %s for instance %s is %d bytes: over 45 KB Azure Storage moves it to a blob, which is slow",
            function,
            kind,
            instance_id,
            len(payload.encode("utf-8")),
        )


def build_kwargs(
    info: FunctionInfo, trigger_value: Any, client_binding: Callable[[dict[str, Any]], str], invocation_id: str
) -> dict[str, Any]:
    """Arguments for the user function: its trigger, durableClient inputs and an optional `context`."""
    kwargs: dict[str, Any] = {str(info.trigger["name"]): trigger_value}
    for binding in info.bindings_of_type("durableClient"):
        kwargs[str(binding["name"])] = client_binding(binding)
    try:
        params: Mapping[str, inspect.Parameter] = inspect.signature(info.func).parameters
    except (TypeError, ValueError):
        params = {}
    if "context" in params and "context" not in kwargs:
        # The engine is not told the app directory, so function_directory stays empty (the worker gives the
        # script root); the HTTP, queue and timer paths know it and pass it.
        kwargs["context"] = InvocationContext(invocation_id, info.name, function_directory="")
    return kwargs


async def call_function(info: FunctionInfo, kwargs: dict[str, Any], executor: Executor) -> Any:
    """Async functions run on the loop, sync ones in the thread pool, as the Python worker does."""
    if inspect.iscoroutinefunction(info.func):
        return await info.func(**kwargs)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor, lambda: info.func(**kwargs))


def new_invocation_id() -> str:
    return str(uuid.uuid4())
