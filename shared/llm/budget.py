"""The budget of one model deployment: who may call it now, and when the others may. Pure rules over a small state
(the one item per deployment that shared/llm/quota.py keeps in the store): no I/O, and the time is an argument, so
tests drive it with a fake clock.

How Azure OpenAI enforces a deployment's quota: a request is charged at arrival on its prompt tokens plus its
`max_tokens`, and tokens-per-minute (TPM) and requests-per-minute (RPM) are enforced over short windows. We model
that as sliding windows that every grant must fit: tokens over 10 s (a sixth of TPM), requests over 10 s (a sixth
of RPM) and over 1 s (a sixtieth, at least one); and we pace the tokens: at most PACE_SHARE of the 10 s room in any
PACE_S. A grant is a charge in the state; it leaves the windows by
itself, so a call that was granted and never sent costs nothing after 10 s.

A call that does not fit now waits. The waiting calls form one queue (fair_order):
- Between users, the quota is shared fairly among the users who have calls waiting: start-time fair queuing over
  a virtual clock. Each user's calls are tagged with the virtual time at which they start, a call's cost advancing
  its user's tag by tokens / weight (the call's weight: its user's times its job type's, LLM_FAIR_SHARE_*WEIGHTS),
  and the queue takes the users' calls by their tags: users with equal weights alternate, a user of weight 2 gets
  twice the tokens of one of weight 1 while both wait, and a user who floods the deployment only lengthens their
  own queue.
- Within one user, calls are ordered by priority (the job's 1-10) plus one level per minute waited (aging: a
  low-priority call overtakes newer urgent ones after a while, so nothing starves), then by arrival.
With LLM_FAIR_SHARE=off every call is the same (empty) user's: one queue by priority and aging, as before.

Each call is told when its turn comes: the queue ahead of it is placed, in order, at the earliest times the windows
allow, and so is the caller; it is granted when that time is now. Waiting calls are recorded with that time; one
that does not come back is skipped once late and forgotten soon after, so no reservation leaks.

The fair share's state is bounded by who is waiting, not by history: the deployment's virtual time `virtual`, and
a Share (the virtual time up to which they were served) for each user who has a call waiting or was served ahead of
the others within the last window. A user who has no Share starts at `virtual`, the tag of the least-served user
still waiting: one who comes back after idling has banked no credit (their turn comes with the others', not ahead
of a backlog for the time they were away), and one who was served ahead keeps that debt while it still counts. When
no call waits any more, every debt is settled (`virtual` moves past every Share): capacity nobody asked for is
taken from no one.
Adaptation (limits learned from headers, 429s) is shared/llm/adapt.py: it sets the caps a reservation is held to.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
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
MIN_DEFER_S = 2.0
"""A shorter wait is slept in the worker: a durable timer and a second activity run cost more than that."""
RETURN_EARLY_S = 1.5
"""How much before its turn a call deferred to a durable timer is asked back, until the deployment has seen how late
such calls come back (DurableReturn): it sleeps what is left of its wait in the worker. The timer, the
orchestrator's next episode and the activity's dispatch take about a durable round trip; a call asked back at its
turn arrives that much after it, and the room kept for it until then goes unused (bench/quota_bench.py measured
calls ~1.7 s late at the median on devhost)."""
MAX_DEFER_S = 30.0
"""A durable wait lasts at most this long: the call then asks again (its place in the queue is kept), so a turn
estimated while the deployment was slowed down is not waited out in full once it recovers."""
DURABLE_MIN_S = 1.0
"""The shortest durable wait an orchestrator takes (orchestrators/retry_policies.py QuotaWaitLimit.min_delay_ms): a
call asked back sooner comes back no sooner than this."""
MAX_WAITERS = 2_000
MAX_PLACED = 200
"""Turns placed per decision at most: a caller further back in the queue is told to come back after the last of
them (when it asks again, those ahead of it have moved up); the cost of a decision stays bounded however many wait."""
MAX_CHARGES = 4_000
MAX_SHARES = 2_000
"""Past this many users' Shares (they are kept for waiting users and for those served within the last window), the
ones of users no longer waiting go first, least in debt first: what is forgotten is at most a call's worth each."""
MIN_PRIORITY, MAX_PRIORITY = 1, 10


@dataclass(frozen=True)
class Limits:
    """A deployment's quota as configured (None: unknown)."""

    tokens_per_minute: int | None = None
    requests_per_minute: int | None = None


@dataclass(frozen=True)
class Ask:
    """One model call's reservation: a stable key (the same call asking again keeps its place), its cost (prompt
    tokens + max_tokens), its job's priority, whose it is (`user`: a hash of the user id, shared/llm/admission.py;
    the empty user for every call with LLM_FAIR_SHARE=off) and its share weight (its user's times its job
    type's)."""

    key: str
    tokens: int
    priority: int = 5
    user: str = ""
    weight: float = 1.0
    deferrable: bool = False
    """The caller may wait without a worker (the first model call of an activity): a long wait is then a durable
    one, and the call is told when to come back (Wait.back)."""


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
    """The call's turn comes at `until` (seconds, the clock's); `ahead` waiting calls go before it. A deferrable
    call whose wait is worth a durable round trip is told `back`: when to come back from it (DurableReturn), early
    enough to be there at its turn; None: wait in the worker."""

    until: float
    ahead: int = 0
    back: float | None = field(default=None, compare=False)


Decision = Granted | Wait


class Waiter(BaseModel):
    key: str
    priority: int
    tokens: int
    since: float  # when it first asked: its age
    until: float  # when it was told to come back
    user: str = ""  # whose (a hash of the user id): the fair share is between users
    weight: float = 1.0
    back: float | None = None  # when it was asked back from a durable wait (None: it waits in a worker)

    @property
    def cost(self) -> float:
        """What being served advances its user's virtual time by."""
        return self.tokens / self.weight


class Share(BaseModel):
    """A user's place in the fair share: the virtual time up to which they have been served, and when last."""

    finish: float
    at: float


class DurableReturn(BaseModel):
    """How late calls deferred to durable timers come back to ask again, after the time they were asked back: the
    timer, the orchestrator's episodes and the activity's dispatch, on this host as it is now. A moving mean and
    mean deviation of the last calls', so that a deferred call is asked back early enough to be there at its turn
    most of the time (`lead`), whatever the host: the room kept for a call that is late goes unused until it comes,
    and one that is early sleeps the difference in a worker."""

    mean: float
    deviation: float

    @property
    def lead(self) -> float:
        return min(max(self.mean + 2 * self.deviation, MIN_LEAD_S), MAX_LEAD_S)

    def observe(self, late: float) -> None:
        self.mean += RETURN_WEIGHT * (late - self.mean)
        self.deviation += RETURN_WEIGHT * (abs(late - self.mean) - self.deviation)


RETURN_WEIGHT = 0.1  # of each return in the moving figures: about the last ten calls count
MIN_LEAD_S, MAX_LEAD_S = 0.2, 4.0
"""Asked back earlier than 4 s, a call would hold a worker asleep for longer than a round trip saves: past that, the
host is short of workers (a call waiting for one comes back late because others sleep), not of timers."""
RETURN_SEEN_S = (-2.0, 20.0)
"""A return outside this (how late, seconds) says nothing about the round trip (a worker that crashed, a clock that
jumped): it is not counted."""


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
    virtual: float = 0.0
    """The fair share's virtual time: the start tag of the least-served user still waiting (module docstring)."""
    shares: dict[str, Share] = Field(default_factory=dict)
    """By user hash: those waiting or served ahead within the last window (forget keeps it bounded)."""
    returns: DurableReturn | None = None
    """How late calls come back from durable waits (None: none has yet)."""


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
    _advance(state, now)
    mine = next((w for w in state.waiters if w.key == ask.key), None)
    if mine is not None and mine.back is not None:
        _returned(state, now - mine.back)
    me = Waiter(
        key=ask.key,
        priority=min(max(ask.priority, MIN_PRIORITY), MAX_PRIORITY),
        tokens=ask.tokens,
        since=mine.since if mine is not None else now,
        until=now,
        user=ask.user,
        weight=ask.weight if ask.weight > 0 else 1.0,
    )
    start = max(now, state.paused_until)
    deferrable = ask.deferrable
    if not caps.limited:
        if start <= now:
            return _grant(state, me, now)
        return _wait(state, me, start, 0, mine, deferrable, now)
    others = [w for w in state.waiters if w.key != ask.key and now <= w.until + LATE_S]
    queue = fair_order(state, [*others, me], now)
    timeline = Timeline(state.charges, caps)
    for ahead, waiter in enumerate(queue):
        if waiter is me:
            turn = timeline.earliest(start, me.tokens)
            return _grant(state, me, now) if turn <= now else _wait(state, me, turn, ahead, mine, deferrable, now)
        if ahead == MAX_PLACED:  # far back in a long queue: its turn is after all of those, at least
            return _wait(state, me, max(timeline.latest, now), queue.index(me), mine, deferrable, now)
        # A waiter asleep until its turn (a durable timer, or a worker's sleep) is not back before it: it is placed
        # from there, and the room before is left to those who can use it.
        timeline.place(max(start, waiter.until), waiter.tokens)
    raise AssertionError("unreachable: the caller is in the queue")  # pragma: no cover


def effective_priority(waiter: Waiter, now: float) -> float:
    return waiter.priority + max(now - waiter.since, 0.0) / AGING_S


def fair_order(state: BudgetState, waiters: list[Waiter], now: float) -> list[Waiter]:
    """The queue: each user's calls in that user's order (priority with aging, then arrival), the users' calls
    taken by their start tags (the user's virtual time plus the costs of their calls before), ties to the call
    that has waited longest. One user alone (or LLM_FAIR_SHARE=off) gives that user's order unchanged."""
    calls: dict[str, list[Waiter]] = {}
    for waiter in sorted(waiters, key=lambda w: (-effective_priority(w, now), w.since, w.key)):
        calls.setdefault(waiter.user, []).append(waiter)
    heads = [(start_tag(state, user), mine[0].since, mine[0].key, user, 0) for user, mine in calls.items()]
    heapq.heapify(heads)
    order: list[Waiter] = []
    while heads:
        tag, _, _, user, index = heapq.heappop(heads)
        call = calls[user][index]
        order.append(call)
        if index + 1 < len(calls[user]):
            after = calls[user][index + 1]
            heapq.heappush(heads, (tag + call.cost, after.since, after.key, user, index + 1))
    return order


def start_tag(state: BudgetState, user: str) -> float:
    """Where `user`'s next call starts in virtual time: where their service got to, or the deployment's virtual
    time when that is later (or they have no Share: new, or back after idling)."""
    share = state.shares.get(user)
    return state.virtual if share is None else max(share.finish, state.virtual)


_EPSILON_S = 1e-6
"""Times computed as a charge's plus a window's length may be off by rounding: a charge leaving a window at a time
so computed has left it."""


class Timeline:
    """The charges in the windows and the turns placed so far, in time order: where one more call fits.

    Turns are placed in the queue's order, each at the earliest time from which it fits every window for as long
    as it stays in them, given the charges before it and the turns placed ahead of it, later ones included
    (backfilling): a call that comes later in the order may take room that is free before the turn of one ahead
    of it, but only room that leaves that turn where it is. So nobody's turn is delayed by those behind them (a
    priority or a fair share ahead stays ahead), and the room that a large call ahead waits for while the window
    drains, or that a waiter asleep until its turn cannot use before it, goes to the calls that fit it."""

    def __init__(self, charges: list[tuple[float, int, int]], caps: Caps) -> None:
        self.times = [c[0] for c in charges]
        self.tokens = [c[1] for c in charges]
        self.requests = [c[2] for c in charges]
        self.windows: list[tuple[float, float, int]] = []  # (length, cap, 1: tokens / 2: requests / 3: paced)
        self.pace = None if caps.tokens is None else caps.tokens * PACE_SHARE
        for length, cap, index in (
            (WINDOW_S, caps.tokens, 1),
            (PACE_S, self.pace, 3),
            (WINDOW_S, caps.requests, 2),
            (SHORT_WINDOW_S, caps.requests_short, 2),
        ):
            if cap is not None:
                self.windows.append((length + ARRIVAL_MARGIN_S, cap, index))
        self._sums: dict[int, list[int]] = {}
        self._placed: list[tuple[int, float, float]] = []  # (tokens, from, turn) of each call placed
        self.latest = 0.0  # the latest turn placed

    def place(self, start: float, tokens: int) -> float:
        """Place a call of `tokens` at its earliest turn from `start` (earliest) and return the turn."""
        turn = self.earliest(start, tokens)
        index = bisect.bisect_right(self.times, turn)
        self.times.insert(index, turn)
        self.tokens.insert(index, tokens)
        self.requests.insert(index, 1)
        self._sums.clear()
        self._placed.append((tokens, start, turn))
        self.latest = max(self.latest, turn)
        return turn

    def earliest(self, start: float, tokens: int) -> float:
        """The earliest time from `start` at which a call of `tokens` (one request) fits every window for as long
        as it stays in them: at that time and whenever a later charge joins it there. A call larger than a whole
        window fits where it is alone in it: it could never run otherwise, and a server takes it alone. Only a
        charge leaving a window makes room, so the times to try are `start` and those."""
        # No call fits before the turn of one placed from no later with no more tokens: where it fits, that one
        # (lighter, and without it in the windows) would have fitted too. In a queue of similar calls that skips
        # most of the times to try.
        at = max([start, *(turn for t, since, turn in self._placed if t <= tokens and since <= start)])
        while True:
            later = self._next_try(at, tokens)
            if later is None:
                return at
            at = later

    def fits(self, at: float, tokens: int) -> bool:
        """Whether a call of `tokens` at `at` fits every window, then and while it stays in them."""
        return self._next_try(at, tokens) is None

    def _next_try(self, at: float, tokens: int) -> float | None:
        """None when a call of `tokens` fits at `at`; else the next time it may, none between fitting."""
        later = at
        for length, cap, index in self.windows:  # at `at` first: where most times tried fail
            amount = 1 if index == 2 else tokens
            if not self._room(at, length, cap, index, amount):
                later = max(later, self._room_from(at, length, cap, index, amount))
        if later > at:
            return later
        # It fits at `at`: it must fit whenever a later charge joins it in a window too (a window's load grows only
        # then). Where it does not, no time up to that charge does either.
        blocked: float | None = None
        for length, cap, index in self.windows:
            amount = 1 if index == 2 else tokens
            first = bisect.bisect_right(self.times, at)
            last = bisect.bisect_left(self.times, at + length - _EPSILON_S)
            for i in range(first, last):
                if blocked is not None and self.times[i] >= blocked:
                    break
                if not self._room(self.times[i], length, cap, index, amount):
                    blocked = self.times[i]
                    break
        if blocked is None:
            return None
        return min(  # the first charge to leave any window after it
            self.times[i] + length
            for length, _, _ in self.windows
            if (i := bisect.bisect_right(self.times, blocked - length + _EPSILON_S)) < len(self.times)
        )

    def _room_from(self, at: float, length: float, cap: float, index: int, amount: int) -> float:
        """The first time after `at` at which a window of `length` has room for `amount`, as charges leave it."""
        for i in range(bisect.bisect_right(self.times, at - length + _EPSILON_S), len(self.times)):
            leaves = self.times[i] + length
            if leaves > at and self._room(leaves, length, cap, index, amount):
                return leaves
        return self.times[-1] + length  # pragma: no cover - the last charge leaving empties the window

    def _room(self, at: float, length: float, cap: float, index: int, amount: int) -> bool:
        if index == 3 and amount > cap:
            return True  # larger than a step of the pace: not paced (below)
        load = self._load(at, length, index)
        return load + amount <= cap or load <= 0

    def _load(self, at: float, length: float, index: int) -> int:
        sums = self._sums.get(index)
        if sums is None:
            amounts = self.requests if index == 2 else self.tokens
            if index == 3:
                # The pace counts the calls it paces: one larger than a whole step of it (more than half the
                # window) cannot be split into steps; held to the pace, it would make every call after it wait a
                # step while the window has room (2.8 s lost to every such call, the urgent comparisons of a small
                # deployment), and the window itself still keeps it from joining a full burst.
                amounts = [0 if self.pace is not None and t > self.pace else t for t in amounts]
            sums = self._sums[index] = list(itertools.accumulate(amounts, initial=0))
        inside = bisect.bisect_right(self.times, at - length + _EPSILON_S)  # a charge leaving now is gone
        return sums[bisect.bisect_right(self.times, at)] - sums[inside]


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
    """Drop charges that left every window, waiters that never came back, and Shares that no longer count: one no
    further than the virtual time (the same as none), or of a user with nothing waiting who was last served a
    window ago (what they took then has left the window). Past MAX_SHARES, those of users with nothing waiting go,
    least in debt first. With no Share left, the virtual time starts again from 0 (only differences count)."""
    horizon = now - (WINDOW_S + ARRIVAL_MARGIN_S)
    state.charges = [c for c in state.charges if c[0] > horizon]
    state.waiters = [w for w in state.waiters if now <= w.until + EXPIRY_S]
    waiting = {w.user for w in state.waiters}
    state.shares = {
        user: share
        for user, share in state.shares.items()
        if share.finish > state.virtual and (user in waiting or share.at > horizon)
    }
    if len(state.shares) > MAX_SHARES:
        ranked = sorted(state.shares.items(), key=lambda item: (item[0] in waiting, item[1].finish), reverse=True)
        state.shares = dict(ranked[:MAX_SHARES])
    if not state.shares:
        state.virtual = 0.0


def give_back(state: BudgetState, user: str, cost: float) -> None:
    """A granted call of `user` was refused by the server (a 429): it did not use the quota, and its retry will be
    charged again, so its user's service goes back by its cost (tokens / weight), not below the virtual time."""
    share = state.shares.get(user)
    if share is not None:
        share.finish = max(share.finish - cost, state.virtual)


def _grant(state: BudgetState, me: Waiter, now: float) -> Granted:
    charge(state, now, me.tokens, 1)
    state.waiters = [w for w in state.waiters if w.key != me.key]
    _served(state, me, now)
    return Granted(at=now, tokens=load(state, now, 1), requests=load(state, now, 2))


def _served(state: BudgetState, me: Waiter, now: float) -> None:
    """Advance the caller's user by the call's cost, and the virtual time to the least-served user still waiting
    (none waiting: past every Share, settling every debt)."""
    state.shares[me.user] = Share(finish=start_tag(state, me.user) + me.cost, at=now)
    _advance(state, now)


def _advance(state: BudgetState, now: float) -> None:
    """Move the virtual time to the start tag of the least-served user still waiting (late waiters, which may be
    gone, do not hold it back); with none waiting, past every Share: every debt is settled."""
    waiting = {w.user for w in state.waiters if now <= w.until + LATE_S}
    if waiting:
        state.virtual = max(state.virtual, min(start_tag(state, user) for user in waiting))
    else:
        state.virtual = max([state.virtual, *(share.finish for share in state.shares.values())])


def _wait(
    state: BudgetState, me: Waiter, turn: float, ahead: int, mine: Waiter | None, deferrable: bool, now: float
) -> Wait:
    me.until = turn
    me.back = back_from(state, turn, now) if deferrable else None
    if mine is not None:
        state.waiters = [me if w.key == me.key else w for w in state.waiters]
    elif len(state.waiters) < MAX_WAITERS:  # past that, a caller still waits; it is just not counted ahead
        state.waiters.append(me)
    return Wait(until=turn, ahead=ahead, back=me.back)


def lead(state: BudgetState) -> float:
    """How long before its turn a deferred call is asked back: what calls have been late from durable waits, or
    RETURN_EARLY_S before any has come back."""
    return RETURN_EARLY_S if state.returns is None else state.returns.lead


def back_from(state: BudgetState, turn: float, now: float) -> float | None:
    """When a deferrable call whose turn is `turn` should come back from a durable wait, or None when the wait is
    better slept in the worker: shorter than MIN_DEFER_S, or than the lead and the shortest durable wait together
    (a durable round trip would bring it back after its turn anyway)."""
    ahead_of_turn = lead(state)
    if turn - now < max(MIN_DEFER_S, ahead_of_turn + DURABLE_MIN_S):
        return None
    return now + min(max(turn - ahead_of_turn - now, DURABLE_MIN_S), MAX_DEFER_S)


def _returned(state: BudgetState, late: float) -> None:
    low, high = RETURN_SEEN_S
    if not low <= late <= high:
        return
    if state.returns is None:
        state.returns = DurableReturn(mean=late, deviation=RETURN_EARLY_S / 2)
    else:
        state.returns.observe(late)
