"""How many Server-Sent-Event streams each user has open in this worker process (MAX_STREAMS_PER_USER).

Each open stream holds a connection and polls the store for up to STREAM_MAX_SECONDS, so a user opening hundreds
would take the worker's connections and the store's capacity from everyone else. A stream takes a slot when it
opens and gives it back when it ends — by itself (its terminal event, STREAM_MAX_SECONDS), because the client went
away, or because its response was dropped before it ever started. The 429 for one too many says when the user's
oldest stream will have ended on its own (Retry-After); a browser's EventSource stops on it, and the page falls back
to polling until a stream answers again.

Per process, on purpose: the thing protected is the worker's own connections and event loop, which a slot counts
exactly and at no cost (no store round trip on a stream's open and close, nothing to clean up after a crash). With
scale-out, each instance allows the limit on its own, so a user can hold up to the limit times the number of
instances; each instance still serves its other users, and the store's load per stream is bounded by the polling
intervals. A count across instances would need a store write on every open and close, and a lease for streams
whose instance died.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from shared.limits import TooManyStreams
from shared.settings import Settings

GRACE_SECONDS = 30.0
"""A slot whose stream should have ended by itself this long ago is counted no more, whatever happened to it."""


@dataclass
class Slot:
    user_id: str
    ends_at: float  # monotonic: when the stream ends by itself at the latest
    _slots: StreamSlots = field(repr=False)
    released: bool = False

    def release(self) -> None:
        self._slots.release(self)


class StreamSlots:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._open: dict[str, list[Slot]] = {}

    def acquire(self, user_id: str, settings: Settings) -> Slot:
        """A slot for one more stream of `user_id`, or TooManyStreams (429) naming the limit."""
        limit = settings.max_streams_per_user
        now = self._clock()
        with self._lock:
            held = [s for s in self._open.get(user_id, []) if s.ends_at + GRACE_SECONDS > now]
            if len(held) >= limit:
                self._open[user_id] = held
                wait = min(s.ends_at for s in held) - now
                raise TooManyStreams(
                    f"you have {len(held)} live-progress streams open, the most one user may have at once "
                    f"(MAX_STREAMS_PER_USER={limit}): close one, or poll GET /api/jobs meanwhile",
                    {"limit": limit, "setting": "MAX_STREAMS_PER_USER", "open": len(held)},
                    retry_after=max(1, math.ceil(wait)),
                )
            slot = Slot(user_id, now + settings.stream_max_seconds, self)
            self._open[user_id] = [*held, slot]
            return slot

    def release(self, slot: Slot) -> None:
        with self._lock:
            if slot.released:
                return
            slot.released = True
            left = [s for s in self._open.get(slot.user_id, []) if s is not slot]
            if left:
                self._open[slot.user_id] = left
            else:
                self._open.pop(slot.user_id, None)

    def open_count(self, user_id: str) -> int:
        with self._lock:
            return len(self._open.get(user_id, []))


def held(events: AsyncIterator[str], slot: Slot) -> AsyncIterator[str]:
    """`events`, giving `slot` back when the stream ends, is cancelled (the client left), or is dropped unstarted."""

    async def stream() -> AsyncIterator[str]:
        try:
            async for item in events:
                yield item
        finally:
            slot.release()

    wrapped = stream()
    weakref.finalize(wrapped, slot.release)  # a response dropped before it started never runs the finally
    return wrapped


_slots = StreamSlots()


def stream_slots() -> StreamSlots:
    """This process's slots."""
    return _slots
