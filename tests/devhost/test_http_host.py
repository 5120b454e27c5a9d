"""The HTTP front end as an ASGI app (no server): limits and mounting."""

from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import azure.functions as func
import httpx

from devhost.functions import FunctionInfo
from devhost.http_host import HttpHost
from devhost.invoke import Invoker
from devhost.keys import HostKeys


def _echo_size(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(str(len(req.get_body())))


def _host(webhook_app: Any = None) -> HttpHost:
    info = FunctionInfo(
        name="size",
        trigger_type="httpTrigger",
        trigger={"name": "req", "type": "httpTrigger", "authLevel": "anonymous", "route": "size"},
        bindings=[{"name": "req", "type": "httpTrigger"}, {"name": "$return", "type": "http", "direction": 1}],
        func=_echo_size,
    )
    return HttpHost(
        [info],
        route_prefix="api",
        keys=HostKeys.from_settings({"DEVHOST_SYSTEM_KEY": "sys"}),
        invoker=Invoker(Path("."), ThreadPoolExecutor(2)),
        base_url="http://testserver",
        webhook_app=webhook_app,
        max_body_bytes=1000,
    )


async def _chunks(total: int) -> AsyncIterator[bytes]:
    for _ in range(total // 100):
        yield b"x" * 100


async def test_streamed_body_over_the_limit_is_refused() -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_host()), base_url="http://testserver") as c:
        small = await c.post("/api/size", content=_chunks(1000))
        big = await c.post("/api/size", content=_chunks(5000))
    assert (small.status_code, small.text) == (200, "1000")
    assert big.status_code == 413


async def test_webhooks_need_the_system_key_and_see_the_path_below_the_mount() -> None:
    seen: list[tuple[str, str]] = []

    async def webhook_app(scope: Any, receive: Any, send: Any) -> None:
        seen.append((scope["root_path"], scope["path"]))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    transport = httpx.ASGITransport(app=_host(webhook_app))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        denied = await c.get("/runtime/webhooks/durabletask/instances/abc")
        allowed = await c.get("/runtime/webhooks/durabletask/instances/abc?code=sys")
        by_header = await c.get("/runtime/webhooks/durabletask/instances", headers={"x-functions-key": "sys"})
    assert denied.status_code == 401
    assert allowed.status_code == 200 and by_header.status_code == 200
    assert seen == [
        ("/runtime/webhooks/durabletask", "/instances/abc"),
        ("/runtime/webhooks/durabletask", "/instances"),
    ]


async def test_webhooks_are_404_without_durable_functions() -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_host()), base_url="http://testserver") as c:
        response = await c.get("/runtime/webhooks/durabletask/instances?code=sys")
    assert response.status_code == 404
