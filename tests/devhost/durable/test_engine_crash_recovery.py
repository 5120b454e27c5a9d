"""SIGKILL the engine mid-orchestration, start it again on the same state dir: the instance completes.

And the whole host (`python -m devhost`) killed and restarted: the management URLs it handed out before the crash,
which carry its generated system key, still work afterwards, as they do in Azure."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import azure.durable_functions as df
import httpx
import pytest

from devhost.keys import keys_file
from devhost.process import DevHostProcess
from tests.devhost.durable.conftest import APPS, reset_sdk_session, wait_done, wait_for
from tests.support.ports import free_port

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


# --- the whole host: keys survive the crash ---------------------------------------------------------------------

GENERATED_FUNCTION_KEY = re.compile(r"Function key \(generated[^)]*\): (\S+)")
ACTIVE = ("Pending", "Running")


def _devhost(state_dir: Path, port: int) -> DevHostProcess:
    # No DEVHOST_* key from the developer's shell: every key of the app must be generated.
    env = {name: value for name, value in os.environ.items() if not name.startswith("DEVHOST_")}
    return DevHostProcess(APPS / "keyed", state_dir, port=port, env=env)


def _kill(host: DevHostProcess) -> None:
    assert host.process is not None
    host.process.kill()  # SIGKILL: no shutdown at all
    host.process.wait(timeout=10)


def _printed_function_key(host: DevHostProcess) -> str:
    found = GENERATED_FUNCTION_KEY.search(host.output)
    assert found, host.output
    return found.group(1)


def _runtime_status(client: httpx.Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code in (200, 202), (response.status_code, response.text)
    return str(response.json()["runtimeStatus"])


def _eventually(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll until `predicate` holds (a safety timeout, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def test_urls_handed_out_before_a_crash_work_after_the_restart(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    port = free_port()  # the same address after the restart, as an app keeps its host name in Azure
    host = _devhost(state_dir, port).start()
    try:
        function_key = _printed_function_key(host)
        auth = {"x-functions-key": function_key}
        with httpx.Client(timeout=10) as client:
            started = client.post(f"{host.base_url}/api/start/await_approval", json={"order": 7}, headers=auth)
            assert started.status_code == 202, started.text
            urls = started.json()
            status_url = urls["statusQueryGetUri"]
            assert "code=" in status_url
            _eventually(lambda: _runtime_status(client, status_url) == "Running")
        _kill(host)

        host = _devhost(state_dir, port).start()
        assert _printed_function_key(host) == function_key
        with httpx.Client(timeout=10) as client:
            # The URLs from before the kill, unchanged: none answers 401.
            assert _runtime_status(client, status_url) in ACTIVE
            raised = client.post(urls["sendEventPostUri"].replace("{eventName}", "approval"), json="approved")
            assert raised.status_code == 202, raised.text
            _eventually(lambda: _runtime_status(client, status_url) == "Completed")
            assert client.get(status_url).json()["output"] == {"request": {"order": 7}, "decision": "approved"}
            assert client.delete(urls["purgeHistoryDeleteUri"]).status_code == 200
            assert client.get(status_url).status_code == 404
            # The function key printed at the first start still opens the starter.
            again = client.post(f"{host.base_url}/api/start/await_approval", json={}, headers=auth)
            assert again.status_code == 202, again.text
            # Keeping the keys opened nothing: without one, Durable's API still refuses.
            assert client.get(status_url.split("?")[0]).status_code == 401
    finally:
        host.stop()
    assert keys_file(state_dir).stat().st_mode & 0o077 == 0  # the stored keys are readable only by the user
