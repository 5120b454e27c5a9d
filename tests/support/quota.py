"""Test doubles for the quota scheduler: a fake clock that the code's injected `sleep` advances (so waits are
counted, never slept, and tests never assert wall-clock time), and an in-memory QuotaRepository with the
store's ETag semantics (for unit tests; the real ones are contract-tested on SQLite and Cosmos)."""

from __future__ import annotations

import itertools
import threading

from shared.errors import ConflictError
from shared.storage.base import Versioned


class FakeClock:
    """Seconds that move only when slept through (`sleep`) or moved (`advance`); records every sleep."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        self.now += seconds


class MemoryQuotaRepository:
    def __init__(self) -> None:
        self._items: dict[str, tuple[str, str]] = {}
        self._versions = itertools.count(1)
        self._lock = threading.Lock()
        self.writes = 0

    def read(self, key: str) -> Versioned[str] | None:
        with self._lock:
            item = self._items.get(key)
        return None if item is None else Versioned(item[0], item[1])

    def write(self, key: str, state: str, etag: str | None) -> str:
        with self._lock:
            current = self._items.get(key)
            if (etag is None and current is not None) or (etag is not None and (current is None or current[1] != etag)):
                raise ConflictError(f"quota {key!r}: stale etag {etag!r}")
            version = str(next(self._versions))
            self._items[key] = (state, version)
            self.writes += 1
            return version
