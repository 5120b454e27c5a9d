"""The app answers an oversized body with its 413 on its own, whatever the client's connection header.

Served here the way the Python worker serves HTTP-stream functions (uvicorn, the body streamed to the function
as it arrives), with no host reading the body first: an app that answered before reading the body had its 413
destroyed by a connection reset whenever the client sent `Connection: close`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import uvicorn
from starlette.requests import Request

from tests.api.conftest import CONTRACT_TEXT, Api
from tests.support.uploads import (
    Step,
    assert_payload_too_large,
    chunked,
    contract_json,
    http_client_conversation,
    requests_conversation,
    urllib_request,
)

pytestmark = pytest.mark.slow

LIMIT = 2_000_000  # MAX_REQUEST_BYTES for these tests; tests/e2e sends 17 and 40 MB against the real 16 MiB
JUST_OVER = LIMIT + 1
WELL_OVER = 10_000_000
USER = {"X-MS-CLIENT-PRINCIPAL-ID": "alice", "Content-Type": "application/json"}
SMALL_CONTRACT = json.dumps({"title": "MSA", "text": CONTRACT_TEXT}).encode()


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the test owns shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _worker_app(api: Api) -> Any:
    """An ASGI app calling the app's HTTP functions with the extension's Request over the live connection."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        function, params = api.resolve(scope["method"], scope["path"])
        scope["path_params"] = params
        response = await function.info.func(**{str(function.info.trigger["name"]): Request(scope, receive)})
        await response(scope, receive, send)

    return app


@pytest.fixture
async def worker(api: Api, configure: Any) -> AsyncIterator[str]:
    configure(max_request_bytes=LIMIT)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    server = _Server(uvicorn.Config(_worker_app(api), lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


def _contracts(reply: Any) -> list[Any]:
    assert reply.status == 200, reply.body[:300]
    return list(reply.json()["contracts"])


async def test_urllib_gets_the_413_for_bodies_just_and_well_over_the_limit(worker: str) -> None:
    for size in (JUST_OVER, WELL_OVER):
        reply = await asyncio.to_thread(urllib_request, worker + "/api/contracts", contract_json(size), USER)
        assert_payload_too_large(reply, LIMIT)
    listed = await asyncio.to_thread(urllib_request, worker + "/api/contracts", None, USER)
    assert _contracts(listed) == []


async def test_http_client_gets_the_413_and_its_next_request_works_on_the_same_connection(worker: str) -> None:
    steps = [
        Step("POST", "/api/contracts", contract_json(WELL_OVER), USER),
        Step("POST", "/api/contracts", chunked(contract_json(JUST_OVER)), USER),
        Step("GET", "/api/contracts", None, USER),
        Step("POST", "/api/contracts", SMALL_CONTRACT, USER),
        Step("GET", "/api/contracts", None, USER),
    ]
    replies, same_connection = await asyncio.to_thread(http_client_conversation, worker, steps)
    for reply in replies[:2]:
        assert_payload_too_large(reply, LIMIT)
    assert _contracts(replies[2]) == []
    assert replies[3].status == 201, replies[3].body
    assert [c["title"] for c in _contracts(replies[4])] == ["MSA"]
    assert same_connection


async def test_requests_gets_the_413_with_connection_close_and_with_keep_alive(worker: str) -> None:
    close = {**USER, "Connection": "close"}
    steps = [
        Step("POST", "/api/contracts", contract_json(JUST_OVER), close),
        Step("POST", "/api/contracts", chunked(contract_json(WELL_OVER)), close),
        Step("POST", "/api/contracts", chunked(contract_json(WELL_OVER)), USER),
        Step("GET", "/api/contracts", None, USER),
    ]
    replies, sockets = await asyncio.to_thread(requests_conversation, worker, steps)
    for reply in replies[:3]:
        assert_payload_too_large(reply, LIMIT)
    assert _contracts(replies[3]) == []
    assert sockets[2] is not None and sockets[3] is sockets[2], "a kept-alive connection was not reused"
