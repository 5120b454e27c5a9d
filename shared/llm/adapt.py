"""How a deployment's budget adapts to what the server says: its limits (`x-ratelimit-limit-*`), what it has
left (`x-ratelimit-remaining-*`) and 429s. Pure rules over budget.py's state, with the time as an argument.

- Limits: the configured figure (LLM_TOKENS_PER_MINUTE_* / LLM_REQUESTS_PER_MINUTE_*) or the header's, the lower
  when both are known (the setting may be this app's share of a deployment others use too).
- Remaining: what the server has left tells what it has seen used. Azure states the two on different scales:
  `x-ratelimit-remaining-tokens` of its per-minute limit (scaled to our 10 s window here), and
  `x-ratelimit-remaining-requests` of the 10 s window itself (120 RPM: 19 left after one request, not 119). Read
  as a per-minute figure, the requests one would make every answer look like a window nearly full of someone
  else's calls (240 RPM, 30 left: 35 of 40 "seen" where we sent 10), and the corrections would hold the
  deployment to a fraction of its quota (issue 19: 30 % used). A server that counts requests per minute (OpenAI's
  own) reads as a window with room: it then teaches nothing about requests, which rarely bind (below).
  When what the server has seen is more than our own charges hold (another client uses the deployment), the difference
  is charged as a correction, so our estimate never stays below the server's. Less is normal (our grants in flight
  have not arrived yet) and changes nothing. The server counted when the call arrived, and the answer comes back
  later: by then our own calls that were in its window may have left ours. So the comparison is with what our window
  held when the call was granted (plus what we granted since), and the correction is charged at that time: it leaves
  with the usage it stands for, and a figure older than a window changes nothing.
- 429: nothing is granted before its retry-after (`retry-after-ms` / `retry-after`), and the rate (the share of
  the limits we use) halves, once per burst of 429s; it recovers by itself, linearly, while no 429 comes. The
  refused call's charge is taken back: the server did not count it. With no token limit known, a 429 while we
  have several calls in the window shows what the server would not take: our window's load becomes a guessed
  tokens-per-minute limit, which doubles every GUESS_DOUBLING_S without a 429, so a low guess does not stick.
  Requests are not guessed: for calls of thousands of tokens they are rarely what binds (Azure grants 6 RPM per
  1,000 TPM), and a count of a few calls would make a wildly low guess.
"""

from __future__ import annotations

from shared.llm.budget import (
    ARRIVAL_MARGIN_S,
    SHORT_WINDOW_S,
    WINDOW_S,
    BudgetState,
    Caps,
    Granted,
    Limits,
    charge,
    load,
)

SLOWDOWN = 0.5
MIN_RATE = 0.1
SLOWDOWN_COOLDOWN_S = 2.0
"""The 429s of one burst (calls granted together, rejected together) are one signal: one slowdown."""
RECOVERY_PER_S = 0.02
"""The rate regains 2 % of the limits per second without a 429: from half to full in 25 s."""
DEFAULT_PAUSE_S = 1.0
"""A 429 without a retry-after pauses the deployment this long."""
MAX_PAUSE_S = 60.0
GUESS_DOUBLING_S = 30.0
MIN_GUESS_REQUESTS = 4
"""A 429 at a lighter load of ours says little about the limit (others may be using the deployment): it pauses,
it does not make a guess."""
MAX_DOUBLINGS = 10
CORRECTION_SLACK = 0.05
"""The server's figure must exceed ours by this share before it counts: its headers lag a little."""


def current_rate(state: BudgetState, now: float) -> float:
    return min(1.0, state.rate + max(now - state.rate_at, 0.0) * RECOVERY_PER_S)


def limits_now(state: BudgetState, limits: Limits, now: float) -> tuple[float | None, float | None]:
    """(tokens, requests) per minute in force: configured or learned (the lower), else (tokens) a 429's guess."""
    tpm: float | None = _lower(limits.tokens_per_minute, state.learned_tpm)
    rpm: float | None = _lower(limits.requests_per_minute, state.learned_rpm)
    doublings = max(now - state.throttled_at, 0.0) / GUESS_DOUBLING_S
    if tpm is None and state.guessed_tpm is not None and doublings <= MAX_DOUBLINGS:
        tpm = state.guessed_tpm * 2.0**doublings  # long without a 429, the guess no longer limits anything
    return tpm, rpm


def caps_now(state: BudgetState, limits: Limits, now: float) -> Caps:
    tpm, rpm = limits_now(state, limits, now)
    rate = current_rate(state, now)
    return Caps(
        tokens=None if tpm is None else tpm * WINDOW_S / 60.0 * rate,
        requests=None if rpm is None else max(1.0, rpm * WINDOW_S / 60.0 * rate),
        requests_short=None if rpm is None else max(1.0, rpm * SHORT_WINDOW_S / 60.0 * rate),
    )


def throttled(state: BudgetState, limits: Limits, now: float, retry_after: float | None, refund: int = 0) -> None:
    """The server answered 429 to a call of `refund` tokens: pause the deployment for its retry-after and slow the
    rate. The refused call's charge is taken back (the server did not count it; its retry will be charged)."""
    pause = DEFAULT_PAUSE_S if retry_after is None else min(max(retry_after, 0.0), MAX_PAUSE_S)
    state.paused_until = max(state.paused_until, now + pause)
    if now - state.rate_at >= SLOWDOWN_COOLDOWN_S:
        state.rate = max(MIN_RATE, current_rate(state, now) * SLOWDOWN)
        state.rate_at = now
        known = _lower(limits.tokens_per_minute, state.learned_tpm) is not None
        if not known and load(state, now, 2) >= MIN_GUESS_REQUESTS:
            state.guessed_tpm = max(1, round(load(state, now, 1) * 60.0 / WINDOW_S))
    state.throttled_at = now
    if refund:
        take_back(state, refund)


def take_back(state: BudgetState, tokens: int) -> None:
    """Remove the latest charge of one call of `tokens` (a refused call's)."""
    for index in range(len(state.charges) - 1, -1, -1):
        if state.charges[index][1:] == (tokens, 1):
            del state.charges[index]
            return


def observe(
    state: BudgetState,
    limits: Limits,
    now: float,
    *,
    limit_tokens: int | None = None,
    limit_requests: int | None = None,
    remaining_tokens: int | None = None,
    remaining_requests: int | None = None,
    sent: Granted | None = None,
) -> bool:
    """Learn from a response's rate-limit headers; returns whether the state changed (worth writing). `sent` is the
    grant of the call answered (None: the figures are compared with our window now). `remaining_tokens` is per
    minute, `remaining_requests` per 10 s window, as Azure states them (module docstring)."""
    changed = False
    if limit_tokens is not None and limit_tokens > 0 and limit_tokens != state.learned_tpm:
        state.learned_tpm, changed = limit_tokens, True
    if limit_requests is not None and limit_requests > 0 and limit_requests != state.learned_rpm:
        state.learned_rpm, changed = limit_requests, True
    tpm = _lower(limits.tokens_per_minute, state.learned_tpm)
    rpm = _lower(limits.requests_per_minute, state.learned_rpm)
    if sent is not None and now - sent.at >= WINDOW_S + ARRIVAL_MARGIN_S:
        return changed  # what the server had seen then has left every window since
    requests_left = None if remaining_requests is None else remaining_requests * 60.0 / WINDOW_S  # per minute
    for limit, remaining, index in ((tpm, remaining_tokens, 1), (rpm, requests_left, 2)):
        if limit is None or remaining is None:
            continue
        seen = max(limit - remaining, 0) * WINDOW_S / 60.0
        ours, at = _ours_when_counted(state, now, index, sent)
        if seen > ours * (1 + CORRECTION_SLACK) + 1:
            extra = round(seen - ours)
            charge(state, at, extra if index == 1 else 0, extra if index == 2 else 0)
            changed = True
    return changed


def _ours_when_counted(state: BudgetState, now: float, index: int, sent: Granted | None) -> tuple[int, float]:
    """What the server counted of ours (tokens: index 1, requests: 2) when it computed its figures, and when that
    was: our window at the grant of the call answered, plus what we granted since (in case the server counts a
    little later than the arrival). Without the grant: our window now."""
    if sent is None:
        return load(state, now, index), now
    since = sum(int(c[index]) for c in state.charges if c[0] > sent.at)
    return (sent.tokens if index == 1 else sent.requests) + since, sent.at


def _lower(configured: int | None, learned: int | None) -> int | None:
    known = [value for value in (configured, learned) if value is not None]
    return min(known) if known else None
