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

from pydantic import ValidationError

from shared import telemetry
from shared.llm import adapt, budget
from shared.llm.budget import Ask, BudgetState, Decision, Granted, Limits, Wait
from shared.storage import optimistic
from shared.storage.base import QuotaRepository, Versioned

log = logging.getLogger(__name__)

BUSY_WAIT_S = 1.0
"""How soon a reservation that kept losing ETag races (optimistic.MAY_COME_BACK) is told to come back."""

Change = Callable[[BudgetState, float], BudgetState | None]
"""Changes the budget as read, at the time given, in place: the budget to write, or None when nothing changed."""


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
        decisions: list[Decision] = []  # one per attempt: the last is the one written

        def change(state: BudgetState, now: float) -> BudgetState:
            decisions.append(budget.reserve(state, adapt.caps_now(state, limits, now), ask, now))
            telemetry.queue_length(deployment, len(state.waiters))  # the queue as this decision left it
            return state

        try:
            self._update(deployment, change)
        except optimistic.KeptChanging:
            return Wait(until=self.clock() + BUSY_WAIT_S)
        return decisions[-1]

    def throttled(
        self,
        deployment: str,
        limits: Limits,
        retry_after: float | None,
        refund: int = 0,
        headers: dict[str, int] | None = None,
        sent: Granted | None = None,
        user: str = "",
        weight: float = 1.0,
    ) -> None:
        """The server answered 429 (to `user`'s call of `refund` tokens and `weight`, granted as `sent`, with
        rate-limit `headers`): learn its limits, then pause and slow the deployment for everyone; the call's cost goes
        back to its user's fair share too (its retry is charged again)."""

        def change(state: BudgetState, now: float) -> BudgetState:
            adapt.observe(state, limits, now, sent=sent, **(headers or {}))
            adapt.throttled(state, limits, now, retry_after, refund)
            budget.give_back(state, user, refund / weight)
            return state

        self._quietly(deployment, change)

    def observe(self, deployment: str, limits: Limits, headers: dict[str, int], sent: Granted | None = None) -> None:
        """Learn from the rate-limit headers of the answer to a call granted as `sent` (written only when they
        change something)."""

        def change(state: BudgetState, now: float) -> BudgetState | None:
            return state if adapt.observe(state, limits, now, sent=sent, **headers) else None

        self._quietly(deployment, change)

    def state(self, deployment: str) -> BudgetState:
        """The budget as stored (operations, tests)."""
        current = self._repo.read(deployment)
        return _parse(current.item if current else None)

    def _quietly(self, deployment: str, change: Change) -> None:
        # Learning is best effort: a busy store must not fail a call that was answered.
        try:
            self._update(deployment, change)
        except optimistic.KeptChanging:
            log.warning("quota %s: too contended to record what the server said", deployment)

    def _update(self, deployment: str, change: Change) -> None:
        """Read, change and write the budget under its ETag (shared.storage.optimistic); a budget not stored yet
        starts empty and is created (another worker that creates it first is a lost race too)."""

        def read() -> Versioned[BudgetState] | None:
            current = self._repo.read(deployment)
            return None if current is None else Versioned(_parse(current.item), current.etag)

        optimistic.update(
            read,
            lambda state: change(state, self.clock()),
            lambda state, etag: self._repo.write(deployment, state.model_dump_json(), etag),
            new=BudgetState,
            name=f"quota {deployment!r}",
            details={"key": deployment},
            contention=optimistic.MAY_COME_BACK,
            sleep=self._sleep,
            rand=self._rand,
        )


def _parse(text: str | None) -> BudgetState:
    if not text:
        return BudgetState()
    try:
        return BudgetState.model_validate_json(text)
    except ValidationError:  # an item from an incompatible version: start afresh rather than fail every call
        log.warning("quota state unreadable, starting afresh")
        return BudgetState()
