"""How HTTP, queue and timer functions are called: the `context` argument the worker would pass."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import azure.functions as func

from devhost.functions import FunctionInfo
from devhost.invoke import Invocation, Invoker


def _with_context(req: func.HttpRequest, context: func.Context) -> None:
    return None


def test_a_context_parameter_gets_an_azure_functions_context(tmp_path: Path) -> None:
    info = FunctionInfo(
        name="with_context",
        trigger_type="httpTrigger",
        trigger={"name": "req", "type": "httpTrigger"},
        bindings=[{"name": "req", "type": "httpTrigger"}],
        func=_with_context,
    )
    current = Invocation("with_context")
    with ThreadPoolExecutor(1) as executor:
        kwargs, _ = Invoker(tmp_path, executor).arguments(info, "the request", current)
    context = kwargs["context"]
    assert isinstance(context, func.Context)
    assert (context.invocation_id, context.function_name, context.function_directory) == (
        current.id,
        "with_context",
        str(tmp_path),
    )
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-00", context.trace_context.trace_parent)
    assert (context.retry_context.retry_count, context.retry_context.max_retry_count) == (0, 0)
    assert isinstance(context.thread_local_storage, threading.local)
