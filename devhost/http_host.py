"""The ASGI front end: routes HTTP triggers, enforces keys and limits, mounts the Durable webhooks.

Reading the body is http_body.py's, running the function http_invoke.py's.
"""

from __future__ import annotations

import tempfile
import urllib.parse
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from devhost.asgi import header
from devhost.functions import FunctionInfo
from devhost.http_body import MAX_REQUEST_BODY_BYTES, SPOOL_MEMORY_BYTES, body_chunks, receive_body, refuse
from devhost.http_invoke import invoke_classic, invoke_streaming, request_url
from devhost.http_kinds import uses_http_extension
from devhost.invoke import Invoker
from devhost.keys import HostKeys
from devhost.routing import ALL_METHODS, Route, RouteTable, RouteTemplate

WEBHOOK_PREFIX = "/runtime/webhooks/durabletask"
PRINCIPAL_HEADER_PREFIX = b"x-ms-client-principal"


@dataclass(frozen=True)
class HttpFunction:
    """An HTTP-triggered function as the front end routes it."""

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
            await refuse(body_chunks(receive), send, 404, "Not Found")
            return
        if match.target is None:
            allow = ", ".join(sorted(match.allowed_methods)).encode()
            await refuse(body_chunks(receive), send, 405, "Method Not Allowed", [(b"allow", allow)])
            return
        function = match.target
        if not self.keys.allows(function.auth_level, self._presented_key(scope)):
            await refuse(body_chunks(receive), send, 401, "Unauthorized")
            return
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES) as spool:
            body = await receive_body(scope, receive, send, spool, self.max_body_bytes)
            if body is None:
                return
            if function.streaming:
                await invoke_streaming(self.invoker, function.info, match.params, scope, body.replay(receive), send)
            else:
                url = request_url(self.base_url, scope)
                await invoke_classic(self.invoker, function.info, match.params, scope, body.read(), url, send)

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
        presented = header(scope, b"x-functions-key")
        if presented:
            return presented
        query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"))
        codes = query.get("code")
        return codes[0] if codes else None

    async def _webhook(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.webhook_app is None:
            await refuse(body_chunks(receive), send, 404, "Not Found (this app has no Durable functions)")
            return
        if not self.keys.allows_system(self._presented_key(scope)):
            await refuse(body_chunks(receive), send, 401, "Unauthorized")
            return
        # Mount convention: the sub-app sees the remainder as `path` and the mount point in `root_path`.
        rest = scope["path"][len(WEBHOOK_PREFIX) :] or "/"
        sub_scope = dict(scope)
        sub_scope["root_path"] = scope.get("root_path", "") + WEBHOOK_PREFIX
        sub_scope["path"] = rest
        sub_scope["raw_path"] = rest.encode()
        await self.webhook_app(sub_scope, receive, send)
