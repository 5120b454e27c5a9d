"""What happened to each model call, for whoever watches: the LLM client reports every attempt (answered,
throttled, failed) and every quota deferral here, and observers (telemetry, the usage ledger) listen.

Observers never change a call's course: one that raises is logged and ignored. Events carry no prompt or answer
text, only names and figures.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

log = logging.getLogger(__name__)

AttemptOutcome = Literal["answered", "throttled", "failed"]


@dataclass(frozen=True)
class ModelCallAttempt:
    """One request to a model deployment and what came of it."""

    model: str  # the model (openai) or deployment (azure_openai) name
    selection: str  # primary | secondary
    outcome: AttemptOutcome
    status: int | None  # the HTTP status of a refused attempt (429, 500, ...); None when answered or unreachable
    prompt_tokens: int  # as the server counted them when answered; else as we counted them
    completion_tokens: int
    max_tokens: int
    queue_wait_s: float  # waited in the worker for the deployment's quota before this attempt
    duration_s: float  # the request itself
    attempt: int  # 1 for the first try of this call
    job_id: str | None


@dataclass(frozen=True)
class QuotaDeferred:
    """A model call handed back to its orchestrator to wait for its quota turn on a durable timer."""

    model: str
    wait_s: float
    ahead: int
    job_id: str | None


ModelEvent = ModelCallAttempt | QuotaDeferred
Listener = Callable[[ModelEvent], None]

_listeners: list[Listener] = []
_lock = threading.Lock()


def listen(listener: Listener) -> Callable[[], None]:
    """Add an observer; returns the function that removes it."""
    with _lock:
        _listeners.append(listener)

    def remove() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return remove


def emit(event: ModelEvent) -> None:
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        try:
            listener(event)
        except Exception:  # an observer's failure must not fail a model call
            log.exception("model event observer %r failed", listener)
