"""devhost reads a request body whole before the function runs, as the Functions host does, up to its limit
(FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, 100 MB unset): every client gets its answer, never a reset connection.

The host's limit is set to 3 MB here (just over the 1 MiB devhost keeps in memory, so a body at the limit goes
through its temporary file) to keep the suite fast; the real 100 MB default is exercised once.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devhost.config import ConfigError
from devhost.host import DevHost
from devhost.http_body import BODY_LIMIT_SETTING
from tests.devhost.helpers import APPS
from tests.support.uploads import Reply, Step, chunked, http_client_conversation, requests_conversation, urllib_request

pytestmark = pytest.mark.slow

LIMIT = 3_000_000
JUST_OVER = LIMIT + 1
WELL_OVER = 12_000_000
HOST_413 = (413, b"Request Entity Too Large")


@dataclass(frozen=True)
class Served:
    host: DevHost
    uploads: str
    """Path of the app's `uploads` function: POST stores the body's size and hash, GET lists them."""

    @property
    def base_url(self) -> str:
        return self.host.base_url

    @property
    def uploads_url(self) -> str:
        return self.base_url + self.uploads


@pytest.fixture(params=["classic", "streaming"])
async def served(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Served]:
    """Both kinds of HTTP function (classic func.HttpRequest, the streaming extension's Request)."""
    monkeypatch.setenv(BODY_LIMIT_SETTING, str(LIMIT))
    async with DevHost(APPS / request.param, tmp_path / "state", port=0, echo=lambda _: None) as host:
        yield Served(host, "/api/uploads" if request.param == "classic" else "/uploads")


def _status_and_body(reply: Reply) -> tuple[int, bytes]:
    return reply.status, reply.body


async def _stored(served: Served) -> object:
    reply = await asyncio.to_thread(urllib_request, served.uploads_url)
    assert reply.status == 200
    return reply.json()


async def test_urllib_gets_the_hosts_413_for_bodies_just_and_well_over_the_limit(served: Served) -> None:
    for size in (JUST_OVER, WELL_OVER):
        reply = await asyncio.to_thread(urllib_request, served.uploads_url, bytes(size))
        assert _status_and_body(reply) == HOST_413, size
    assert await _stored(served) == []


async def test_http_client_gets_the_413_and_keeps_its_connection(served: Served) -> None:
    steps = [
        Step("POST", served.uploads, bytes(WELL_OVER)),
        Step("POST", served.uploads, chunked(bytes(JUST_OVER))),
        Step("POST", served.uploads, chunked(bytes(WELL_OVER))),
        Step("GET", served.uploads),
    ]
    replies, same_connection = await asyncio.to_thread(http_client_conversation, served.base_url, steps)
    assert [_status_and_body(r) for r in replies[:3]] == [HOST_413] * 3
    assert (replies[3].status, replies[3].json()) == (200, [])
    assert same_connection, "the host closed a kept-alive connection after a 413"


async def test_requests_gets_the_413_with_connection_close_and_with_keep_alive(served: Served) -> None:
    steps = [
        Step("POST", served.uploads, bytes(JUST_OVER), {"Connection": "close"}),
        Step("POST", served.uploads, chunked(bytes(WELL_OVER)), {"Connection": "close"}),
        Step("POST", served.uploads, bytes(WELL_OVER)),
        Step("GET", served.uploads),
    ]
    replies, sockets = await asyncio.to_thread(requests_conversation, served.base_url, steps)
    assert [_status_and_body(r) for r in replies[:3]] == [HOST_413] * 3
    assert [r.headers.get("connection") for r in replies[:2]] == ["close", "close"]
    assert (replies[3].status, replies[3].json()) == (200, [])
    assert sockets[2] is not None and sockets[3] is sockets[2], "a kept-alive connection was not reused"


async def test_a_body_at_the_limit_reaches_the_function_whole(served: Served) -> None:
    body = bytes(range(256)) * (LIMIT // 256) + b"!" * (LIMIT % 256)
    expected = {"size": LIMIT, "sha256": hashlib.sha256(body).hexdigest()}
    steps = [
        Step("POST", served.uploads, body),
        Step("POST", served.uploads, chunked(body, 100_000)),
        Step("GET", served.uploads),
    ]
    replies, _ = await asyncio.to_thread(http_client_conversation, served.base_url, steps)
    assert [(r.status, r.json()) for r in replies] == [(201, expected), (201, expected), (200, [expected, expected])]


async def test_a_client_waiting_for_100_continue_gets_the_413_without_sending_its_body(served: Served) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", served.host.port)
    head = f"POST {served.uploads} HTTP/1.1\r\nHost: x\r\nContent-Length: {WELL_OVER}\r\nExpect: 100-continue\r\n\r\n"
    writer.write(head.encode())
    await writer.drain()
    answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    body = await asyncio.wait_for(reader.readexactly(len(HOST_413[1])), 10)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 413 ") and body == HOST_413[1]
    assert await _stored(served) == []


async def test_a_function_that_refuses_a_body_unread_still_gets_its_answer_through(tmp_path: Path) -> None:
    async with DevHost(APPS / "streaming", tmp_path, port=0, echo=lambda _: None) as host:
        reply = await asyncio.to_thread(urllib_request, host.base_url + "/refuse-early", bytes(WELL_OVER))
        steps = [Step("POST", "/refuse-early", bytes(WELL_OVER)), Step("POST", "/refuse-early", b"{}")]
        replies, same_connection = await asyncio.to_thread(http_client_conversation, host.base_url, steps)
    assert reply.status == 413 and reply.json()["error"]["code"] == "payload_too_large"
    assert [r.status for r in replies] == [413, 200] and replies[1].json() == {"size": 2}
    assert same_connection


async def test_answers_the_host_gives_itself_survive_a_large_body(tmp_path: Path) -> None:
    async with DevHost(APPS / "classic", tmp_path, port=0, echo=lambda _: None) as host:
        unrouted = await asyncio.to_thread(urllib_request, host.base_url + "/api/nowhere", bytes(WELL_OVER))
        no_key = await asyncio.to_thread(urllib_request, host.base_url + "/api/secret", bytes(WELL_OVER))
    assert (unrouted.status, no_key.status) == (404, 401)


async def test_the_limit_is_100_mb_unless_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BODY_LIMIT_SETTING, raising=False)
    async with DevHost(APPS / "classic", tmp_path, port=0, echo=lambda _: None) as host:
        url = host.base_url + "/api/uploads"
        reply = await asyncio.to_thread(urllib_request, url, bytes(100 * 1024 * 1024 + 1))
        stored = (await asyncio.to_thread(urllib_request, url)).json()
    assert _status_and_body(reply) == HOST_413
    assert stored == []


async def test_an_unusable_limit_setting_stops_the_host_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BODY_LIMIT_SETTING, "16MB")
    with pytest.raises(ConfigError, match=BODY_LIMIT_SETTING):
        async with DevHost(APPS / "classic", tmp_path, port=0, echo=lambda _: None):
            pass
