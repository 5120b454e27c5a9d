"""Wakes the job streams of this process when one of a user's jobs changes in this process.

The job service publishes after every write it makes (an activity recording progress, a cancel, a new job); a
stream of that user's jobs then reads the job document at once instead of at its next poll. Writes made by
another process (another worker instance) reach a stream only through its poll: the job document stays the one
source of what a stream sends, this only says "look now".
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from shared.singletons import ProcessSingleton


@dataclass(eq=False)
class Subscription:
    loop: asyncio.AbstractEventLoop
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait(self, timeout: float) -> bool:
        """True when a change was published, False when `timeout` passed first."""
        try:
            await asyncio.wait_for(self.changed.wait(), timeout)
        except TimeoutError:
            return False
        self.changed.clear()
        return True


class ChangeHub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[Subscription]] = {}

    @contextmanager
    def subscribe(self, user_id: str) -> Iterator[Subscription]:
        """Changes to `user_id`'s jobs while the block runs (call from the event loop that will wait)."""
        subscription = Subscription(asyncio.get_running_loop())
        with self._lock:
            self._subscribers.setdefault(user_id, set()).add(subscription)
        try:
            yield subscription
        finally:
            with self._lock:
                subscribers = self._subscribers.get(user_id, set())
                subscribers.discard(subscription)
                if not subscribers:
                    self._subscribers.pop(user_id, None)

    def publish(self, user_id: str) -> None:
        """Safe from any thread (activities run in a thread pool)."""
        with self._lock:
            subscribers = list(self._subscribers.get(user_id, ()))
        for subscription in subscribers:
            if not subscription.loop.is_closed():
                subscription.loop.call_soon_threadsafe(subscription.changed.set)


_hub = ProcessSingleton(ChangeHub)


def stream_wakeups() -> ChangeHub:
    return _hub.get()
