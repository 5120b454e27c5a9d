"""The budget of one model deployment: who may call it now, and when the others may. Pure rules over a small state
(the one item per deployment that shared/llm/quota.py keeps in the store): no I/O, and the time is an argument, so
tests drive it with a fake clock.

How Azure OpenAI enforces a deployment's quota: a request is charged at arrival on its prompt tokens plus its
`max_tokens`, and tokens-per-minute (TPM) and requests-per-minute (RPM) are enforced over short windows. We model
that as sliding windows that every grant must fit: tokens over 10 s (a sixth of TPM), requests over 10 s (a sixth
of RPM) and over 1 s (a sixtieth, at least one); and we pace the tokens: at most PACE_SHARE of the 10 s room in any
PACE_S. A grant is a charge in the state; it leaves the windows by
itself, so a call that was granted and never sent costs nothing after 10 s.

A call that does not fit now waits. Waiting calls are ordered by priority (the job's 1-10) plus one level per
minute waited (aging: a low-priority call overtakes newer urgent ones after a while, so nothing starves), then by
arrival. Each is told when its turn comes: the queue ahead of it is placed, in order, at the earliest times the
windows allow, and so is the caller; it is granted when that time is now. Waiting calls are recorded with that
time; one that does not come back is skipped once late and forgotten soon after, so no reservation leaks.
Adaptation (limits learned from headers, 429s) is shared/llm/adapt.py: it sets the caps a reservation is held to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, Field

WINDOW_S = 10.0
SHORT_WINDOW_S = 1.0
PACE_S = 2.5
PACE_SHARE = 0.5
"""Pacing: tokens granted over any PACE_S may not exceed PACE_SHARE of the 10 s window's room. Without it a backlog
takes a whole window in one burst and then nothing is granted until that burst leaves the window, so a new urgent
call waits up to a full window behind calls that were granted just before it arrived; paced, the window's room
comes free a part every few seconds and the queue's order (priority) decides who takes each part. The 10 s window
stays the bound: an idle deployment still takes a full window within 5 s."""
ARRIVAL_MARGIN_S = 0.3
"""A charge stays in our windows this much longer than in the server's: a request reaches the server a little
after it is granted, and the clocks of scale-out workers differ slightly."""
AGING_S = 60.0
"""A waiting call gains one priority level per this many seconds waited."""
LATE_S = 5.0
"""A waiter this far past its turn is not counted ahead of others: it may be gone (a cancelled job, a crash), and
the capacity kept for it would stay unused. Durable timers fire within a second or two."""
EXPIRY_S = 120.0
"""A waiter this far past its turn is forgotten."""
MAX_WAITERS = 2_000
MAX_CHARGES = 4_000
MIN_PRIORITY, MAX_PRIORITY = 1, 10


@dataclass(frozen=True)
class Limits:
    """A deployment's quota as configured (None: unknown)."""

    tokens_per_minute: int | None = None
    requests_per_minute: int | None = None


@dataclass(frozen=True)
class Ask:
    """One model call's reservation: a stable key (the same call asking again keeps its place), its cost (prompt
    tokens + max_tokens) and its job's priority."""

    key: str
    tokens: int
    priority: int = 5


@dataclass(frozen=True)
class Granted:
    """The call may go now; its cost is charged. Also when (`at`) and what our window held with it (`tokens`,
    `requests`): what the server counts of ours when the call arrives, which its rate-limit headers are compared
    with once the answer is back (shared/llm/adapt.py observe). Not part of equality: a grant is a grant."""

    at: float = field(default=0.0, compare=False)
    tokens: int = field(default=0, compare=False)
    requests: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Wait:
    """The call's turn comes at `until` (seconds, the clock's); `ahead` waiting calls go before it."""

    until: float
    ahead: int = 0


Decision = Granted | Wait


class Waiter(BaseModel):
    key: str
    priority: int
    tokens: int
    since: float  # when it first asked: its age
    until: float  # when it was told to come back


class BudgetState(BaseModel):
    """One deployment's budget as stored. Times are the scheduler clock's seconds (epoch time in the app)."""

    charges: list[tuple[float, int, int]] = Field(default_factory=list)
    """Granted calls (and corrections) still in a window: (time, tokens, requests), oldest first."""
    waiters: list[Waiter] = Field(default_factory=list)
    learned_tpm: int | None = None  # from x-ratelimit-limit-tokens
    learned_rpm: int | None = None  # from x-ratelimit-limit-requests
    guessed_tpm: int | None = None  # token limit unknown: what a 429 showed the server would not take
    rate: float = 1.0  # share of the limits in use: lowered by 429s, recovering with time (adapt.py)
    rate_at: float = 0.0  # when `rate` was set
    paused_until: float = 0.0  # a 429's retry-after: nothing is granted before
    throttled_at: float = 0.0  # the last 429


@dataclass(frozen=True)
class Caps:
    """Room of each window now (None: not limited)."""

    tokens: float | None
    requests: float | None
    requests_short: float | None

    @property
    def limited(self) -> bool:
        return self.tokens is not None or self.requests is not None


def reserve(state: BudgetState, caps: Caps, ask: Ask, now: float) -> Decision:
    """Grant `ask` now (charging it) or tell it when its turn comes (recording it as a waiter). `caps` is the room
    of each window in force now (shared.llm.adapt.caps_now)."""
    forget(state, now)
    mine = next((w for w in state.waiters if w.key == ask.key), None)
    me = Waiter(
        key=ask.key,
        priority=min(max(ask.priority, MIN_PRIORITY), MAX_PRIORITY),
        tokens=ask.tokens,
        since=mine.since if mine is not None else now,
        until=now,
    )
    start = max(now, state.paused_until)
    if not caps.limited:
        if start <= now:
            return _grant(state, me, now)
        return _wait(state, me, start, 0, mine)
    others = [w for w in state.waiters if w.key != ask.key and now <= w.until + LATE_S]
    queue = sorted([*others, me], key=lambda w: (-effective_priority(w, now), w.since, w.key))
    projected = list(state.charges)
    ahead = 0
    for waiter in queue:
        turn = fit(projected, start, caps, waiter.tokens)
        if waiter is me:
            return _grant(state, me, now) if turn <= now else _wait(state, me, turn, ahead, mine)
        if waiter.until > turn + 1.0:
            continue  # asleep past a turn that came early (capacity freed up): it is placed when it returns
        projected.append((turn, waiter.tokens, 1))
        start = turn
        ahead += 1
    raise AssertionError("unreachable: the caller is in the queue")  # pragma: no cover


def effective_priority(waiter: Waiter, now: float) -> float:
    return waiter.priority + max(now - waiter.since, 0.0) / AGING_S


def fit(charges: list[tuple[float, int, int]], start: float, caps: Caps, tokens: int) -> float:
    """The earliest time from `start` at which a call of `tokens` fits every window, given `charges` (all at or
    before `start`, oldest first). A call larger than a whole window fits an empty one: it could never run
    otherwise, and a server takes it alone."""
    turn = start
    for window, cap, index, amount in (
        (WINDOW_S, caps.tokens, 1, tokens),
        (PACE_S, None if caps.tokens is None else caps.tokens * PACE_SHARE, 1, tokens),
        (WINDOW_S, caps.requests, 2, 1),
        (SHORT_WINDOW_S, caps.requests_short, 2, 1),
    ):
        if cap is not None:
            turn = max(turn, _earliest(charges, start, window + ARRIVAL_MARGIN_S, cap, index, amount))
    return turn


def _earliest(
    charges: list[tuple[float, int, int]], start: float, window: float, cap: float, index: int, amount: int
) -> float:
    inside = [c for c in charges if c[0] > start - window]
    load = sum(int(c[index]) for c in inside)
    if load + amount <= cap or load <= 0:
        return start
    for charge in inside:  # charges leave the window oldest first
        load -= int(charge[index])
        if load + amount <= cap or load <= 0:
            return max(start, charge[0] + window)
    return start  # pragma: no cover - the last charge leaving empties the window


def load(state: BudgetState, now: float, index: int = 1, window: float = WINDOW_S + ARRIVAL_MARGIN_S) -> int:
    """Tokens (index 1) or requests (index 2) charged in the window ending now."""
    return sum(int(c[index]) for c in state.charges if c[0] > now - window)


def charge(state: BudgetState, at: float, tokens: int, requests: int) -> None:
    """Add a charge (kept in time order: `at` is never before the last one by more than clock noise)."""
    state.charges.append((at, tokens, requests))
    state.charges.sort(key=lambda c: c[0])
    if len(state.charges) > MAX_CHARGES:
        # Merge the two oldest into the later time: a charge kept longer only makes the budget stricter.
        (_, t1, r1), (at2, t2, r2) = state.charges[0], state.charges[1]
        state.charges[:2] = [(at2, t1 + t2, r1 + r2)]


def forget(state: BudgetState, now: float) -> None:
    """Drop charges that left every window and waiters that never came back."""
    horizon = now - (WINDOW_S + ARRIVAL_MARGIN_S)
    state.charges = [c for c in state.charges if c[0] > horizon]
    state.waiters = [w for w in state.waiters if now <= w.until + EXPIRY_S]


def _grant(state: BudgetState, me: Waiter, now: float) -> Granted:
    charge(state, now, me.tokens, 1)
    state.waiters = [w for w in state.waiters if w.key != me.key]
    return Granted(at=now, tokens=load(state, now, 1), requests=load(state, now, 2))


def _wait(state: BudgetState, me: Waiter, turn: float, ahead: int, mine: Waiter | None) -> Wait:
    me.until = turn
    if mine is not None:
        state.waiters = [me if w.key == me.key else w for w in state.waiters]
    elif len(state.waiters) < MAX_WAITERS:  # past that, a caller still waits; it is just not counted ahead
        state.waiters.append(me)
    return Wait(until=turn, ahead=ahead)
