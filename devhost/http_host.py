"""The ASGI front end: routes HTTP triggers, enforces keys and limits, mounts the Durable webhooks."""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import azure.functions as func

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

# Azure's HTTP trigger request size limit (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT defaults to 100 MB).
MAX_REQUEST_BODY_BYTES = 100 * 1024 * 1024
WEBHOOK_PREFIX = "/runtime/webhooks/durabletask"
PRINCIPAL_HEADER_PREFIX = b"x-ms-client-principal"


class RequestTooLargeError(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body exceeds {limit} bytes")
        self.limit = limit


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


async def _send_plain(send: Send, status: int, text: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
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
    await send({"type": "http.response.body", "body": body})


def _limited_receive(receive: Receive, limit: int) -> Receive:
    """Wrap `receive` so a body growing past `limit` raises instead of being buffered."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise RequestTooLargeError(limit)
        return message

    return wrapped


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


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
            await _send_plain(send, 404, "Not Found")
            return
        if match.target is None:
            allow = ", ".join(sorted(match.allowed_methods)).encode()
            await _send_plain(send, 405, "Method Not Allowed", [(b"allow", allow)])
            return
        function = match.target
        if not self.keys.allows(function.auth_level, self._presented_key(scope)):
            await _send_plain(send, 401, "Unauthorized")
            return
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            # Refuse before reading a byte of the body.
            await _send_plain(send, 413, "Request Entity Too Large")
            return
        limited = _limited_receive(receive, self.max_body_bytes)
        if function.streaming:
            await self._invoke_streaming(function, match.params, scope, limited, send)
        else:
            await self._invoke_classic(function, match.params, scope, limited, send)

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
            await _send_plain(send, 404, "Not Found (this app has no Durable functions)")
            return
        if not self.keys.allows_system(self._presented_key(scope)):
            await _send_plain(send, 401, "Unauthorized")
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
        self, function: HttpFunction, params: dict[str, str], scope: Scope, receive: Receive, send: Send
    ) -> None:
        try:
            body = await _read_body(receive)
        except RequestTooLargeError:
            await _send_plain(send, 413, "Request Entity Too Large")
            return
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
        except RequestTooLargeError:
            if not started:
                await _send_plain(send, 413, "Request Entity Too Large")
        except Exception as exc:
            if not started:
                logger.exception("function %r raised", function.info.name)
                await _send_plain(send, 500, "Internal Server Error")
            else:
                # Mid-stream failure: the client sees a truncated body, as with Azure.
                logger.error("function %r failed while streaming: %s", function.info.name, describe_error(exc))
