"""Server-Sent Events on the FastAPI extension's StreamingResponse: the wire format (id, event, data, retry,
comments) and a stream's own clock — heartbeat events, keep-alive comments between events, and its end before
Azure's 230-second limit on an HTTP response (the client then resumes with Last-Event-ID)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from azurefunctions.extensions.http.fastapi import StreamingResponse
from pydantic import BaseModel

from shared.settings import Settings

HEADERS = {
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",  # proxies that buffer responses (nginx and its kin) pass events on at once
}


class Heartbeat(BaseModel):
    """The data of a `heartbeat` event."""

    timestamp: datetime


def event(name: str, data: Any, event_id: str | int | None = None) -> str:
    """One event; `data` as compact JSON (one line: JSON never needs a raw newline)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, separators=(',', ':'), default=str)}\n\n"


def comment(text: str) -> str:
    return f": {text}\n\n"


def retry(milliseconds: int) -> str:
    return f"retry: {milliseconds}\n\n"


def response(events: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(events, media_type="text/event-stream", headers=HEADERS)


class StreamClock:
    """When a stream must send a heartbeat or a keep-alive comment, and when it must end."""

    def __init__(self, settings: Settings, now: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._now = now
        self._started = self._last_sent = self._last_heartbeat = now()

    def sent(self) -> None:
        self._last_sent = self._now()

    @property
    def expired(self) -> bool:
        return self._now() - self._started >= self._settings.stream_max_seconds

    def due(self) -> str | None:
        """A heartbeat event or a keep-alive comment if one is due now (a heartbeat carries no id, so the
        client's Last-Event-ID stays that of the last real event)."""
        now = self._now()
        if now - self._last_heartbeat >= self._settings.stream_heartbeat_seconds:
            self._last_heartbeat = self._last_sent = now
            return event("heartbeat", Heartbeat(timestamp=datetime.now(UTC)).model_dump(mode="json"))
        if now - self._last_sent >= self._settings.stream_keepalive_seconds:
            self._last_sent = now
            return comment("keep-alive")
        return None

    def wait_at_most(self, poll: float) -> float:
        """How long the stream may sleep: until its next poll, heartbeat, keep-alive comment or end."""
        now, s = self._now(), self._settings
        return max(
            0.0,
            min(
                poll,
                self._last_heartbeat + s.stream_heartbeat_seconds - now,
                self._last_sent + s.stream_keepalive_seconds - now,
                self._started + s.stream_max_seconds - now,
            ),
        )
