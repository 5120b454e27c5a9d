"""What keeps a small deployment busy (issue 19), on a fake clock: calls behind a large one take the room it waits
for when that leaves its turn where it is (and only then), a call larger than a step of the pace does not hold the
calls after it, deferred calls are asked back as early as such calls have been coming back late, and a decision
costs the same however many wait."""

from __future__ import annotations

import pytest

from shared.llm import adapt, budget
from shared.llm.budget import (
    ARRIVAL_MARGIN_S,
    DURABLE_MIN_S,
    MAX_PLACED,
    RETURN_EARLY_S,
    WINDOW_S,
    Ask,
    BudgetState,
    Decision,
    Granted,
    Limits,
    Wait,
    Waiter,
)

T0 = 1_000_000.0
LIFETIME = WINDOW_S + ARRIVAL_MARGIN_S
SMALL = Limits(tokens_per_minute=96_000)  # 16,000 tokens per 10 s window


def reserve(
    state: BudgetState, key: str, tokens: int, now: float, priority: int = 5, limits: Limits = SMALL, **more: bool
) -> Decision:
    return budget.reserve(state, adapt.caps_now(state, limits, now), Ask(key, tokens, priority, **more), now)


def until(decision: Decision) -> float:
    assert isinstance(decision, Wait), decision
    return decision.until


def test_small_calls_take_the_room_a_large_urgent_call_waits_for_without_delaying_it() -> None:
    state = BudgetState()
    assert reserve(state, "urgent-1", 8_152, T0, priority=9) == Granted()
    # The second comparison does not fit beside the first (16,152 > 16,000): its turn is when the first leaves.
    turn = until(reserve(state, "urgent-2", 8_000, T0 + 1, priority=9))
    assert turn == pytest.approx(T0 + LIFETIME)
    # Meanwhile the batch's small calls use the room beside the first, as much of it as leaves the second's turn
    # where it is: 9 x 800 fit beside the first now and beside the second then.
    batch = [reserve(state, f"record-{i}", 800, T0 + 3, priority=3) for i in range(11)]
    assert batch[:9] == [Granted()] * 9
    assert all(until(d) >= turn for d in batch[9:])
    assert until(reserve(state, "urgent-2", 8_000, T0 + 4, priority=9)) == turn  # still first, still then
    assert reserve(state, "urgent-2", 8_000, turn, priority=9) == Granted()


def test_no_call_behind_takes_room_that_would_delay_a_turn_ahead() -> None:
    state = BudgetState()
    reserve(state, "running", 10_000, T0)
    turn = until(reserve(state, "urgent", 12_000, T0 + 1, priority=9))  # needs the 10,000 gone
    assert turn == pytest.approx(T0 + LIFETIME)
    # 6,000 are free now, but a call of 5,000 taking them would still be in the window at the urgent call's turn,
    # and leave it no room; one of 4,000 would.
    assert until(reserve(state, "record", 5_000, T0 + 2, priority=3)) >= turn
    assert reserve(state, "other", 4_000, T0 + 2, priority=3) == Granted()
    assert until(reserve(state, "urgent", 12_000, T0 + 3, priority=9)) == turn


def test_a_call_larger_than_a_step_of_the_pace_does_not_hold_the_calls_after_it() -> None:
    state = BudgetState()
    assert reserve(state, "large", 9_000, T0) == Granted()  # more than a step of the pace (8,000)
    assert reserve(state, "small", 1_000, T0 + 0.5) == Granted()  # the window has room: no step's wait
    # Calls within a step are still paced: half the window at once, the rest a step later.
    paced = BudgetState()
    burst = [reserve(paced, f"b{i}", 2_000, T0) for i in range(6)]
    assert burst[:4] == [Granted()] * 4 and isinstance(burst[4], Wait)


def test_deferred_calls_are_asked_back_as_early_as_such_calls_have_been_coming_back_late() -> None:
    state = BudgetState()
    reserve(state, "full", 16_000, T0)
    first = reserve(state, "a", 8_000, T0 + 1, deferrable=True)
    assert isinstance(first, Wait) and first.back == pytest.approx(first.until - RETURN_EARLY_S)
    # It comes back 3 s after it was asked back (a busy host): the next deferred calls are asked back earlier.
    assert first.back is not None
    reserve(state, "a", 8_000, first.back + 3, deferrable=True)
    second = reserve(state, "b", 9_000, first.back + 3.1, deferrable=True)  # waits for "a" to leave
    assert isinstance(second, Wait) and second.back is not None
    assert second.until - second.back > 3 + RETURN_EARLY_S / 2
    # Calls that come back on time bring the lead down again, though never to nothing.
    for index in range(40):
        now = T0 + 100 * (index + 1)
        waiting = reserve(state, f"fill-{index}", 16_000, now - 0.1)
        assert isinstance(waiting, Granted)
        deferred = reserve(state, f"c{index}", 8_000, now, deferrable=True)
        assert isinstance(deferred, Wait) and deferred.back is not None
        reserve(state, f"c{index}", 8_000, deferred.back, deferrable=True)
    assert state.returns is not None and budget.MIN_LEAD_S <= state.returns.lead < 0.5


def test_a_wait_a_round_trip_cannot_shorten_is_slept_and_a_call_that_cannot_defer_is_never_asked_back() -> None:
    state = BudgetState()
    reserve(state, "full", 16_000, T0)
    short = reserve(state, "short", 1_000, T0 + LIFETIME - RETURN_EARLY_S - DURABLE_MIN_S / 2, deferrable=True)
    assert isinstance(short, Wait) and short.back is None
    assert state.waiters[0].back is None  # and its return teaches nothing
    later = reserve(state, "later", 1_000, T0 + 1)  # a later call of an activity: it waits in its worker
    assert isinstance(later, Wait) and later.back is None


def test_a_decision_places_a_bounded_number_of_turns_however_many_wait() -> None:
    state = BudgetState()
    reserve(state, "full", 16_000, T0)
    state.waiters = [
        Waiter(key=f"w{i}", priority=5, tokens=800, since=T0 + i * 0.001, until=T0 + 1) for i in range(1_000)
    ]
    assert len(state.waiters) > MAX_PLACED
    behind = reserve(state, "behind", 800, T0 + 1, priority=1)  # last in the queue
    assert isinstance(behind, Wait) and behind.ahead == 1_000
    placed = reserve(state, "w0", 800, T0 + 1)  # the first in the queue is placed as before
    assert until(placed) == pytest.approx(T0 + LIFETIME)
    assert behind.until > placed.until
