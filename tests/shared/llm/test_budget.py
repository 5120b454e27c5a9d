"""The reservation and priority rules of one deployment's budget, on a fake clock: grants, the wait estimate, who
goes first, aging, an urgent arrival overtaking a backlog, abandoned waiters expiring, and a simulated crowd that
never exceeds the server's sliding window while using most of it. Every call here is one user's (Ask's default):
priority orders one user's calls, and all calls with LLM_FAIR_SHARE=off; between users, see test_fair_share.py."""

from __future__ import annotations

import heapq
import itertools

from pytest import approx

from shared.llm import adapt, budget
from shared.llm.budget import (
    AGING_S,
    ARRIVAL_MARGIN_S,
    EXPIRY_S,
    LATE_S,
    PACE_S,
    WINDOW_S,
    Ask,
    BudgetState,
    Decision,
    Granted,
    Limits,
    Wait,
)

T0 = 1_000_000.0
TPM = 60_000  # 10,000 tokens per 10 s window
LIMITS = Limits(tokens_per_minute=TPM)
LIFETIME = WINDOW_S + ARRIVAL_MARGIN_S  # how long a charge counts in our window


def reserve(
    state: BudgetState, key: str, tokens: int, now: float, priority: int = 5, limits: Limits = LIMITS
) -> Decision:
    return budget.reserve(state, adapt.caps_now(state, limits, now), Ask(key, tokens, priority), now)


def until(decision: Decision) -> float:
    assert isinstance(decision, Wait), decision
    return decision.until


def test_a_call_that_fits_is_granted_and_charged_its_cost() -> None:
    state = BudgetState()
    assert reserve(state, "a", 4_000, T0) == Granted()
    assert state.charges == [(T0, 4_000, 1)]
    assert state.waiters == []


def test_a_call_that_does_not_fit_waits_until_enough_leaves_the_window() -> None:
    state = BudgetState()
    assert reserve(state, "a", 6_000, T0) == Granted()
    assert reserve(state, "b", 3_000, T0 + 3) == Granted()
    # 9,000 in the window: 2,000 more fits when "a" (6,000) leaves, not before (b alone would leave room).
    assert until(reserve(state, "c", 2_000, T0 + 3.5)) == T0 + LIFETIME
    assert [w.key for w in state.waiters] == ["c"]
    assert reserve(state, "c", 2_000, T0 + LIFETIME) == Granted()
    assert state.waiters == []


def test_grants_are_paced_so_an_urgent_call_waits_for_a_part_of_the_window_not_all_of_it() -> None:
    state = BudgetState()
    # A backlog asks for the whole window (10 x 1,000) at once: half of it goes now, the rest as the pace allows.
    backlog = [reserve(state, f"b{i}", 1_000, T0, priority=3) for i in range(10)]
    assert backlog[:5] == [Granted()] * 5
    assert {until(d) for d in backlog[5:]} == {T0 + PACE_S + ARRIVAL_MARGIN_S}
    # An urgent call a second later goes first at the next step, not after a whole window (T0 + LIFETIME).
    assert until(reserve(state, "urgent", 1_000, T0 + 1, priority=9)) == T0 + PACE_S + ARRIVAL_MARGIN_S
    assert reserve(state, "urgent", 1_000, T0 + PACE_S + ARRIVAL_MARGIN_S, priority=9) == Granted()
    # The 10 s window stays the bound: the backlog gets the rest of it (4,000), no more, at that step.
    step = T0 + PACE_S + ARRIVAL_MARGIN_S
    rest = [reserve(state, f"b{i}", 1_000, step, priority=3) for i in range(5, 10)]
    assert rest[:4] == [Granted()] * 4 and until(rest[4]) == T0 + LIFETIME


def test_requests_are_limited_per_second_and_per_window() -> None:
    state = BudgetState()
    limits = Limits(requests_per_minute=120)  # 2 a second, 20 per 10 s
    assert [reserve(state, k, 1, T0, limits=limits) for k in "ab"] == [Granted(), Granted()]
    assert until(reserve(state, "c", 1, T0 + 0.5, limits=limits)) == T0 + 1 + ARRIVAL_MARGIN_S


def test_a_call_larger_than_the_window_runs_alone_in_an_empty_one() -> None:
    state = BudgetState()
    reserve(state, "small", 100, T0)
    assert until(reserve(state, "huge", 15_000, T0 + 1)) == T0 + LIFETIME
    assert reserve(state, "huge", 15_000, T0 + LIFETIME) == Granted()


def test_unknown_limits_mean_unthrottled() -> None:
    state = BudgetState()
    assert all(reserve(state, f"k{i}", 50_000, T0, limits=Limits()) == Granted() for i in range(20))


def test_higher_priority_goes_first_and_equal_priority_in_arrival_order() -> None:
    state = BudgetState()
    reserve(state, "full", 10_000, T0)  # one 6,000-token call fits per window from now on
    assert until(reserve(state, "low", 6_000, T0 + 1, priority=3)) == approx(T0 + LIFETIME)
    assert until(reserve(state, "same", 6_000, T0 + 2, priority=3)) == approx(T0 + 2 * LIFETIME)
    assert until(reserve(state, "high", 6_000, T0 + 3, priority=8)) == approx(T0 + LIFETIME)  # first, though last
    # The ones it overtook learn their new turns when they ask again, in their arrival order.
    assert until(reserve(state, "low", 6_000, T0 + 4, priority=3)) == approx(T0 + 2 * LIFETIME)
    assert until(reserve(state, "same", 6_000, T0 + 5, priority=3)) == approx(T0 + 3 * LIFETIME)


def test_a_waiter_asking_again_keeps_its_place() -> None:
    state = BudgetState()
    reserve(state, "full", 10_000, T0)
    first = until(reserve(state, "first", 6_000, T0 + 1))
    second = until(reserve(state, "second", 6_000, T0 + 2))
    assert second > first
    assert until(reserve(state, "first", 6_000, T0 + 3)) == first  # came back early: same turn, still ahead
    assert reserve(state, "first", 6_000, first) == Granted()
    assert until(reserve(state, "second", 6_000, first + 0.1)) == second


def test_an_urgent_arrival_does_not_wait_behind_a_backlog() -> None:
    quiet, busy = BudgetState(), BudgetState()
    for state in (quiet, busy):
        reserve(state, "running", 10_000, T0)
    for index in range(40):  # a big batch's backlog, each told its turn
        reserve(busy, f"batch-{index}", 2_000, T0 + 1, priority=3)
    last_before = until(reserve(busy, "batch-39", 2_000, T0 + 1.5, priority=3))
    idle_turn = until(reserve(quiet, "urgent", 6_000, T0 + 2, priority=9))
    assert until(reserve(busy, "urgent", 6_000, T0 + 2, priority=9)) == idle_turn  # as if the deployment were idle
    # The backlog comes after it: its last call, asking again, is told a later turn than before.
    assert until(reserve(busy, "batch-39", 2_000, T0 + 3, priority=3)) > last_before


def test_aging_lets_a_low_priority_call_overtake_newer_urgent_ones() -> None:
    state = BudgetState()
    reserve(state, "full", 10_000, T0)  # one 6,000-token call fits per window from now on
    until(reserve(state, "old-low", 6_000, T0, priority=1))
    # An urgent call arriving just after goes first ...
    high = until(reserve(state, "new-high", 6_000, T0 + 1, priority=9))
    assert high < until(reserve(state, "old-low", 6_000, T0 + 1, priority=1))
    # ... but one arriving after the low one has waited 8.5 aging periods (1 + 8.5 > 9) comes after it.
    later = T0 + 8.5 * AGING_S
    state.charges = [(later, 10_000, 1)]  # the window is full again at that point
    state.waiters = [w.model_copy(update={"until": later}) for w in state.waiters if w.key == "old-low"]
    low_turn = until(reserve(state, "old-low", 6_000, later, priority=1))
    assert until(reserve(state, "newest-high", 6_000, later, priority=9)) > low_turn


def test_no_starvation_under_a_stream_of_urgent_calls() -> None:
    """A priority-1 call among priority-10 callers that keep the deployment saturated is still granted."""
    granted, _ = simulate(
        callers=[(f"urgent-{i}", 10, 2_500) for i in range(6)] + [("low", 1, 2_500)],
        seconds=20 * AGING_S,
        repeat=True,
    )
    assert "low" in granted


def test_a_waiter_that_never_comes_back_stops_counting_then_is_forgotten() -> None:
    state = BudgetState()
    reserve(state, "full", 10_000, T0)
    gone = until(reserve(state, "gone", 9_000, T0 + 1, priority=9))
    assert until(reserve(state, "patient", 9_000, T0 + 2)) > gone  # behind the urgent one
    # The urgent one never returns: once it is late, the next in line takes the room it was promised.
    assert reserve(state, "patient", 9_000, gone + LATE_S + 0.1) == Granted()
    assert [w.key for w in state.waiters] == ["gone"]
    reserve(state, "anyone", 1, gone + EXPIRY_S + 0.1)
    assert state.waiters == []  # no reservation leaks


def test_charges_leave_the_state_with_the_window() -> None:
    state = BudgetState()
    reserve(state, "a", 1_000, T0)
    reserve(state, "b", 1_000, T0 + LIFETIME + 1)
    assert state.charges == [(T0 + LIFETIME + 1, 1_000, 1)]


# --- a crowd on a simulated clock -----------------------------------------------------------------------------


def simulate(
    callers: list[tuple[str, int, int]], seconds: float, repeat: bool = False, limits: Limits = LIMITS
) -> tuple[list[str], list[tuple[float, int]]]:
    """Callers (key, priority, tokens) asking at T0; each waits until its turn and asks again; with `repeat` a
    granted caller asks again at once under a new key. Returns who was granted (keys) and every grant."""
    state = BudgetState()
    sequence = itertools.count()
    events = [(T0, next(sequence), key, priority, tokens) for key, priority, tokens in callers]
    heapq.heapify(events)
    granted: list[str] = []
    grants: list[tuple[float, int]] = []
    rounds = itertools.count(1)
    while events and events[0][0] < T0 + seconds:
        now, _, key, priority, tokens = heapq.heappop(events)
        decision = reserve(state, key, tokens, now, priority, limits)
        if isinstance(decision, Wait):
            heapq.heappush(events, (decision.until, next(sequence), key, priority, tokens))
            continue
        granted.append(key.split("#")[0])
        grants.append((now, tokens))
        if repeat:
            base = key.split("#")[0]
            heapq.heappush(events, (now, next(sequence), f"{base}#{next(rounds)}", priority, tokens))
    return granted, grants


def test_a_saturating_crowd_never_exceeds_the_sliding_window_and_uses_most_of_it() -> None:
    callers = [(f"c{i}", 1 + i % 10, 800 + 397 * (i % 7)) for i in range(30)]
    _, grants = simulate(callers, seconds=120, repeat=True)
    cap = TPM * WINDOW_S / 60
    for at, _ in grants:
        in_window = sum(tokens for t, tokens in grants if at - WINDOW_S < t <= at)
        assert in_window <= cap
    used = sum(tokens for _, tokens in grants)
    assert used >= 0.9 * TPM * 120 / 60  # of the quota-bound ideal over the simulated two minutes
