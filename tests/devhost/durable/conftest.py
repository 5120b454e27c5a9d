"""Fixtures: the sample app, a started DurableEngine on a tmp state dir, and the SDK's own client."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import azure.durable_functions as df
import pytest
from azure.durable_functions.models.utils import http_utils

from devhost.durable import DurableEngine
from devhost.functions import FunctionInfo
from devhost.indexing import index_app

APPS = Path(__file__).parent / "apps"


def load_app(name: str) -> ModuleType:
    """Import apps/<name>/function_app.py under a unique module name."""
    module_name = f"devhost_durable_test_app_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, APPS / name / "function_app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


_INDEXED: dict[str, list[FunctionInfo]] = {}


def app_functions(name: str) -> list[FunctionInfo]:
    """Index once per app: FunctionApp.get_functions() refuses to run twice on the same app."""
    if name not in _INDEXED:
        _INDEXED[name] = index_app(load_app(name).app)
    return _INDEXED[name]


def make_engine(state_dir: Path, host_config: dict[str, Any] | None = None, app: str = "basic") -> DurableEngine:
    return DurableEngine(
        functions=app_functions(app),
        state_dir=state_dir,
        host_config=host_config or {"version": "2.0"},
        public_base_url="http://127.0.0.1:7071",
        system_key="test-system-key",
    )


@pytest.fixture
def basic_app() -> ModuleType:
    return load_app("basic")


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[DurableEngine]:
    eng = make_engine(tmp_path / "state")
    await eng.start()
    try:
        yield eng
    finally:
        await eng.stop()
        await reset_sdk_session()


async def reset_sdk_session() -> None:
    """The SDK caches one aiohttp session per process; each test has its own event loop."""
    session = http_utils._client_session
    http_utils._client_session = None
    if session is not None and not session.closed:
        await session.close()


@pytest.fixture
def client(engine: DurableEngine) -> df.DurableOrchestrationClient:
    return df.DurableOrchestrationClient(engine.client_binding())


async def wait_done(
    client: df.DurableOrchestrationClient, instance_id: str, timeout: float = 20.0
) -> df.DurableOrchestrationStatus:
    """Poll until the instance is terminal (a safety timeout, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while True:
        status = await client.get_status(instance_id, show_input=True)
        if status.runtime_status in (
            df.OrchestrationRuntimeStatus.Completed,
            df.OrchestrationRuntimeStatus.Failed,
            df.OrchestrationRuntimeStatus.Terminated,
        ):
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"instance {instance_id} still {status.runtime_status} after {timeout}s")
        await asyncio.sleep(0.02)


async def wait_for(predicate: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.02)
