"""ASGI helpers shared by devhost's HTTP modules: a request header, a plain-text answer.

The ASGI types themselves (Scope, Receive, Send, Message, ASGIApp) are starlette.types'.
"""

from __future__ import annotations

from starlette.types import Scope, Send


def header(scope: Scope, name: bytes) -> str | None:
    """The value of a request header (`name` in lower case), or None when it was not sent."""
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


async def send_plain(
    send: Send, status: int, text: str, headers: list[tuple[bytes, bytes]] | None = None, *, complete: bool = True
) -> None:
    """A plain-text response; with `complete=False` the response stays open for a last (empty) body message."""
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
