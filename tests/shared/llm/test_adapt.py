"""How a deployment's budget adapts, on a fake clock: a 429 pauses it for its retry-after and slows the rate, which
recovers while no 429 comes; limit headers teach the limits, remaining headers correct the estimate."""

from __future__ import annotations

from pytest import approx

from shared.llm import adapt, budget
from shared.llm.adapt import MIN_RATE, RECOVERY_PER_S, SLOWDOWN_COOLDOWN_S
from shared.llm.budget import ARRIVAL_MARGIN_S, WINDOW_S, Ask, BudgetState, Decision, Granted, Limits, Wait

T0 = 1_000_000.0
TPM = 60_000
LIMITS = Limits(tokens_per_minute=TPM)


def reserve(state: BudgetState, key: str, tokens: int, now: float, limits: Limits = LIMITS) -> Decision:
    return budget.reserve(state, adapt.caps_now(state, limits, now), Ask(key, tokens), now)


def window_tokens(state: BudgetState, limits: Limits, now: float) -> float:
    caps = adapt.caps_now(state, limits, now)
    assert caps.tokens is not None
    return caps.tokens


def test_a_429_pauses_everyone_for_its_retry_after() -> None:
    state = BudgetState()
    assert reserve(state, "a", 1_000, T0) == Granted()
    adapt.throttled(state, LIMITS, T0 + 0.1, retry_after=2.5, refund=1_000)
    assert reserve(state, "b", 10, T0 + 1) == Wait(until=T0 + 2.6)
    assert reserve(state, "b", 10, T0 + 2.6) == Granted()


def test_the_refused_call_is_not_charged_twice() -> None:
    state = BudgetState()
    reserve(state, "a", 1_000, T0)
    adapt.throttled(state, LIMITS, T0, retry_after=0.0, refund=1_000)
    assert budget.load(state, T0) == 0  # the server did not count it: its retry is charged instead


def test_a_burst_of_429s_halves_the_rate_once_and_it_recovers_without_them() -> None:
    state = BudgetState()
    full = window_tokens(state, LIMITS, T0)
    for offset in (0.0, 0.1, 0.2):  # one burst: calls granted together, refused together
        adapt.throttled(state, LIMITS, T0 + offset, retry_after=1.0)
    assert window_tokens(state, LIMITS, T0 + 0.2) == approx(full * 0.5, rel=0.01)
    adapt.throttled(state, LIMITS, T0 + SLOWDOWN_COOLDOWN_S + 0.2, retry_after=1.0)  # a later one slows again
    slowed = window_tokens(state, LIMITS, T0 + SLOWDOWN_COOLDOWN_S + 0.2)
    assert slowed < full * 0.5
    recovered_at = T0 + SLOWDOWN_COOLDOWN_S + 0.2 + (1.0 - slowed / full) / RECOVERY_PER_S
    assert window_tokens(state, LIMITS, recovered_at - 5) < full
    assert window_tokens(state, LIMITS, recovered_at + 0.01) == approx(full)


def test_the_rate_never_drops_below_its_floor() -> None:
    state = BudgetState()
    for index in range(20):
        adapt.throttled(state, LIMITS, T0 + index * SLOWDOWN_COOLDOWN_S, retry_after=0.0)
    assert adapt.current_rate(state, T0 + 19 * SLOWDOWN_COOLDOWN_S) == approx(MIN_RATE)


def test_a_slowed_deployment_grants_less_per_window() -> None:
    state = BudgetState()
    adapt.throttled(state, LIMITS, T0, retry_after=0.0)
    assert reserve(state, "a", 4_000, T0) == Granted()
    assert isinstance(reserve(state, "b", 4_000, T0), Wait)  # 8,000 would fit the full 10,000, not half of it


def test_limit_headers_teach_an_unconfigured_deployment_its_limits() -> None:
    state = BudgetState()
    assert adapt.caps_now(state, Limits(), T0).limited is False
    assert adapt.observe(state, Limits(), T0, limit_tokens=TPM, limit_requests=360) is True
    caps = adapt.caps_now(state, Limits(), T0)
    assert (caps.tokens, caps.requests, caps.requests_short) == (10_000, 60, 6)
    assert adapt.observe(state, Limits(), T0 + 1, limit_tokens=TPM, limit_requests=360) is False  # nothing new


def test_a_configured_limit_below_the_servers_wins() -> None:
    state = BudgetState()
    adapt.observe(state, Limits(tokens_per_minute=30_000), T0, limit_tokens=TPM)
    assert adapt.caps_now(state, Limits(tokens_per_minute=30_000), T0).tokens == 5_000


def test_remaining_headers_below_our_estimate_add_what_others_used() -> None:
    state = BudgetState()
    reserve(state, "ours", 1_000, T0)
    # The server has seen 36,000 of 60,000 used per minute: 6,000 per 10 s, of which 1,000 are ours.
    assert adapt.observe(state, LIMITS, T0 + 0.5, remaining_tokens=24_000) is True
    assert budget.load(state, T0 + 0.5) == 6_000
    assert reserve(state, "next", 4_500, T0 + 0.6) == Wait(until=T0 + WINDOW_S + ARRIVAL_MARGIN_S)


def test_remaining_headers_counted_at_arrival_are_compared_with_our_window_at_the_grant() -> None:
    state = BudgetState()
    for index in range(5):  # our own burst: 5,000 of the 10,000 a window holds (all that pacing lets go at once)
        assert reserve(state, f"burst{index}", 1_000, T0 + 1) == Granted()
    sent = reserve(state, "late", 1_000, T0 + 10)
    assert isinstance(sent, Granted)
    # The server counted the burst and the late call at its arrival (6,000 of 10,000 per 10 s); the answer comes
    # back 1.5 s later, when the burst has left our window: that is no other client's use.
    assert adapt.observe(state, LIMITS, T0 + 11.5, remaining_tokens=24_000, sent=sent) is False
    assert budget.load(state, T0 + 11.5) == 1_000
    assert reserve(state, "next", 4_000, T0 + 11.5) == Granted()


def test_what_others_used_is_charged_when_the_server_counted_it_and_leaves_with_it() -> None:
    state = BudgetState()
    sent = reserve(state, "ours", 1_000, T0)
    assert isinstance(sent, Granted)
    # At the arrival the server had 6,000 per 10 s: 5,000 of them another client's. The answer comes 2 s later.
    assert adapt.observe(state, LIMITS, T0 + 2, remaining_tokens=24_000, sent=sent) is True
    assert budget.load(state, T0 + 2) == 6_000
    assert reserve(state, "next", 4_500, T0 + 2) == Wait(until=T0 + WINDOW_S + ARRIVAL_MARGIN_S)
    # A figure older than a window says nothing about the window now.
    late = BudgetState()
    sent = reserve(late, "ours", 1_000, T0)
    assert isinstance(sent, Granted)
    assert adapt.observe(late, LIMITS, T0 + WINDOW_S + 1, remaining_tokens=24_000, sent=sent) is False


def test_remaining_headers_above_our_estimate_change_nothing() -> None:
    state = BudgetState()
    reserve(state, "ours", 5_000, T0)  # granted, but not yet seen by the server
    assert adapt.observe(state, LIMITS, T0 + 0.1, remaining_tokens=TPM) is False
    assert budget.load(state, T0 + 0.1) == 5_000


def test_without_limits_a_429_guesses_one_from_the_load_and_the_guess_grows_back() -> None:
    state = BudgetState()
    for index in range(6):
        assert reserve(state, f"k{index}", 2_000, T0, limits=Limits()) == Granted()
    adapt.throttled(state, Limits(), T0, retry_after=0.0, refund=2_000)
    # 12,000 in 10 s were refused: guessed 72,000 per minute, used at half the rate at first.
    assert window_tokens(state, Limits(), T0) == approx(6_000, rel=0.01)
    assert window_tokens(state, Limits(), T0 + 60) > 12_000 * 2  # two doublings later, the guess limits less
    assert adapt.caps_now(state, Limits(), T0 + 3_600).limited is False  # and at length not at all


def test_without_limits_a_429_at_a_light_load_only_pauses() -> None:
    state = BudgetState()
    reserve(state, "only", 5_000, T0, limits=Limits())
    adapt.throttled(state, Limits(), T0, retry_after=1.0, refund=5_000)
    assert adapt.caps_now(state, Limits(), T0).limited is False  # one call of ours: others filled the server
    assert reserve(state, "again", 5_000, T0 + 0.5, limits=Limits()) == Wait(until=T0 + 1.0)
    assert reserve(state, "again", 5_000, T0 + 1.0, limits=Limits()) == Granted()


def test_remaining_requests_are_read_in_the_10_s_window_as_azure_states_them() -> None:
    limits = Limits(tokens_per_minute=TPM, requests_per_minute=240)  # 40 requests per 10 s window
    state = BudgetState()
    sent = None
    for index in range(10):  # 4 a second at most
        sent = reserve(state, f"ours{index}", 100, T0 + index * 0.4, limits=limits)
        assert isinstance(sent, Granted)
    # Azure: 30 of the window's 40 left after our 10. Read per minute, that would be 35 requests seen (25 of them
    # someone else's) and a window all but closed to us.
    assert adapt.observe(state, limits, T0 + 4, remaining_requests=30, sent=sent) is False
    assert budget.load(state, T0 + 4, 2) == 10
    # 20 left: another client sent 10 in the window too.
    assert adapt.observe(state, limits, T0 + 4.1, remaining_requests=20, sent=sent) is True
    assert budget.load(state, T0 + 4.1, 2) == 20


def test_a_server_counting_remaining_requests_per_minute_teaches_nothing_wrong() -> None:
    limits = Limits(tokens_per_minute=TPM, requests_per_minute=240)
    state = BudgetState()
    sent = reserve(state, "ours", 100, T0, limits=limits)
    assert isinstance(sent, Granted)
    assert adapt.observe(state, limits, T0 + 0.5, remaining_requests=239, sent=sent) is False
    assert budget.load(state, T0 + 0.5, 2) == 1
