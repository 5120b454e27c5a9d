"""Running one activity work item: call the app's activity function as the Python worker does and turn the
outcome into the TaskCompleted or TaskFailed event the orchestrator receives."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from devhost.durable.invoke import (
    build_kwargs,
    call_function,
    decode_activity_input,
    encode_activity_output,
    log_invocation,
    new_invocation_id,
    warn_if_large,
)
from devhost.durable.protocol import EventType, event, now_iso
from devhost.durable.records import WorkItem
from devhost.functions import FunctionInfo


async def execute_activity(
    info: FunctionInfo | None,
    item: WorkItem,
    client_binding: Callable[[dict[str, Any]], str],
    executor: Executor,
) -> dict[str, Any]:
    """The completion event of `item`; `info` is None when the app has no activity of that name."""
    invocation_id = new_invocation_id()
    started = time.perf_counter()
    try:
        if info is None:
            raise LookupError(f"The function '{item.name}' doesn't exist, is disabled, or is not an activity function.")
        kwargs = build_kwargs(info, decode_activity_input(item.input), client_binding, invocation_id)
        output = encode_activity_output(await call_function(info, kwargs, executor))
    except Exception as exc:
        reason = str(exc) or type(exc).__name__
        log_invocation(item.name, invocation_id, item.instance_id, started, reason)
        details = "".join(traceback.format_exception(exc))
        return event(EventType.TASK_FAILED, now_iso(), TaskScheduledId=item.task_id, Reason=reason, Details=details)
    log_invocation(item.name, invocation_id, item.instance_id, started, None)
    warn_if_large("output", item.name, item.instance_id, output)
    return event(EventType.TASK_COMPLETED, now_iso(), TaskScheduledId=item.task_id, Result=output)
