"""The loopback listener the SDK's `DurableOrchestrationClient` calls through `rpcBaseUrl`, and the SDK's
process-wide client session, closed when the engine stops."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp

RPC_PATH = "/durabletask"


class _LoopbackServer(uvicorn.Server):
    """uvicorn without its signal handlers: the host shell owns the process's signals."""

    def capture_signals(self) -> contextlib.AbstractContextManager[None]:  # type: ignore[override]
        return contextlib.nullcontext()


class RpcListener:
    """Serves the management API under RPC_PATH on 127.0.0.1 at a free port."""

    def __init__(self) -> None:
        self.port: int | None = None
        self._server: _LoopbackServer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, api: ASGIApp) -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))  # loopback only: the rpc API carries no key
        self.port = int(sock.getsockname()[1])
        app = Starlette(routes=[Mount(RPC_PATH, app=api)])
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self._server = _LoopbackServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)
        return self.port

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, timeout=5.0)


async def close_sdk_client_session() -> None:
    """Close the Durable SDK's process-wide aiohttp session, as a worker does when it shuts down.

    The SDK keeps one session bound to the event loop that first used it; an engine started again in the same
    process (tests, or a host restarted in-process) runs on a new loop, where that session fails with
    "Event loop is closed".
    """
    module = sys.modules.get("azure.durable_functions.models.utils.http_utils")
    close = getattr(module, "_close_session", None)
    if close is not None:
        with contextlib.suppress(Exception):
            await close()
