"""Request bodies as the Functions host reads them: whole, before the function runs, within the size limit.

A body is spooled (a large upload waits on disk, not in memory); one over the limit, or one no function will
read, is refused without the answer being lost to a connection reset.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import IO

from starlette.types import Message, Receive, Scope, Send

from devhost.asgi import header, send_plain
from devhost.config import ConfigError

# Azure's HTTP trigger request size limit: the app setting FUNCTIONS_REQUEST_BODY_SIZE_LIMIT (bytes), 100 MB unset.
BODY_LIMIT_SETTING = "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"
MAX_REQUEST_BODY_BYTES = 100 * 1024 * 1024
# A body is read whole before the function runs; past this size it waits in a temporary file rather than memory.
SPOOL_MEMORY_BYTES = 1024 * 1024
REPLAY_CHUNK_BYTES = 64 * 1024


class RequestTooLargeError(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body exceeds {limit} bytes")
        self.limit = limit


class ClientDisconnectedError(Exception):
    """The client went away before its request body ended."""


def request_body_limit(environ: Mapping[str, str]) -> int:
    """The host's request body limit from the app settings, as the Functions host reads it."""
    raw = environ.get(BODY_LIMIT_SETTING, "").strip()
    if not raw:
        return MAX_REQUEST_BODY_BYTES
    if not raw.isdigit() or int(raw) == 0:
        raise ConfigError(f"app setting {BODY_LIMIT_SETTING} must be a positive number of bytes, got {raw!r}")
    return int(raw)


async def refuse(
    body: AsyncIterator[bytes], send: Send, status: int, text: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Answer a request whose body no function will read, without the answer being lost to a reset.

    Every byte of the answer goes out at once (a client that reads while it uploads can stop there), then the
    rest of the body is read and dropped before the response is completed: closing a connection that still has
    unread data (after `Connection: close`) makes the kernel reset it, and a client that sends its whole body
    before reading (urllib, requests) would see "connection reset" instead of the answer. A client that waits for
    `100 Continue` gets its answer, sends no body, and closes, which also ends the draining.

    `body` is what is left of the request body (from `body_chunks`, maybe partly read already).
    """
    await send_plain(send, status, text, headers, complete=False)
    with contextlib.suppress(ClientDisconnectedError):
        async for _ in body:
            pass
    await send({"type": "http.response.body", "body": b""})


async def body_chunks(receive: Receive) -> AsyncIterator[bytes]:
    """The request body's chunks as the server delivers them, to the last one."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnectedError
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


class RequestBody:
    """A request body read to its end before the function runs, as the Functions host reads it, kept in `spool`
    (a SpooledTemporaryFile: a large upload waits on disk, not in memory, while the function reads its own copy).
    """

    def __init__(self, spool: IO[bytes]) -> None:
        self._file = spool
        self.size = 0

    @classmethod
    async def receive(cls, chunks: AsyncIterator[bytes], limit: int, spool: IO[bytes]) -> RequestBody:
        """Raises RequestTooLargeError as soon as the body passes `limit`, leaving the rest in `chunks`."""
        body = cls(spool)
        async for chunk in chunks:
            body.size += len(chunk)
            if body.size > limit:
                raise RequestTooLargeError(limit)
            # A blocking write, but to the in-memory buffer or the page cache: short enough for the event loop.
            spool.write(chunk)
        return body

    def read(self) -> bytes:
        self._file.seek(0)
        return self._file.read()

    def replay(self, receive: Receive) -> Receive:
        """A `receive` handing out the stored body, then the server's own messages (a disconnect)."""
        self._file.seek(0)
        delivered = False

        async def replayed() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            chunk = self._file.read(REPLAY_CHUNK_BYTES)
            delivered = self._file.tell() >= self.size
            return {"type": "http.request", "body": chunk, "more_body": not delivered}

        return replayed


async def receive_body(scope: Scope, receive: Receive, send: Send, spool: IO[bytes], limit: int) -> RequestBody | None:
    """The whole body, read before the function runs (as the Functions host does), so the function's answer
    always reaches the client, even when it refuses the body unread; None when the host answered itself."""
    length = header(scope, b"content-length")
    declared_too_large = length is not None and length.isdigit() and int(length) > limit
    chunks = body_chunks(receive)
    try:
        if declared_too_large:
            raise RequestTooLargeError(limit)
        return await RequestBody.receive(chunks, limit, spool)
    except RequestTooLargeError:
        # Nothing of a refused body is kept while the rest of it is read and dropped.
        spool.seek(0)
        spool.truncate()
        await refuse(chunks, send, 413, "Request Entity Too Large")
    except ClientDisconnectedError:
        pass  # no one is left to answer, and the function never sees a truncated body
    return None
