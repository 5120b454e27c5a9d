"""Benchmark of the devhost Durable engine: per-activity overhead and fan-out throughput.

    python -m bench.devhost_bench [--sequence 50] [--fan-out 100] [--nap 0.01]

Each figure is measured in the same run against calling the same functions directly in a loop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import tempfile
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import azure.durable_functions as df

from devhost.durable import DurableEngine
from devhost.indexing import index_app

app = df.DFApp()


@app.activity_trigger(input_name="value")
def bench_echo(value: Any) -> Any:
    return value


@app.activity_trigger(input_name="seconds")
def bench_nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


@app.orchestration_trigger(context_name="context")
def bench_sequence(context: df.DurableOrchestrationContext) -> Generator[Any, Any, int]:
    count = int(context.get_input())
    for i in range(count):
        yield context.call_activity("bench_echo", i)
    return count


@app.orchestration_trigger(context_name="context")
def bench_fan_out(context: df.DurableOrchestrationContext) -> Generator[Any, Any, int]:
    spec = context.get_input()
    name = spec["activity"]
    tasks = [context.call_activity(name, spec["arg"]) for _ in range(spec["count"])]
    results = yield context.task_all(tasks)
    return len(results)


async def _run(engine: DurableEngine, name: str, payload: Any) -> float:
    """Start an orchestration over HTTP with the SDK client and time it until it completes."""
    client = df.DurableOrchestrationClient(engine.client_binding())
    started = time.perf_counter()
    instance_id = await client.start_new(name, client_input=payload)
    while True:
        status = await client.get_status(instance_id)
        if status.runtime_status == df.OrchestrationRuntimeStatus.Completed:
            return time.perf_counter() - started
        if status.runtime_status in (df.OrchestrationRuntimeStatus.Failed, df.OrchestrationRuntimeStatus.Terminated):
            raise RuntimeError(f"{name} ended {status.runtime_status}: {status.output}")
        await asyncio.sleep(0.005)


async def _close_sdk_session() -> None:
    """The SDK keeps one aiohttp session per process; close it before the loop goes away."""
    from azure.durable_functions.models.utils import http_utils

    session = http_utils._client_session
    http_utils._client_session = None
    if session is not None and not session.closed:
        await session.close()


def _direct(count: int, fn: Any, arg: Any) -> float:
    started = time.perf_counter()
    for _ in range(count):
        json.loads(json.dumps(fn(arg)))  # the engine also round-trips every result through JSON
    return time.perf_counter() - started


async def main(sequence: int, fan_out: int, nap: float) -> None:
    logging.getLogger("devhost").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        engine = DurableEngine(
            functions=index_app(app),
            state_dir=Path(tmp),
            host_config={},
            public_base_url="http://127.0.0.1:7071",
            system_key="bench",
        )
        await engine.start()
        try:
            await _run(engine, "bench_sequence", 2)  # warm-up
            seq_engine = await _run(engine, "bench_sequence", sequence)
            fan_engine = await _run(engine, "bench_fan_out", {"activity": "bench_echo", "arg": 1, "count": fan_out})
            nap_engine = await _run(engine, "bench_fan_out", {"activity": "bench_nap", "arg": nap, "count": fan_out})
        finally:
            await engine.stop()
            await _close_sdk_session()
    seq_direct = _direct(sequence, bench_echo, 1)
    fan_direct = _direct(fan_out, bench_echo, 1)
    nap_direct = _direct(fan_out, bench_nap, nap)

    per_activity_ms = seq_engine / sequence * 1000
    direct_ms = seq_direct / sequence * 1000
    print(f"Sequential chain of {sequence} activities (one orchestrator episode per activity):")
    print(f"  engine: {seq_engine:.3f} s total, {per_activity_ms:.2f} ms per activity")
    print(f"  direct: {seq_direct * 1000:.3f} ms total, {direct_ms * 1000:.2f} us per call")
    overhead = per_activity_ms - direct_ms
    print(f"  overhead per activity: {overhead:.2f} ms; ratio engine/direct: {seq_engine / seq_direct:.0f}x")
    print(f"Fan-out of {fan_out} no-op activities (task_all):")
    print(f"  engine: {fan_engine:.3f} s, {fan_out / fan_engine:.0f} activities/s")
    print(f"  direct: {fan_direct * 1000:.3f} ms, {fan_out / fan_direct:.0f} calls/s")
    print(f"  ratio engine/direct: {fan_engine / fan_direct:.0f}x")
    print(f"Fan-out of {fan_out} activities sleeping {nap} s (engine runs them concurrently):")
    print(f"  engine: {nap_engine:.3f} s; direct loop: {nap_direct:.3f} s")
    print(f"  ratio engine/direct: {nap_engine / nap_direct:.2f}x")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sequence", type=int, default=50)
    parser.add_argument("--fan-out", type=int, default=100)
    parser.add_argument("--nap", type=float, default=0.01)
    args = parser.parse_args()
    asyncio.run(main(args.sequence, args.fan_out, args.nap))


if __name__ == "__main__":
    cli()
