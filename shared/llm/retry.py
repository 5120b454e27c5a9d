"""When to retry a model call and how long to wait: a pure policy, so tests can check it without a server.

Our client is the only retry layer under an activity (the SDK's own `max_retries` is 0), so every wait is
visible in one place and a rate-limited deployment is not hammered by two nested loops.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC

# 408 timeout, 409 lock conflict (OpenAI uses it for transient contention), 429 rate limit, 5xx server side.
RETRYABLE_STATUSES = frozenset({408, 409, 429})


def is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUSES or status >= 500


@dataclass(frozen=True)
class BackoffPolicy:
    base_seconds: float = 1.0
    max_backoff_seconds: float = 30.0
    max_wait_seconds: float = 60.0  # also caps a server-requested wait: one long stall beats a job stuck for hours
    jitter: float = 0.25  # fraction of the backoff removed at random, so parallel activities spread out

    def delay(
        self,
        attempt: int,
        headers: Mapping[str, str] | None,
        rand: Callable[[], float],
        now: Callable[[], float] = time.time,
    ) -> float:
        """Seconds to wait before retry number `attempt` (0-based): the server's hint if any, else backoff."""
        hinted = server_retry_after(headers, now) if headers is not None else None
        if hinted is not None:
            return min(hinted, self.max_wait_seconds)
        backoff = min(self.base_seconds * 2**attempt, self.max_backoff_seconds)
        return min(backoff * (1.0 - self.jitter * rand()), self.max_wait_seconds)


def server_retry_after(headers: Mapping[str, str], now: Callable[[], float] = time.time) -> float | None:
    """`retry-after-ms` (Azure/OpenAI, milliseconds) wins over `retry-after` (seconds or an HTTP date)."""
    millis = _header(headers, "retry-after-ms")
    if millis is not None:
        try:
            value = float(millis) / 1000.0
        except ValueError:
            value = -1.0
        if value >= 0:
            return value
    after = _header(headers, "retry-after")
    if after is None:
        return None
    try:
        seconds = float(after)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(after)
        except (TypeError, ValueError, IndexError):
            return None  # unparseable hint: fall back to our own backoff
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)  # HTTP dates are GMT by definition
        return max(when.timestamp() - now(), 0.0)
    return seconds if seconds >= 0 else None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # httpx headers are case-insensitive already; plain dicts in tests may not be.
    value = headers.get(name)
    if value is None:
        for key, candidate in headers.items():
            if key.lower() == name:
                return candidate
    return value
