"""The LLM client's gate to the scheduler: every model call reserves its cost (exact prompt tokens + max_tokens)
against its deployment's budget before it goes out, and reports what the server said after.

When the budget is spent, a call waits for its turn:
- the first model call of an activity step raises QuotaWait: the step ends with a `wait` outcome and the
  orchestrator calls it again after a durable timer, so no worker is held (a short wait is slept instead: a
  durable round trip costs more than it saves); the scheduler says when to come back (shared/llm/budget.py
  back_from): a round trip before the call's turn, as late as deferred calls have been coming back on this
  deployment, and the call sleeps the rest, so it goes at its turn rather than a round trip after it;
- a later call of the same step (a corrective retry, a long document's next part) waits in-process, so what the
  step already paid for is not lost; so does a call outside any activity (the inline HTTP paths).
A 429 pauses and slows the deployment for everyone; the call that got it then waits as above rather than retrying
on its own.

Each call asks as its user (fair_share): the scheduler shares a deployment fairly between users, so it is told whose
call it is, as the same hash of the user id that telemetry records (`user.hash`: HMAC-SHA-256 keyed with
TELEMETRY_USER_SALT, 16 hex digits; the store never holds the raw id), and the call's weight.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from shared.jobs.models import ModelSelection
from shared.llm.budget import MAX_DEFER_S, MIN_DEFER_S, RETURN_EARLY_S, Ask, Granted, Limits
from shared.llm.calls import DEFAULT_PRIORITY, CallContext, QuotaWait, current_call
from shared.llm.config import deployment_key, model_for
from shared.llm.errors import LLMTransientError
from shared.llm.events import QuotaDeferred, emit
from shared.llm.quota import QuotaScheduler
from shared.settings import Settings
from shared.telemetry.attributes import user_hash

log = logging.getLogger(__name__)

MAX_IN_PROCESS_WAIT_S = 120.0
"""What one call may wait for quota inside a worker in all; past it, the step waits on a durable timer instead."""

RATE_LIMIT_HEADERS = {
    "x-ratelimit-limit-tokens": "limit_tokens",
    "x-ratelimit-limit-requests": "limit_requests",
    "x-ratelimit-remaining-tokens": "remaining_tokens",
    "x-ratelimit-remaining-requests": "remaining_requests",
}


@dataclass
class Ticket:
    """One model call on its way: its queue key and where it stands."""

    deployment: str  # the budget's key: provider, endpoint, model
    model: str  # what messages name
    limits: Limits
    key: str
    priority: int
    context: CallContext | None
    user: str = ""  # whose, for the fair share: a hash of the user id
    weight: float = 1.0
    waited_s: float = 0.0
    granted: Granted | None = None  # its last grant: what the server's rate-limit headers are compared with

    @property
    def may_defer(self) -> bool:
        return self.context is not None and self.context.may_defer


class Admission:
    def __init__(
        self, settings: Settings, scheduler: Callable[[], QuotaScheduler], sleep: Callable[[float], None]
    ) -> None:
        self._settings = settings
        self._scheduler = scheduler
        self._sleep = sleep

    def begin(self, selection: ModelSelection) -> Ticket:
        context = current_call()
        key = context.begin() if context is not None else f"inline:{uuid.uuid4().hex}"
        priority = context.priority if context is not None else DEFAULT_PRIORITY
        limits = limits_for(self._settings, selection)
        model = model_for(self._settings, selection)
        user, weight = fair_share(self._settings, context)
        return Ticket(deployment_key(self._settings, selection), model, limits, key, priority, context, user, weight)

    def admit(self, ticket: Ticket, tokens: int) -> None:
        """Return when the call may go (its cost charged); raise QuotaWait when it should wait without a worker."""
        scheduler = self._scheduler()
        while True:
            ask = Ask(ticket.key, tokens, ticket.priority, ticket.user, ticket.weight, deferrable=ticket.may_defer)
            decision = scheduler.reserve(ticket.deployment, ticket.limits, ask)
            if isinstance(decision, Granted):
                ticket.granted = decision
                return
            now = scheduler.clock()
            delay = max(decision.until - now, 0.0)
            if decision.back is not None:  # the scheduler says when to come back from a durable wait
                raise _deferred(ticket, max(decision.back - now, 0.0), decision.ahead)
            if ticket.waited_s + delay > MAX_IN_PROCESS_WAIT_S and ticket.context is not None:
                raise _deferred(ticket, min(max(delay - RETURN_EARLY_S, 0.0), MAX_DEFER_S), decision.ahead)
            over = ticket.waited_s + delay > MAX_IN_PROCESS_WAIT_S
            if over:
                raise LLMTransientError(
                    f"model {ticket.model!r}: no quota within {MAX_IN_PROCESS_WAIT_S:.0f} s",
                    details={"model": ticket.model, "retry_after_ms": _ms(delay)},
                )
            self._sleep(delay)
            ticket.waited_s += delay

    def throttled(
        self, ticket: Ticket, tokens: int, retry_after: float | None, headers: Mapping[str, str] | None = None
    ) -> None:
        """A 429 to a call of `tokens`: slow the deployment for everyone (and learn the limits the 429's headers
        state); the first call of a step then waits on a durable timer (raises QuotaWait), any other waits for its
        turn at its next admit."""
        seen = rate_limit_headers(headers or {})
        self._scheduler().throttled(
            ticket.deployment,
            ticket.limits,
            retry_after,
            refund=tokens,
            headers=seen,
            sent=ticket.granted,
            user=ticket.user,
            weight=ticket.weight,
        )
        if ticket.may_defer:
            raise _deferred(ticket, max(retry_after or 0.0, MIN_DEFER_S), 0)

    def answered(self, ticket: Ticket, headers: Mapping[str, str]) -> None:
        if ticket.context is not None:
            ticket.context.answered += 1
        seen = rate_limit_headers(headers)
        if seen:
            self._scheduler().observe(ticket.deployment, ticket.limits, seen, sent=ticket.granted)


def _deferred(ticket: Ticket, wait_s: float, ahead: int) -> QuotaWait:
    """The QuotaWait that hands the call back to its orchestrator, reported to the observers of model calls."""
    job_id = ticket.context.job_id if ticket.context is not None else None
    emit(QuotaDeferred(model=ticket.model, wait_s=round(wait_s, 3), ahead=ahead, job_id=job_id))
    return QuotaWait(ticket.model, _ms(wait_s), ahead)


def fair_share(settings: Settings, context: CallContext | None) -> tuple[str, float]:
    """Whose call this is for the fair share, and its weight (its user's times its job type's). With
    LLM_FAIR_SHARE=off every call is the same user's (""): one queue by priority. So are the calls made outside any
    job (the inline HTTP paths): together they are one more user."""
    if settings.llm_fair_share == "off" or context is None or context.user_id is None:
        return "", 1.0
    weight = settings.llm_fair_share_weights.get(context.user_id, 1.0)
    job_type = context.job_type
    if job_type is not None:
        weight *= settings.llm_fair_share_job_type_weights.get(job_type, 1.0)
    return user_hash(context.user_id, settings.telemetry_user_salt), weight


def limits_for(settings: Settings, selection: ModelSelection) -> Limits:
    if selection == "secondary":
        return Limits(settings.llm_tokens_per_minute_secondary, settings.llm_requests_per_minute_secondary)
    return Limits(settings.llm_tokens_per_minute_primary, settings.llm_requests_per_minute_primary)


def rate_limit_headers(headers: Mapping[str, str]) -> dict[str, int]:
    """The x-ratelimit-limit-* / -remaining-* figures a response carries (unparseable ones are ignored)."""
    seen: dict[str, int] = {}
    for header, name in RATE_LIMIT_HEADERS.items():
        value = headers.get(header)
        if value is None:
            continue
        try:
            seen[name] = int(float(value))
        except ValueError:
            log.debug("ignoring %s: %r", header, value)
    return seen


def _ms(seconds: float) -> int:
    return max(int(seconds * 1000), 1)
