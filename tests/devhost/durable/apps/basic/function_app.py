"""A small Durable app exercising the engine (not the contract app)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from datetime import timedelta
from typing import Any

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

ATTEMPTS: dict[str, int] = {}
NONDET: dict[str, str] = {"first": "hello"}


# -- activities ----------------------------------------------------------------------------------------
@app.activity_trigger(input_name="name")
def hello(name: str) -> str:
    return f"Hello {name}"


@app.activity_trigger(input_name="value")
def echo(value: Any) -> Any:
    return value


@app.activity_trigger(input_name="value")
async def async_double(value: int) -> int:
    await asyncio.sleep(0)
    return value * 2


@app.activity_trigger(input_name="seconds")
def nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


@app.activity_trigger(input_name="key")
def flaky(key: str) -> str:
    """Fails until its third attempt for a given key."""
    ATTEMPTS[key] = ATTEMPTS.get(key, 0) + 1
    if ATTEMPTS[key] < 3:
        raise RuntimeError(f"flaky attempt {ATTEMPTS[key]}")
    return f"ok after {ATTEMPTS[key]}"


@app.activity_trigger(input_name="value")
def boom(value: Any) -> None:
    raise ValueError("kaboom")


@app.activity_trigger(input_name="size")
def big(size: int) -> str:
    return "x" * size


@app.activity_trigger(input_name="payload")
def slow_step(payload: dict[str, Any]) -> int:
    """Sleeps, and records each run in a log file (to see re-runs after a crash)."""
    with open(payload["log"], "a", encoding="utf-8") as fh:
        fh.write(f"start {payload['n']} {os.getpid()}\n")
    time.sleep(payload["seconds"])
    return int(payload["n"]) * 10


ACTIVE = {"now": 0, "peak": 0}
ACTIVE_LOCK = threading.Lock()


@app.activity_trigger(input_name="seconds")
def tracked(seconds: float) -> int:
    """Records how many activities run at once."""
    with ACTIVE_LOCK:
        ACTIVE["now"] += 1
        ACTIVE["peak"] = max(ACTIVE["peak"], ACTIVE["now"])
    time.sleep(seconds)
    with ACTIVE_LOCK:
        ACTIVE["now"] -= 1
    return 1


@app.orchestration_trigger(context_name="context")
def tracked_fan_out(context: df.DurableOrchestrationContext):
    spec = context.get_input()
    results = yield context.task_all([context.call_activity("tracked", spec["seconds"]) for _ in range(spec["count"])])
    return sum(results)


@app.activity_trigger(input_name="value")
def thread_sync(value: Any) -> str:
    return threading.current_thread().name


@app.activity_trigger(input_name="value")
async def thread_async(value: Any) -> str:
    return threading.current_thread().name


@app.orchestration_trigger(context_name="context")
def threads(context: df.DurableOrchestrationContext):
    sync_thread = yield context.call_activity("thread_sync", None)
    async_thread = yield context.call_activity("thread_async", None)
    return {"sync": sync_thread, "async": async_thread}


@app.activity_trigger(input_name="instance")
@app.durable_client_input(client_name="client")
async def status_of(instance: str, client: df.DurableOrchestrationClient) -> str:
    status = await client.get_status(instance)
    return status.runtime_status.value if status.runtime_status else "unknown"


# -- orchestrators -------------------------------------------------------------------------------------
@app.orchestration_trigger(context_name="context")
def sequence(context: df.DurableOrchestrationContext):
    names = context.get_input() or ["Tokyo", "Seattle", "London"]
    results = []
    for name in names:
        results.append((yield context.call_activity("hello", name)))
    return results


@app.orchestration_trigger(context_name="context")
def fan_out(context: df.DurableOrchestrationContext):
    spec = context.get_input()
    tasks = [context.call_activity("nap", spec["seconds"]) for _ in range(spec["count"])]
    results = yield context.task_all(tasks)
    doubled = yield context.call_activity("async_double", len(results))
    return {"count": len(results), "doubled": doubled}


@app.orchestration_trigger(context_name="context")
def retrying(context: df.DurableOrchestrationContext):
    options = df.RetryOptions(first_retry_interval_in_milliseconds=20, max_number_of_attempts=4)
    first = yield context.call_activity_with_retry("flaky", options, context.get_input())
    after = yield context.call_activity("hello", "after")
    return [first, after]


@app.orchestration_trigger(context_name="context")
def retry_exhausted(context: df.DurableOrchestrationContext):
    options = df.RetryOptions(first_retry_interval_in_milliseconds=10, max_number_of_attempts=2)
    try:
        yield context.call_activity_with_retry("boom", options, None)
    except Exception as exc:
        return f"caught: {exc}"
    return "not reached"


@app.orchestration_trigger(context_name="context")
def catches(context: df.DurableOrchestrationContext):
    try:
        yield context.call_activity("boom", 1)
    except Exception as exc:
        return str(exc)
    return "not reached"


@app.orchestration_trigger(context_name="context")
def raises(context: df.DurableOrchestrationContext):
    yield context.call_activity("hello", "x")
    raise ValueError("orchestrator broke")


@app.orchestration_trigger(context_name="context")
def parent(context: df.DurableOrchestrationContext):
    child = yield context.call_sub_orchestrator("sequence", ["A", "B"])
    options = df.RetryOptions(first_retry_interval_in_milliseconds=10, max_number_of_attempts=2)
    retried = yield context.call_sub_orchestrator_with_retry("sequence", options, ["C"], "child-fixed-id")
    try:
        yield context.call_sub_orchestrator("raises")
    except Exception as exc:
        failed = str(exc)
    return {"child": child, "retried": retried, "failed": "orchestrator broke" in failed}


@app.orchestration_trigger(context_name="context")
def sleeper(context: df.DurableOrchestrationContext):
    start = context.current_utc_datetime
    fire_at = start + timedelta(milliseconds=context.get_input() or 200)
    yield context.create_timer(fire_at)
    return {"start": start.isoformat(), "now": context.current_utc_datetime.isoformat(), "fire_at": fire_at.isoformat()}


@app.orchestration_trigger(context_name="context")
def approval(context: df.DurableOrchestrationContext):
    value = yield context.wait_for_external_event("approve")
    second = yield context.wait_for_external_event("approve")
    return [value, second]


@app.orchestration_trigger(context_name="context")
def race(context: df.DurableOrchestrationContext):
    timer = context.create_timer(context.current_utc_datetime + timedelta(seconds=60))
    event = context.wait_for_external_event("go")
    winner = yield context.task_any([event, timer])
    if winner == event:
        timer.cancel()
        after = yield context.call_activity("hello", "after-race")
        return ["event", event.result, after]
    return ["timer"]


@app.orchestration_trigger(context_name="context")
def status_setter(context: df.DurableOrchestrationContext):
    size = context.get_input()
    context.set_custom_status({"blob": "y" * size})
    yield context.call_activity("hello", "status")
    return "done"


@app.orchestration_trigger(context_name="context")
def counter(context: df.DurableOrchestrationContext):
    n = context.get_input() or 0
    yield context.call_activity("hello", str(n))
    if n < 3:
        context.continue_as_new(n + 1)
        return None
    return n


@app.orchestration_trigger(context_name="context")
def drifting(context: df.DurableOrchestrationContext):
    """Non-deterministic on purpose: the activity name comes from module state the test changes."""
    yield context.call_activity(NONDET["first"], "x")
    yield context.wait_for_external_event("go")
    return "done"


@app.orchestration_trigger(context_name="context")
def waiter(context: df.DurableOrchestrationContext):
    context.set_custom_status("waiting")
    value = yield context.wait_for_external_event("never")
    return value


@app.orchestration_trigger(context_name="context")
def pausable(context: df.DurableOrchestrationContext):
    value = yield context.wait_for_external_event("go")
    after = yield context.call_activity("hello", value)
    return after


@app.orchestration_trigger(context_name="context")
def payloads(context: df.DurableOrchestrationContext):
    result = yield context.call_activity("big", context.get_input())
    return len(result)


@app.orchestration_trigger(context_name="context")
def with_client(context: df.DurableOrchestrationContext):
    return (yield context.call_activity("status_of", context.instance_id))


@app.orchestration_trigger(context_name="context")
def slow_job(context: df.DurableOrchestrationContext):
    spec = context.get_input()
    steps = [
        context.call_activity("slow_step", {"n": n, "seconds": spec["seconds"], "log": spec["log"]})
        for n in range(spec["count"])
    ]
    values = yield context.task_all(steps)
    fire_at = context.current_utc_datetime + timedelta(milliseconds=spec.get("timer_ms", 0))
    yield context.create_timer(fire_at)
    last = yield context.call_activity("slow_step", {"n": 100, "seconds": 0, "log": spec["log"]})
    return {"values": values, "last": last}
