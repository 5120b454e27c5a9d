"""The fair share between users of one deployment's budget (shared/llm/budget.py), on a simulated clock: a user who
floods the deployment does not hold back another user's few calls, weights divide the granted tokens, a user's
priority still orders that user's own calls, a user back from idling gets no burst, and the state stays bounded by
who is waiting. LLM_FAIR_SHARE=off (every call the same user's, as shared/llm/admission.py asks) is the contrast:
one queue by priority."""

from __future__ import annotations

import dataclasses
import heapq
import itertools
from dataclasses import dataclass
from typing import Any

import pytest

from shared.llm import adapt, budget
from shared.llm.budget import (
    ARRIVAL_MARGIN_S,
    LATE_S,
    MAX_SHARES,
    PACE_S,
    WINDOW_S,
    Ask,
    BudgetState,
    Granted,
    Limits,
    Share,
    Wait,
    Waiter,
)

T0 = 1_000_000.0
TPM = 60_000  # 10,000 tokens per 10 s window: 1,000 a second
RATE = TPM / 60
LIMITS = Limits(tokens_per_minute=TPM)
LIFETIME = WINDOW_S + ARRIVAL_MARGIN_S
STEP = PACE_S + ARRIVAL_MARGIN_S  # the pace's step: a backlog is granted a part of the window this often


@dataclass
class Caller:
    """One stream of calls, one after another (a worker's activity): a user flooding the deployment is many."""

    name: str
    user: str
    tokens: int = 2_000
    priority: int = 5
    weight: float = 1.0
    start: float = 0.0  # seconds after T0 of its first call
    calls: int | None = None  # how many calls in all (None: until `stop` or the end)
    stop: float | None = None  # seconds after T0: no call begins after


@dataclass(frozen=True)
class Grant:
    at: float  # seconds after T0
    name: str
    user: str
    tokens: int


def crowd(
    callers: list[Caller],
    seconds: float,
    *,
    fair: bool = True,
    watch: list[BudgetState] | None = None,
) -> list[Grant]:
    """Every caller asks at its start, comes back at the turn it is told, and once granted asks again at once
    under a new key while it has calls left. `fair=False` asks as LLM_FAIR_SHARE=off does: every call the same
    user's, weight 1. `watch` gets a copy of the state after every decision."""
    state = BudgetState()
    sequence = itertools.count()
    events = [(T0 + c.start, next(sequence), index, 0) for index, c in enumerate(callers)]
    heapq.heapify(events)
    grants: list[Grant] = []
    while events and events[0][0] < T0 + seconds:
        now, _, index, call = heapq.heappop(events)
        c = callers[index]
        ask = Ask(f"{c.name}#{call}", c.tokens, c.priority, c.user if fair else "", c.weight if fair else 1.0)
        decision = budget.reserve(state, adapt.caps_now(state, LIMITS, now), ask, now)
        if watch is not None:
            watch.append(state.model_copy(deep=True))
        if isinstance(decision, Wait):
            heapq.heappush(events, (decision.until, next(sequence), index, call))
            continue
        grants.append(Grant(now - T0, c.name, c.user, c.tokens))
        more = c.calls is None or call + 1 < c.calls
        if more and (c.stop is None or now - T0 < c.stop):
            heapq.heappush(events, (now, next(sequence), index, call + 1))
    return grants


def shares(grants: list[Grant], start: float, end: float) -> dict[str, float]:
    """Each user's share of the tokens granted in [start, end)."""
    tokens: dict[str, int] = {}
    for g in grants:
        if start <= g.at < end:
            tokens[g.user] = tokens.get(g.user, 0) + g.tokens
    total = sum(tokens.values())
    return {user: t / total for user, t in tokens.items()}


def flood(user: str, slots: int, tokens: int = 2_000, priority: int = 5, **more: Any) -> list[Caller]:
    """`slots` callers of `user` asking one call after another: a user's jobs keeping that many calls waiting."""
    return [dataclasses.replace(Caller(f"{user}-{i}", user, tokens, priority), **more) for i in range(slots)]


def done_after(grants: list[Grant], name_prefix: str, arrived: float) -> float:
    return max(g.at for g in grants if g.name.startswith(name_prefix)) - arrived


def test_a_user_flooding_at_priority_10_leaves_another_user_their_share() -> None:
    comparison = [Caller(f"b-{i}", "b", 2_000, priority=1, start=30, calls=1) for i in range(3)]
    batch = flood("a", 16, priority=10)

    fair = crowd(batch + comparison, 120)
    today = crowd(batch + comparison, 120, fair=False)

    # B's calls were served at least at B's share of the deployment (half of it: two users waiting), from the next
    # step of the pace: within what that share takes for B's 6,000 tokens.
    assert done_after(fair, "b-", 30) <= 3 * 2_000 / (RATE / 2) + STEP
    # One queue by priority (LLM_FAIR_SHARE=off): priority 1 waits behind the flood until it has aged 9 levels.
    assert not any(g.user == "b" for g in today)
    # The flood still takes the rest: every window runs full while it waits.
    used = sum(g.tokens for g in fair if 20 <= g.at < 110)
    assert used >= 0.9 * RATE * 90
    assert used == pytest.approx(sum(g.tokens for g in today if 20 <= g.at < 110), rel=0.05)


def test_weights_2_1_1_share_the_granted_tokens_2_1_1_while_all_wait() -> None:
    callers = [
        *flood("heavy", 8, tokens=1_500, weight=2.0),
        *flood("light", 8, tokens=2_500),
        *flood("small", 8, tokens=1_000),
    ]
    grants = crowd(callers, 150)
    share = shares(grants, 20, 140)
    assert share == pytest.approx({"heavy": 0.5, "light": 0.25, "small": 0.25}, abs=0.04)
    # Unweighted, the same three get a third each, whatever the size of their calls.
    even = shares(crowd([dataclasses.replace(c, weight=1.0) for c in callers], 150), 20, 140)
    assert even == pytest.approx({"heavy": 1 / 3, "light": 1 / 3, "small": 1 / 3}, abs=0.04)


def test_a_users_urgent_job_still_overtakes_that_users_own_batch() -> None:
    urgent = Caller("a-urgent", "a", 2_000, priority=9, start=30, calls=1)
    callers = [*flood("a", 12, priority=3), *flood("b", 12), urgent]
    grants = crowd(callers, 90)
    mine_after = [g for g in grants if g.user == "a" and g.at >= 30]
    assert mine_after[0].name == "a-urgent"  # the user's next turn went to the urgent call, not the batch
    assert mine_after[0].at - 30 <= 2 * STEP
    # The other user's flood still got its share meanwhile.
    assert shares(grants, 20, 80) == pytest.approx({"a": 0.5, "b": 0.5}, abs=0.05)


def test_a_user_back_from_idling_gets_their_share_not_a_burst() -> None:
    callers = [*flood("a", 12), *flood("b", 12, stop=40), *flood("b-again", 12, start=120)]
    for c in callers:
        c.user = c.user.removesuffix("-again")
    grants = crowd(callers, 180)
    assert shares(grants, 20, 40)["b"] == pytest.approx(0.5, abs=0.05)
    idle_from = max(g.at for g in grants if g.user == "b" and g.at < 120)  # b's last call before it went away
    assert idle_from < 100 and shares(grants, idle_from + 0.01, 120) == {"a": 1.0}  # a alone took it all
    # Back after 60 s away, b banked no credit for it: from its first grant, half, not the whole deployment.
    back = min(g.at for g in grants if g.name.startswith("b-again"))
    assert back - 120 <= 2 * STEP
    for span in (STEP, 2 * STEP, WINDOW_S, 4 * WINDOW_S):
        assert shares(grants, back, back + span)["b"] <= 0.5 + 2_000 / (RATE * span) + 0.05, span


def test_the_state_stays_bounded_by_who_waits_with_many_users() -> None:
    callers = [Caller(f"u{i}", f"user-{i}", 600, start=i * 0.05, calls=2) for i in range(150)]
    seen: list[BudgetState] = []
    grants = crowd(callers, 600, watch=seen)
    assert {g.user for g in grants} == {c.user for c in callers} and len(grants) == 300
    most = 0
    for state in seen:
        waiting = {w.user for w in state.waiters}
        recently = {user for user, share in state.shares.items() if share.at > state.charges[-1][0] - LIFETIME}
        assert set(state.shares) <= waiting | recently  # a Share only while waiting or served within a window
        most = max(most, len(state.shares))
    assert 10 < most < 150
    # Once nobody waits and the last window has passed, nothing of the fair share is left.
    final = seen[-1]
    budget.reserve(final, adapt.caps_now(final, LIMITS, T0 + 700), Ask("late", 1, user="user-0"), T0 + 700)
    assert final.waiters == [] and set(final.shares) == {"user-0"} and final.virtual > 0
    budget.forget(final, T0 + 700 + LIFETIME + 1)
    assert final.shares == {} and final.virtual == 0.0


def test_past_max_shares_the_users_still_waiting_keep_theirs() -> None:
    now = T0
    state = BudgetState(virtual=10.0)
    state.shares = {f"user-{i}": Share(finish=20.0 + i, at=now) for i in range(MAX_SHARES + 500)}
    state.waiters = [
        Waiter(key=f"k{i}", priority=5, tokens=1, since=now, until=now, user=f"user-{i}") for i in range(50)
    ]
    budget.forget(state, now)
    assert len(state.shares) == MAX_SHARES
    assert {f"user-{i}" for i in range(50)} <= set(state.shares)  # waiting: kept
    assert f"user-{MAX_SHARES + 499}" in state.shares  # most in debt: kept
    assert "user-50" not in state.shares  # least in debt, not waiting: forgotten first


def test_a_late_waiter_does_not_hold_the_virtual_time_back() -> None:
    state = BudgetState()

    def ask(key: str, user: str, now: float, tokens: int = 2_000) -> budget.Decision:
        return budget.reserve(state, adapt.caps_now(state, LIMITS, now), Ask(key, tokens, user=user), now)

    assert ask("a-0", "a", T0, 10_000) == Granted()  # the window is full
    gone = ask("gone", "gone", T0)  # never comes back
    assert isinstance(gone, Wait)
    for i in (1, 2):
        ask(f"a-{i}", "a", T0)
    later = gone.until + LATE_S + 1
    assert ask("a-1", "a", later) == Granted()
    # A newcomer starts where the least-served user still counted (a) is, not behind the one that is gone.
    assert state.virtual == budget.start_tag(state, "newcomer") == state.shares["a"].finish == 2_000


def test_what_is_given_back_never_puts_a_user_behind_the_virtual_time() -> None:
    state = BudgetState(virtual=1_000.0, shares={"a": Share(finish=5_000.0, at=T0)})
    budget.give_back(state, "a", 3_000)
    assert state.shares["a"].finish == 2_000
    budget.give_back(state, "a", 3_000)
    assert state.shares["a"].finish == 1_000  # no credit beyond where everyone else is
    budget.give_back(state, "nobody", 3_000)
    assert set(state.shares) == {"a"}
