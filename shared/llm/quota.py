"""The one scheduler of model calls for all jobs and all workers: each deployment's budget (shared/llm/budget.py,
adapted by shared/llm/adapt.py) is one item in the store (QuotaRepository: SQLite or Cosmos), read, changed and
written back under its ETag. Two workers that change it at once cannot both win: the loser reads again and decides
on what the winner wrote, so the budget holds across scale-out workers.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from pydantic import ValidationError

from shared import telemetry
from shared.errors import ConflictError
from shared.llm import adapt, budget
from shared.llm.budget import Ask, BudgetState, Decision, Granted, Limits, Wait
from shared.storage.base import QuotaRepository

log = logging.getLogger(__name__)

R = TypeVar("R")

MAX_CONFLICTS = 25
"""ETag races lost in a row before a reservation gives up for now (it is then told to come back shortly)."""
BUSY_WAIT_S = 1.0


class QuotaBusy(Exception):
    """The budget item kept changing under us: the store is very contended."""


class QuotaScheduler:
    def __init__(
        self,
        repo: QuotaRepository,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._repo = repo
        self.clock = clock
        self._sleep = sleep
        self._rand = rand

    def reserve(self, deployment: str, limits: Limits, ask: Ask) -> Decision:
        """Granted (charged), or Wait until the call's turn (recorded in the queue)."""

        def change(state: BudgetState, now: float) -> tuple[Decision, bool]:
            decision = budget.reserve(state, adapt.caps_now(state, limits, now), ask, now)
            telemetry.queue_length(deployment, len(state.waiters))  # the queue as this decision left it
            return decision, True

        try:
            return self._update(deployment, change)
        except QuotaBusy:
            return Wait(until=self.clock() + BUSY_WAIT_S)

    def throttled(
        self,
        deployment: str,
        limits: Limits,
        retry_after: float | None,
        refund: int = 0,
        headers: dict[str, int] | None = None,
        sent: Granted | None = None,
    ) -> None:
        """The server answered 429 (to a call of `refund` tokens granted as `sent`, with rate-limit `headers`): learn
        its limits, then pause and slow the deployment for everyone."""

        def change(state: BudgetState, now: float) -> tuple[None, bool]:
            adapt.observe(state, limits, now, sent=sent, **(headers or {}))
            adapt.throttled(state, limits, now, retry_after, refund)
            return None, True

        self._quietly(deployment, change)

    def observe(self, deployment: str, limits: Limits, headers: dict[str, int], sent: Granted | None = None) -> None:
        """Learn from the rate-limit headers of the answer to a call granted as `sent` (written only when they
        change something)."""

        def change(state: BudgetState, now: float) -> tuple[None, bool]:
            return None, adapt.observe(state, limits, now, sent=sent, **headers)

        self._quietly(deployment, change)

    def state(self, deployment: str) -> BudgetState:
        """The budget as stored (operations, tests)."""
        current = self._repo.read(deployment)
        return _parse(current.item if current else None)

    def _quietly(self, deployment: str, change: Callable[[BudgetState, float], tuple[None, bool]]) -> None:
        # Learning is best effort: a busy store must not fail a call that was answered.
        try:
            self._update(deployment, change)
        except QuotaBusy:
            log.warning("quota %s: too contended to record what the server said", deployment)

    def _update(self, deployment: str, change: Callable[[BudgetState, float], tuple[R, bool]]) -> R:
        for attempt in range(MAX_CONFLICTS):
            current = self._repo.read(deployment)
            state = _parse(current.item if current else None)
            result, dirty = change(state, self.clock())
            if not dirty:
                return result
            try:
                self._repo.write(deployment, state.model_dump_json(), current.etag if current else None)
                return result
            except ConflictError:
                # Another worker wrote first: decide again on what it wrote, after a short random pause.
                self._sleep(0.002 * (attempt + 1) * (0.5 + self._rand()))
        raise QuotaBusy(f"quota {deployment!r}: {MAX_CONFLICTS} conflicting writes in a row")


def _parse(text: str | None) -> BudgetState:
    if not text:
        return BudgetState()
    try:
        return BudgetState.model_validate_json(text)
    except ValidationError:  # an item from an incompatible version: start afresh rather than fail every call
        log.warning("quota state unreadable, starting afresh")
        return BudgetState()
