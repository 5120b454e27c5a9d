"""Who is making a model call: the job, its user, its priority and type, and a stable key, set by the activity
around its step (activities/support.py run_step) and read by the LLM client when it reserves quota
(shared/llm/admission.py: the user and job type decide the call's fair share, the priority its place among that
user's calls).

A contextvar, so the workflows' LLM steps need no extra parameter and each activity thread sees its own. Outside an
activity (the inline HTTP paths, benchmarks) there is no context: calls get the default priority and wait for
quota in-process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace

from shared.errors import DomainError

DEFAULT_PRIORITY = 5


class QuotaWait(DomainError):
    """The model call cannot go yet: its deployment's budget is spent until its turn. Not a failure: the step
    returns a `wait` outcome and the orchestrator calls it again after a durable timer of `retry_after_ms`, so no
    worker is held while it waits."""

    code = "llm_quota_wait"

    def __init__(self, model: str, retry_after_ms: int, ahead: int = 0) -> None:
        seconds = retry_after_ms / 1000
        super().__init__(
            f"waiting for the quota of model {model!r}: its turn comes in {seconds:.1f} s"
            + (f" ({ahead} calls ahead)" if ahead else ""),
            {"model": model, "retry_after_ms": retry_after_ms, "ahead": ahead},
        )
        self.model = model
        self.retry_after_ms = retry_after_ms


@dataclass
class CallContext:
    key: str
    """Stable across re-runs of the same activity call: a call that waited keeps its place in the queue."""
    job_id: str | None = None
    user_id: str | None = None
    """Whose job: the quota is shared fairly between users (the scheduler keeps a hash of it, never the id)."""
    priority_of: Callable[[], int] = lambda: DEFAULT_PRIORITY
    """Read at the first model call only (a step that calls no model never reads the job for it)."""
    job_type_of: Callable[[], str | None] = lambda: None
    """The same (a job type may be weighted: LLM_FAIR_SHARE_JOB_TYPE_WEIGHTS)."""
    defer: bool = True
    """The first model call may raise QuotaWait (an orchestrator waits for it); later ones wait in-process, so a
    call already paid for in this step is not lost."""
    calls: int = 0  # model calls begun in this context
    answered: int = 0  # of which the model answered (paid for)
    _priority: int | None = field(default=None, repr=False)
    _job_type: tuple[str | None] | None = field(default=None, repr=False)

    @property
    def priority(self) -> int:
        if self._priority is None:
            self._priority = self.priority_of()
        return self._priority

    @property
    def job_type(self) -> str | None:
        if self._job_type is None:
            self._job_type = (self.job_type_of(),)
        return self._job_type[0]

    def begin(self) -> str:
        """The key of the next model call of this context (its retries reuse it)."""
        key = f"{self.key}#{self.calls}"
        self.calls += 1
        return key

    @property
    def may_defer(self) -> bool:
        return self.defer and self.answered == 0


_current: ContextVar[CallContext | None] = ContextVar("llm_call_context", default=None)


def current_call() -> CallContext | None:
    return _current.get()


@contextmanager
def call_context(
    key: str,
    *,
    job_id: str | None = None,
    user_id: str | None = None,
    priority: Callable[[], int] | None = None,
    job_type: Callable[[], str | None] | None = None,
    defer: bool = True,
) -> Iterator[CallContext]:
    context = CallContext(
        key=key,
        job_id=job_id,
        user_id=user_id,
        priority_of=priority or (lambda: DEFAULT_PRIORITY),
        job_type_of=job_type or (lambda: None),
        defer=defer,
    )
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


@contextmanager
def item_call_context(outer: CallContext, key: str) -> Iterator[CallContext]:
    """The context of one item of a step that makes several independent model calls (a batch call's records): the
    step's job, user, priority, job type and deferral, with the item's own `key` (its own place in the quota queue)
    and its own count of calls begun and answered."""
    context = replace(outer, key=key, calls=0, answered=0)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def call_key(*parts: str) -> str:
    """A short stable key of what identifies an activity call (its step, input type and input)."""
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
