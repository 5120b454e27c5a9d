"""Running an HTTP-triggered function on a request: the classic `func.HttpRequest`/`func.HttpResponse` kind, or
the streaming extension's Starlette `Request`/`Response` kind, as the Functions host and Python worker do."""

from __future__ import annotations

import logging
import urllib.parse
from typing import Any

import azure.functions as func
from starlette.types import Message, Receive, Scope, Send

from devhost.asgi import send_plain
from devhost.functions import FunctionInfo
from devhost.invoke import Invoker, describe_error, invocation

logger = logging.getLogger("devhost.http")


def request_url(base_url: str, scope: Scope) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    return base_url + scope["path"] + (f"?{query}" if query else "")


async def invoke_classic(
    invoker: Invoker, info: FunctionInfo, params: dict[str, str], scope: Scope, body: bytes, url: str, send: Send
) -> None:
    headers: dict[str, str] = {}
    for key, value in scope.get("headers", []):
        name = bytes(key).decode("latin-1").lower()
        text = bytes(value).decode("latin-1")
        headers[name] = f"{headers[name]}, {text}" if name in headers else text
    query = dict(urllib.parse.parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
    request = func.HttpRequest(
        method=scope["method"],
        url=url,
        headers=headers,
        params=query,
        route_params=params,
        body=body,
    )
    try:
        async with invocation(info.name) as current:
            kwargs, outs = invoker.arguments(info, request, current)
            result = await invoker.call(info, kwargs)
            response = _classic_result(info, result, outs)
    except Exception:
        logger.exception("function %r raised", info.name)
        await send_plain(send, 500, "Internal Server Error")
        return
    await _send_classic(send, response)


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


async def invoke_streaming(
    invoker: Invoker, info: FunctionInfo, params: dict[str, str], scope: Scope, receive: Receive, send: Send
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
        async with invocation(info.name) as current:
            kwargs, _ = invoker.arguments(info, request, current)
            result = await invoker.call(info, kwargs)
            response = result if isinstance(result, Response) else JSONResponse(jsonable_encoder(result))
            # The invocation lasts until the (possibly streamed) body has been sent.
            await response(scope, receive, tracking_send)
    except Exception as exc:
        if not started:
            logger.exception("function %r raised", info.name)
            await send_plain(send, 500, "Internal Server Error")
        else:
            # Mid-stream failure: the client sees a truncated body, as with Azure.
            logger.error("function %r failed while streaming: %s", info.name, describe_error(exc))
