"""A store that is not answering now: which failures mean that, and the one place that waits them out in place.

Where each fault is retried (one level each; README "Faults and retries"):

- In the request, by the SDK: Cosmos DB throttling (429, honouring x-ms-retry-after-ms) and its own 503 and
  connection retries (shared/storage/cosmos_client.py); Blob and Queue Storage's retry policy
  (shared/azure_connections.py); SQLite's busy timeout.
- What outlasts that surfaces here as "unavailable" (`is_unavailable`): the HTTP API answers 503 with a plain
  message (api/http.py), and an activity fails, so its job-level retry runs it again after a durable timer
  (orchestrators/retry_policies.py), holding no worker. Activities are safe to run twice.
- One exception: the answer of a model call, once paid for, is written in place until the store takes it
  (`keep`), because running the activity again would buy it again. Those writes are upserts of one item each,
  so writing again is harmless.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

from shared.errors import ServiceUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")

# 408 timeout, 429 throttled, 449 retry-with (Cosmos), 5xx: the service's side, worth trying again later.
UNAVAILABLE_STATUSES = frozenset({408, 429, 449, 500, 502, 503, 504})
KEEP_BUDGET_S = 120.0
"""How long a paid answer's write is tried in place: longer than a regional store blip, short of an outage for
which the job's own retries (minutes) are the right level anyway."""
RETRY_AFTER_S = 5
"""What the API tells a caller to wait before trying again (Retry-After)."""
KEEP_FIRST_PAUSE_S = 0.5
KEEP_MAX_PAUSE_S = 8.0


class StoreUnavailable(ServiceUnavailable):
    """The store did not answer (or answered 'not now') after its own retries: try again shortly (503)."""

    code = "store_unavailable"


def is_unavailable(exc: BaseException) -> bool:
    """A failure of a store or storage service that a later try may not have: throttled, down, unreachable,
    cut off, or (SQLite) locked past its busy timeout. Not: not found, conflicts, bad requests, bugs."""
    if isinstance(exc, StoreUnavailable):
        return True
    if isinstance(exc, ServiceRequestError | ServiceResponseError):  # connection refused, reset, timed out
        return True
    if isinstance(exc, HttpResponseError):  # Cosmos (CosmosHttpResponseError is one) and Storage alike
        return exc.status_code in UNAVAILABLE_STATUSES
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        return "locked" in text or "busy" in text
    return False


def unavailable(exc: BaseException) -> StoreUnavailable:
    """What a caller is told: the store is not answering, without the SDK's words (hosts, ids, headers)."""
    return StoreUnavailable(
        "the store is not answering right now; try again in a few seconds", details={"retry_after_s": RETRY_AFTER_S}
    )


def keep(
    write: Callable[[], T],
    what: str,
    *,
    budget_s: float = KEEP_BUDGET_S,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Run `write` (an idempotent upsert of something paid for) until the store takes it, while it is only
    unavailable, for up to `budget_s`; then raise what it raised. Any other failure is raised at once."""
    deadline = clock() + budget_s
    pause = KEEP_FIRST_PAUSE_S
    while True:
        try:
            return write()
        except Exception as exc:
            if not is_unavailable(exc) or clock() + pause > deadline:
                raise
            log.warning("%s: store unavailable (%s); writing it again in %.1f s", what, type(exc).__name__, pause)
            sleep(pause)
            pause = min(pause * 2, KEEP_MAX_PAUSE_S)
