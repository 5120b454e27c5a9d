"""How Durable activities are called: the `context` argument is the same azure.functions.Context as elsewhere."""

import re
import threading

import azure.functions as func

from devhost.durable.invoke import build_kwargs
from devhost.functions import FunctionInfo


def _activity(value: int, context: func.Context) -> int:
    return value


def test_an_activity_context_parameter_gets_an_azure_functions_context() -> None:
    info = FunctionInfo(
        name="activity",
        trigger_type="activityTrigger",
        trigger={"name": "value", "type": "activityTrigger"},
        bindings=[{"name": "value", "type": "activityTrigger"}],
        func=_activity,
    )
    kwargs = build_kwargs(info, 3, lambda binding: "{}", "invocation-1")
    context = kwargs["context"]
    assert kwargs["value"] == 3
    assert isinstance(context, func.Context)
    assert (context.invocation_id, context.function_name, context.function_directory) == (
        "invocation-1",
        "activity",
        "",
    )
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-00", context.trace_context.trace_parent)
    assert (context.retry_context.retry_count, context.retry_context.max_retry_count) == (0, 0)
    assert isinstance(context.thread_local_storage, threading.local)
