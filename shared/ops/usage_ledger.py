"""The usage ledger: this worker's model calls added up per (deployment, five-minute bucket) in memory, written to the
store as its own items (shared/ops/usage_figures.py) every FLUSH_SECONDS, when the operations summary is asked for in
this process, and when the process exits normally.

It listens to the model-call events (shared/llm/events.py) and is started once per process with the process's LLM
client (shared/analysis/factory.py): every worker of the app that makes model calls runs one, under devhost and in
Azure alike, and they never write the same item (the worker id is host, process id and a random part). Each write
is the bucket's running total, so a write that fails is simply made again, whole, at the next flush.

What a crash can lose: the calls this worker made since its last successful flush (at most FLUSH_SECONDS of them,
or more while the store is unreachable); a process that is killed without exiting normally runs no atexit handler.
The model calls themselves are unaffected: a listener never fails a call.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from shared.llm import events
from shared.llm.events import ModelCallAttempt, ModelEvent, QuotaDeferred
from shared.ops.usage_figures import BUCKET_SECONDS, ModelUsage, bucket_start
from shared.storage.base import UsageRepository

log = logging.getLogger(__name__)

FLUSH_SECONDS = 20.0
KEEP_SECONDS = 3_600
"""Buckets older than this, once written, are dropped from memory (no event can fall in them any more)."""

Key = tuple[str, datetime]  # (deployment, bucket start)


def worker_id() -> str:
    """This process among all the app's workers: host, process id, and a random part (a restarted process with the
    same id must not overwrite what its predecessor wrote)."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class UsageLedger:
    def __init__(
        self,
        repo: UsageRepository | Callable[[], UsageRepository],
        *,
        worker: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`repo`, or a function giving it: then it is asked for at the first event, when the process's store is
        the one its model calls use."""
        self._repo: UsageRepository | None = None if callable(repo) else repo
        self._provider = repo if callable(repo) else None
        self.worker = worker or worker_id()
        self._clock = clock
        self._totals: dict[Key, ModelUsage] = {}
        self._dirty: set[Key] = set()
        self._lock = threading.Lock()  # the totals
        self._flushing = threading.Lock()  # one flush at a time: an older snapshot never overwrites a newer one
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._unlisten: Callable[[], None] | None = None

    # --- hearing model calls -------------------------------------------------------------------------------

    def listen(self) -> UsageLedger:
        if self._unlisten is None:
            self._unlisten = events.listen(self.record)
        return self

    def record(self, event: ModelEvent) -> None:
        if self._repo is None and self._provider is not None:
            self._repo = self._provider()
        bucket = bucket_start(self._clock())
        with self._lock:
            key = (event.model, bucket)
            current = self._totals.get(key) or ModelUsage(deployment=event.model, bucket=bucket, worker=self.worker)
            self._totals[key] = current.add(_figures(event, current))
            self._dirty.add(key)

    # --- writing -------------------------------------------------------------------------------------------

    def flush(self) -> int:
        """Write the totals that changed since the last flush; returns how many items were written. A failure is
        logged and the items stay pending (the next flush writes them whole)."""
        with self._flushing:
            with self._lock:
                keys = sorted(self._dirty)
                items = [self._totals[key] for key in keys]
                self._dirty.clear()
            if not items:
                return 0
            try:
                if self._repo is None:
                    raise RuntimeError("the usage ledger has no store")
                self._repo.put(items)
            except Exception:
                with self._lock:
                    self._dirty.update(keys)
                log.warning("usage ledger: %d item(s) not written; trying again at the next flush", len(items))
                return 0
            self._forget_old()
            return len(items)

    def pending(self) -> int:
        with self._lock:
            return len(self._dirty)

    def _forget_old(self) -> None:
        oldest = bucket_start(self._clock()) - timedelta(seconds=KEEP_SECONDS + BUCKET_SECONDS)
        with self._lock:
            for key in [k for k in self._totals if k[1] < oldest and k not in self._dirty]:
                del self._totals[key]

    # --- running -------------------------------------------------------------------------------------------

    def start(self, interval: float = FLUSH_SECONDS) -> UsageLedger:
        """Flush every `interval` seconds on a daemon thread, and once more when the process exits."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, args=(interval,), name="usage-ledger", daemon=True)
            self._thread.start()
            atexit.register(self.flush)
        return self

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self.flush()

    def close(self) -> None:
        """Stop hearing events and flushing on a timer, after a last flush."""
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            atexit.unregister(self.flush)
        self.flush()


def _figures(event: ModelEvent, current: ModelUsage) -> ModelUsage:
    """What one event adds (a ModelUsage of figures only, to be added to `current`)."""
    zero = ModelUsage(deployment=current.deployment, bucket=current.bucket, worker=current.worker)
    if isinstance(event, QuotaDeferred):
        return zero.model_copy(update={"deferrals": 1, "deferred_s": max(event.wait_s, 0.0)})
    assert isinstance(event, ModelCallAttempt)
    answered = event.outcome == "answered"
    return zero.model_copy(
        update={
            "selection": event.selection,
            "calls": 1,
            "answered": int(answered),
            "throttled": int(event.outcome == "throttled"),
            "failed": int(event.outcome == "failed"),
            # Tokens of answered attempts only: a refused request is not billed.
            "prompt_tokens": event.prompt_tokens if answered else 0,
            "completion_tokens": event.completion_tokens if answered else 0,
            "queue_wait_s": max(event.queue_wait_s, 0.0),
            "duration_s": max(event.duration_s, 0.0),
        }
    )


# --- the process's ledger -------------------------------------------------------------------------------------

_process: UsageLedger | None = None
_process_lock = threading.Lock()


def start_process_ledger() -> UsageLedger:
    """The process's ledger, started on first use (listening, flushing on a timer and at exit) over the process's
    store; the same one afterwards."""
    global _process
    with _process_lock:
        if _process is None:
            from shared.storage.factory import get_repositories  # the process's store, as every component's

            _process = UsageLedger(lambda: get_repositories().usage).listen().start()
        return _process


def process_ledger() -> UsageLedger | None:
    """The process's ledger if one runs (the operations summary flushes it before reading)."""
    return _process


def use_ledger(ledger: UsageLedger | None) -> None:
    """Install `ledger` (listening) as the process's, or none (tests); the previous one is closed."""
    global _process
    with _process_lock:
        previous, _process = _process, ledger.listen() if ledger is not None else None
    if previous is not None and previous is not ledger:
        previous.close()
