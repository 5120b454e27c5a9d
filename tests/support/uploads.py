"""Large uploads sent the way real clients send them, for the tests that an oversized body gets its 413.

`urllib` sends `Connection: close` and its whole body before it reads the answer; `http.client` and `requests`
keep the connection alive unless told otherwise; an iterable body goes out chunked (no Content-Length). A server
that answers early and closes on unread data gets its connection reset by the kernel: these helpers then raise
(ConnectionResetError, BrokenPipeError, requests.ConnectionError), so a test fails on exactly what a user sees.

Blocking calls: from an async test, run them with `asyncio.to_thread`.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

TIMEOUT_S = 120.0
CHUNK_BYTES = 1024 * 1024

Body = bytes | Iterable[bytes] | None


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    """Lower-case names."""
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Step:
    """One request of a conversation on a kept-alive connection."""

    method: str
    path: str
    body: Body = None
    headers: dict[str, str] = field(default_factory=dict)


def assert_payload_too_large(reply: Reply, max_bytes: int) -> None:
    """The app's 413 in its one error shape, `{"error": {"code", "message", "details"}}`."""
    assert reply.status == 413, (reply.status, reply.body[:300])
    assert reply.headers.get("content-type", "").startswith("application/json")
    error = reply.json()["error"]
    assert error["code"] == "payload_too_large" and error["message"], error
    assert error["details"] == {"max_bytes": max_bytes}, error


def contract_json(size: int) -> bytes:
    """A valid contract upload (`POST /api/contracts`) of exactly `size` bytes: stored if the limit failed."""
    head, tail = b'{"title": "Oversized", "text": "1. Term. ', b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def chunked(body: bytes, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """`body` as an iterable, which every client here sends with chunked transfer encoding."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def _lower(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers}


def urllib_request(url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Reply:
    """One request with `urllib.request` (always `Connection: close`); an HTTP error status is a reply too."""
    method = "GET" if body is None else "POST"
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return Reply(response.status, _lower(response.getheaders()), response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Reply(error.code, _lower(error.headers.items()), error.read())


def http_client_conversation(base_url: str, steps: Sequence[Step]) -> tuple[list[Reply], bool]:
    """The steps in order on one `http.client` connection; True when every step used the same socket (the server
    kept the connection open), False when http.client had to reconnect because the server closed it."""
    parts = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=TIMEOUT_S)
    replies: list[Reply] = []
    sockets: list[object] = []
    try:
        for step in steps:
            # http.client sends an iterable body chunked, bytes with a Content-Length.
            conn.request(step.method, step.path, body=step.body, headers=step.headers)
            sockets.append(conn.sock)
            response = conn.getresponse()
            replies.append(Reply(response.status, _lower(response.getheaders()), response.read()))
    finally:
        conn.close()
    return replies, all(sock is sockets[0] for sock in sockets)


def requests_conversation(base_url: str, steps: Sequence[Step]) -> tuple[list[Reply], list[object | None]]:
    """The steps in order on one `requests.Session`, and the socket each answer came on (None when the connection
    was already closed as the answer said: `Connection: close`). Kept alive, two answers share one socket."""
    sockets: list[object | None] = []

    def remember_socket(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        # Called before the body is read: the response still holds its connection.
        sockets.append(response.raw.connection.sock)

    with requests.Session() as session:
        session.hooks["response"].append(remember_socket)
        replies = []
        for step in steps:
            response = session.request(
                step.method, base_url + step.path, data=step.body, headers=step.headers, timeout=TIMEOUT_S
            )
            replies.append(Reply(response.status_code, _lower(response.headers.items()), response.content))
    return replies, sockets
