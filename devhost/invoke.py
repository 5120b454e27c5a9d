"""Calling a user function as the Python worker would: argument values per binding, sync functions in a
thread pool, and one `devhost.invocations` log line per invocation."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
import threading
import time
import typing
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Generic, TypeVar

import azure.functions as func
from azure.functions import _abc as functions_abc

from devhost.functions import FunctionInfo

INVOCATION_LOGGER_NAME = "devhost.invocations"
invocation_logger = logging.getLogger(INVOCATION_LOGGER_NAME)

T = TypeVar("T")

# Direction values in indexed binding dicts (azure.functions BindingDirection).
DIRECTION_OUT = 1


class Out(func.Out[T], Generic[T]):
    """Holder for an output binding parameter (`func.Out[...]`)."""

    def __init__(self) -> None:
        self._value: T | None = None

    def set(self, val: T) -> None:
        self._value = val

    def get(self) -> T:
        return typing.cast(T, self._value)


class _TraceContext(functions_abc.TraceContext):
    def __init__(self) -> None:
        self._parent = f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-00"

    @property
    def trace_state(self) -> str:
        return ""

    @property
    def trace_parent(self) -> str:
        return self._parent

    @property
    def attributes(self) -> dict[str, str]:
        return {}


class _RetryContext(functions_abc.RetryContext):
    @property
    def retry_count(self) -> int:
        return 0

    @property
    def max_retry_count(self) -> int:
        return 0

    @property
    def exception(self) -> Any:
        return None


class InvocationContext(func.Context):
    """What the worker passes to a `context` parameter (an azure.functions.Context), on every invocation path:
    HTTP, queue and timer functions here, Durable activities in durable/invoke.py."""

    _tls = threading.local()

    def __init__(self, invocation_id: str, function_name: str, function_directory: str) -> None:
        self._invocation_id = invocation_id
        self._function_name = function_name
        self._function_directory = function_directory
        self._trace = _TraceContext()
        self._retry = _RetryContext()

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def thread_local_storage(self) -> Any:
        return self._tls

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._function_directory

    @property
    def trace_context(self) -> functions_abc.TraceContext:
        return self._trace

    @property
    def retry_context(self) -> functions_abc.RetryContext:
        return self._retry


class Invocation:
    """One invocation's identity and outcome; logged when its `invocation()` block ends."""

    def __init__(self, function_name: str, instance_id: str | None = None) -> None:
        self.id = str(uuid.uuid4())
        self.function_name = function_name
        self.instance_id = instance_id
        self.failure: str | None = None
        self._started = time.perf_counter()

    def fail(self, reason: str) -> None:
        self.failure = reason

    def log(self) -> None:
        duration_ms = round((time.perf_counter() - self._started) * 1000)
        outcome = "Succeeded" if self.failure is None else f"Failed: {self.failure}"
        level = logging.INFO if self.failure is None else logging.ERROR
        invocation_logger.log(
            level,
            "Executed '%s' (invocation=%s, instance=%s, duration=%dms, outcome=%s)",
            self.function_name,
            self.id,
            self.instance_id or "-",
            duration_ms,
            outcome,
        )


def describe_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


@asynccontextmanager
async def invocation(function_name: str, instance_id: str | None = None) -> AsyncIterator[Invocation]:
    """Log exactly one line for the block; an exception escaping it marks the invocation Failed."""
    current = Invocation(function_name, instance_id)
    try:
        yield current
    except BaseException as exc:
        if current.failure is None:
            current.fail(describe_error(exc) if not isinstance(exc, asyncio.CancelledError) else "cancelled")
        raise
    finally:
        current.log()


class Invoker:
    """Builds arguments and runs user functions; shared by the HTTP, queue and timer front ends."""

    def __init__(
        self,
        app_dir: Path,
        executor: ThreadPoolExecutor,
        durable_client: Callable[[str | None, str | None], str] | None = None,
    ) -> None:
        self.app_dir = app_dir
        self.executor = executor
        self.durable_client = durable_client

    def arguments(
        self, info: FunctionInfo, trigger_value: Any, current: Invocation
    ) -> tuple[dict[str, Any], dict[str, Out[Any]]]:
        """Keyword arguments for `info.func`, and the Out holders of named output bindings."""
        params = inspect.signature(info.func).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        kwargs: dict[str, Any] = {str(info.trigger["name"]): trigger_value}
        outs: dict[str, Out[Any]] = {}
        for binding in info.bindings:
            name = str(binding.get("name"))
            if binding is info.trigger or name == info.trigger["name"] or name == "$return":
                continue
            if binding.get("type") == "durableClient":
                if self.durable_client is None:
                    raise RuntimeError(f"function {info.name!r} has a durableClient binding but no engine runs")
                kwargs[name] = self.durable_client(binding.get("taskHub"), binding.get("connection"))
            elif binding.get("direction") == DIRECTION_OUT:
                outs[name] = kwargs[name] = Out()
        if "context" in params and "context" not in kwargs:
            kwargs["context"] = InvocationContext(current.id, info.name, str(self.app_dir))
        if not takes_any:
            kwargs = {k: v for k, v in kwargs.items() if k in params}
        return kwargs, outs

    async def call(self, info: FunctionInfo, kwargs: dict[str, Any]) -> Any:
        """Await async functions on the loop; run sync ones in the worker thread pool (as the worker does)."""
        if inspect.iscoroutinefunction(info.func):
            return await info.func(**kwargs)
        loop = asyncio.get_running_loop()
        ctx = contextvars.copy_context()
        return await loop.run_in_executor(self.executor, functools.partial(ctx.run, info.func, **kwargs))
