"""The ASGI front end: routes HTTP triggers, enforces keys and limits, mounts the Durable webhooks."""

from __future__ import annotations

import contextlib
import logging
import tempfile
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import IO, Any

import azure.functions as func

from devhost.config import ConfigError
from devhost.functions import FunctionInfo
from devhost.http_kinds import uses_http_extension
from devhost.invoke import Invoker, describe_error, invocation
from devhost.keys import HostKeys
from devhost.routing import ALL_METHODS, Route, RouteTable, RouteTemplate

logger = logging.getLogger("devhost.http")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Azure's HTTP trigger request size limit: the app setting FUNCTIONS_REQUEST_BODY_SIZE_LIMIT (bytes), 100 MB unset.
BODY_LIMIT_SETTING = "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"
MAX_REQUEST_BODY_BYTES = 100 * 1024 * 1024
# A body is read whole before the function runs; past this size it waits in a temporary file rather than memory.
SPOOL_MEMORY_BYTES = 1024 * 1024
REPLAY_CHUNK_BYTES = 64 * 1024
WEBHOOK_PREFIX = "/runtime/webhooks/durabletask"
PRINCIPAL_HEADER_PREFIX = b"x-ms-client-principal"


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


@dataclass(frozen=True)
class HttpFunction:
    info: FunctionInfo
    template: RouteTemplate
    methods: frozenset[str]
    auth_level: str
    streaming: bool
    """Uses the HTTP streaming extension's Request/Response types."""

    @property
    def display_route(self) -> str:
        return "/" + "/".join(p for p in self.template.template.split("/") if p)

    @classmethod
    def from_info(cls, info: FunctionInfo, prefix: str) -> HttpFunction:
        route = info.trigger.get("route") or info.name
        methods = info.trigger.get("methods") or ALL_METHODS
        template = RouteTemplate.compile(str(route), prefix)
        shown = "/".join(p for p in (prefix, str(route).strip("/")) if p)
        template.template = shown
        return cls(
            info=info,
            template=template,
            methods=frozenset(str(m).upper() for m in methods),
            auth_level=str(info.trigger.get("authLevel") or "function").lower(),
            streaming=uses_http_extension(info),
        )


async def _send_plain(
    send: Send, status: int, text: str, headers: list[tuple[bytes, bytes]] | None = None, *, complete: bool = True
) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": not complete})


async def _refuse(
    body: AsyncIterator[bytes], send: Send, status: int, text: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Answer a request whose body no function will read, without the answer being lost to a reset.

    Every byte of the answer goes out at once (a client that reads while it uploads can stop there), then the
    rest of the body is read and dropped before the response is completed: closing a connection that still has
    unread data (after `Connection: close`) makes the kernel reset it, and a client that sends its whole body
    before reading (urllib, requests) would see "connection reset" instead of the answer. A client that waits for
    `100 Continue` gets its answer, sends no body, and closes, which also ends the draining.

    `body` is what is left of the request body (from `_body_chunks`, maybe partly read already).
    """
    await _send_plain(send, status, text, headers, complete=False)
    with contextlib.suppress(ClientDisconnectedError):
        async for _ in body:
            pass
    await send({"type": "http.response.body", "body": b""})


async def _body_chunks(receive: Receive) -> AsyncIterator[bytes]:
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


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


class HttpHost:
    """ASGI application serving an app's HTTP triggers (and, mounted, the Durable management API)."""

    def __init__(
        self,
        functions: list[FunctionInfo],
        *,
        route_prefix: str,
        keys: HostKeys,
        invoker: Invoker,
        base_url: str,
        webhook_app: ASGIApp | None = None,
        trust_principal_headers: bool = False,
        max_body_bytes: int = MAX_REQUEST_BODY_BYTES,
    ) -> None:
        self.functions = [HttpFunction.from_info(f, route_prefix) for f in functions if f.trigger_type == "httpTrigger"]
        self.table: RouteTable[HttpFunction] = RouteTable(
            Route(template=f.template, methods=f.methods, target=f) for f in self.functions
        )
        self.keys = keys
        self.invoker = invoker
        self.base_url = base_url
        self.webhook_app = webhook_app
        self.trust_principal_headers = trust_principal_headers
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if not self.trust_principal_headers:
            # App Service drops client-sent principal headers: only EasyAuth may set them.
            scope["headers"] = [
                (k, v) for k, v in scope.get("headers", []) if not k.lower().startswith(PRINCIPAL_HEADER_PREFIX)
            ]
        path: str = scope["path"]
        if path.lower() == WEBHOOK_PREFIX or path.lower().startswith(WEBHOOK_PREFIX + "/"):
            await self._webhook(scope, receive, send)
            return
        match = self.table.resolve(scope["method"], path)
        if match is None:
            await _refuse(_body_chunks(receive), send, 404, "Not Found")
            return
        if match.target is None:
            allow = ", ".join(sorted(match.allowed_methods)).encode()
            await _refuse(_body_chunks(receive), send, 405, "Method Not Allowed", [(b"allow", allow)])
            return
        function = match.target
        if not self.keys.allows(function.auth_level, self._presented_key(scope)):
            await _refuse(_body_chunks(receive), send, 401, "Unauthorized")
            return
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES) as spool:
            body = await self._receive_body(scope, receive, send, spool)
            if body is None:
                return
            if function.streaming:
                await self._invoke_streaming(function, match.params, scope, body.replay(receive), send)
            else:
                await self._invoke_classic(function, match.params, scope, body.read(), send)

    async def _receive_body(self, scope: Scope, receive: Receive, send: Send, spool: IO[bytes]) -> RequestBody | None:
        """The whole body, read before the function runs (as the Functions host does), so the function's answer
        always reaches the client, even when it refuses the body unread; None when the host answered itself."""
        length = _header(scope, b"content-length")
        declared_too_large = length is not None and length.isdigit() and int(length) > self.max_body_bytes
        chunks = _body_chunks(receive)
        try:
            if declared_too_large:
                raise RequestTooLargeError(self.max_body_bytes)
            return await RequestBody.receive(chunks, self.max_body_bytes, spool)
        except RequestTooLargeError:
            # Nothing of a refused body is kept while the rest of it is read and dropped.
            spool.seek(0)
            spool.truncate()
            await _refuse(chunks, send, 413, "Request Entity Too Large")
        except ClientDisconnectedError:
            pass  # no one is left to answer, and the function never sees a truncated body
        return None

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    @staticmethod
    def _presented_key(scope: Scope) -> str | None:
        header = _header(scope, b"x-functions-key")
        if header:
            return header
        query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"))
        codes = query.get("code")
        return codes[0] if codes else None

    async def _webhook(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.webhook_app is None:
            await _refuse(_body_chunks(receive), send, 404, "Not Found (this app has no Durable functions)")
            return
        if not self.keys.allows_system(self._presented_key(scope)):
            await _refuse(_body_chunks(receive), send, 401, "Unauthorized")
            return
        # Mount convention: the sub-app sees the remainder as `path` and the mount point in `root_path`.
        rest = scope["path"][len(WEBHOOK_PREFIX) :] or "/"
        sub_scope = dict(scope)
        sub_scope["root_path"] = scope.get("root_path", "") + WEBHOOK_PREFIX
        sub_scope["path"] = rest
        sub_scope["raw_path"] = rest.encode()
        await self.webhook_app(sub_scope, receive, send)

    def _url(self, scope: Scope) -> str:
        query = scope.get("query_string", b"").decode("latin-1")
        return self.base_url + scope["path"] + (f"?{query}" if query else "")

    async def _invoke_classic(
        self, function: HttpFunction, params: dict[str, str], scope: Scope, body: bytes, send: Send
    ) -> None:
        headers: dict[str, str] = {}
        for key, value in scope.get("headers", []):
            name = bytes(key).decode("latin-1").lower()
            text = bytes(value).decode("latin-1")
            headers[name] = f"{headers[name]}, {text}" if name in headers else text
        query = dict(urllib.parse.parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
        request = func.HttpRequest(
            method=scope["method"],
            url=self._url(scope),
            headers=headers,
            params=query,
            route_params=params,
            body=body,
        )
        try:
            async with invocation(function.info.name) as current:
                kwargs, outs = self.invoker.arguments(function.info, request, current)
                result = await self.invoker.call(function.info, kwargs)
                response = self._classic_result(function.info, result, outs)
        except Exception:
            logger.exception("function %r raised", function.info.name)
            await _send_plain(send, 500, "Internal Server Error")
            return
        await self._send_classic(send, response)

    @staticmethod
    def _classic_result(info: FunctionInfo, result: Any, outs: dict[str, Any]) -> func.HttpResponse:
        http_out = [b["name"] for b in info.bindings if b.get("type") == "http" and b.get("name") != "$return"]
        if http_out and http_out[0] in outs:
            result = outs[http_out[0]].get()
        if result is None:
            return func.HttpResponse(status_code=204)
        if isinstance(result, str | bytes):
            return func.HttpResponse(result)
        if isinstance(result, func.HttpResponse):
            return result
        raise TypeError(f"HTTP function returned {type(result).__name__}, expected func.HttpResponse")

    @staticmethod
    async def _send_classic(send: Send, response: func.HttpResponse) -> None:
        body = response.get_body()
        headers = [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in response.headers.items()]
        names = {k for k, _ in headers}
        if b"content-type" not in names:
            mimetype = response.mimetype
            content_type = f"{mimetype}; charset={response.charset}" if mimetype.startswith("text/") else mimetype
            headers.append((b"content-type", content_type.encode("latin-1")))
        headers = [(k, v) for k, v in headers if k != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _invoke_streaming(
        self, function: HttpFunction, params: dict[str, str], scope: Scope, receive: Receive, send: Send
    ) -> None:
        from fastapi.encoders import jsonable_encoder
        from starlette.requests import Request
        from starlette.responses import JSONResponse, Response

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        scope["path_params"] = dict(params)
        request = Request(scope, receive)
        try:
            async with invocation(function.info.name) as current:
                kwargs, _ = self.invoker.arguments(function.info, request, current)
                result = await self.invoker.call(function.info, kwargs)
                response = result if isinstance(result, Response) else JSONResponse(jsonable_encoder(result))
                # The invocation lasts until the (possibly streamed) body has been sent.
                await response(scope, receive, tracking_send)
        except Exception as exc:
            if not started:
                logger.exception("function %r raised", function.info.name)
                await _send_plain(send, 500, "Internal Server Error")
            else:
                # Mid-stream failure: the client sees a truncated body, as with Azure.
                logger.error("function %r failed while streaming: %s", function.info.name, describe_error(exc))
