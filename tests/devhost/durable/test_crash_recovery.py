"""SIGKILL the engine mid-orchestration, start it again on the same state dir: the instance completes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import azure.durable_functions as df
import pytest

from tests.devhost.durable.conftest import reset_sdk_session, wait_done, wait_for

RUNNER = Path(__file__).with_name("run_engine.py")
ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.slow


class EngineProcess:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.binding_file = state_dir.parent / "binding.json"

    async def start(self) -> df.DurableOrchestrationClient:
        self.binding_file.unlink(missing_ok=True)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, str(RUNNER), "basic", str(self.state_dir), str(self.binding_file)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while not self.binding_file.exists():
            assert self.proc.poll() is None, "engine process exited"
            assert time.monotonic() < deadline, "engine did not start"
            await asyncio.sleep(0.05)
        await reset_sdk_session()  # the previous process's connections are dead
        return df.DurableOrchestrationClient(self.binding_file.read_text(encoding="utf-8"))

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def engine_process(tmp_path: Path) -> Iterator[EngineProcess]:
    process = EngineProcess(tmp_path / "state")
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
async def sdk_session() -> AsyncIterator[None]:
    yield
    await reset_sdk_session()


def _starts(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


async def test_kill_during_activities_then_resume(engine_process: EngineProcess, tmp_path: Path, sdk_session) -> None:
    log = tmp_path / "steps.log"
    client = await engine_process.start()
    spec = {"count": 4, "seconds": 1.5, "log": str(log)}
    instance_id = await client.start_new("slow_job", client_input=spec)
    await wait_for(lambda: len(_starts(log)) >= 4, timeout=30)
    engine_process.kill()  # all four activities are mid-sleep

    client = await engine_process.start()
    status = await wait_done(client, instance_id, timeout=60)
    assert status.runtime_status == df.OrchestrationRuntimeStatus.Completed, status.output
    assert status.output == {"values": [0, 10, 20, 30], "last": 1000}
    pids = {line.split()[2] for line in _starts(log)}
    assert len(pids) == 2  # the interrupted activities ran again in the new process
    assert sorted(line.split()[1] for line in _starts(log)).count("0") == 2


async def test_kill_while_a_timer_is_pending(engine_process: EngineProcess, tmp_path: Path, sdk_session) -> None:
    log = tmp_path / "steps.log"
    client = await engine_process.start()
    spec = {"count": 1, "seconds": 0, "log": str(log), "timer_ms": 1500}
    instance_id = await client.start_new("slow_job", client_input=spec)

    async def timer_created() -> bool:
        history = (await client.get_status(instance_id, show_history=True)).historyEvents or []
        return any(e["EventType"] == "TimerCreated" for e in history)

    await wait_for(timer_created, timeout=30)
    engine_process.kill()
    client = await engine_process.start()
    status = await wait_done(client, instance_id, timeout=60)
    assert status.runtime_status == df.OrchestrationRuntimeStatus.Completed
    assert status.output == {"values": [0], "last": 1000}
    history = (await client.get_status(instance_id, show_history=True)).historyEvents
    fired = [e for e in history if e["EventType"] == "TimerFired"]
    assert len(fired) == 1
