"""Reading a Server-Sent-Events stream the way EventSource does: fields per event, comments, the retry line."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Event:
    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: int | None = None
    comments: list[str] = field(default_factory=list)

    @property
    def json(self) -> Any:
        return json.loads(self.data)


def parse_block(block: str) -> Event:
    """One block between blank lines (https://html.spec.whatwg.org/multipage/server-sent-events.html)."""
    parsed = Event()
    data: list[str] = []
    for line in block.split("\n"):
        if line.startswith(":"):
            parsed.comments.append(line[1:].strip())
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            parsed.event = value
        elif name == "data":
            data.append(value)
        elif name == "id":
            parsed.id = value
        elif name == "retry" and value.isdigit():
            parsed.retry = int(value)
    parsed.data = "\n".join(data)
    return parsed


async def events(chunks: AsyncIterator[bytes | str]) -> AsyncIterator[Event]:
    buffer = ""
    async for chunk in chunks:
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            yield parse_block(block)
