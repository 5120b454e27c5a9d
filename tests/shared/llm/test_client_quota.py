"""The LLM client with the scheduler on, against the scripted OpenAI-compatible server, on a fake clock: every
request reserves its exact cost first; the first call of an activity that must wait raises QuotaWait (no worker
held, nothing sent), later calls and calls outside an activity wait in-process; a 429 pauses everyone instead of
being hammered; rate-limit headers are learned; LLM_SCHEDULER=off is the old behaviour. A call asks as its job's
user (a hash, never the id) with its weight, so the scheduler can share the quota between users."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from shared.llm.admission import MIN_DEFER_S, RETURN_EARLY_S
from shared.llm.budget import ARRIVAL_MARGIN_S, WINDOW_S, BudgetState
from shared.llm.calls import QuotaWait, call_context
from shared.llm.chat_message import ChatMessage
from shared.llm.client import LLMClient
from shared.llm.config import deployment_key
from shared.llm.framing import sent_prompt_tokens
from shared.telemetry.attributes import user_hash
from shared.text.tokens import encoding_for_model
from tests.shared.llm.conftest import MakeClient, Sleeps
from tests.support.openai_server import OpenAITestServer, Reply
from tests.support.quota import FakeClock, MemoryQuotaRepository

MESSAGES: list[ChatMessage] = [
    {"role": "system", "content": "You answer in JSON."},
    {"role": "user", "content": "What is the notice period?"},
]
MAX_TOKENS = 700
LIFETIME = WINDOW_S + ARRIVAL_MARGIN_S


class Answer(BaseModel):
    answer: str


VALID = {"answer": "30 days"}
PROMPT = sent_prompt_tokens(MESSAGES, Answer, encoding_for_model("test-model-primary"))
COST = PROMPT + MAX_TOKENS


def ask(client: LLMClient) -> Answer:
    return client.complete_json(MESSAGES, Answer, "answer", "primary", max_tokens=MAX_TOKENS)[0]


def state_of(client: LLMClient, server: OpenAITestServer) -> BudgetState:
    return client.scheduler().state(deployment_key(server.settings(), "primary"))


def one_call_per_window(openai_server: OpenAITestServer, make_client: MakeClient, **settings: object) -> LLMClient:
    """A client whose primary deployment takes exactly one such call per 10 s window."""
    return make_client(openai_server.settings(llm_tokens_per_minute_primary=COST * 6, **settings))


def test_each_request_reserves_its_exact_prompt_tokens_plus_max_tokens(
    openai_server: OpenAITestServer, client: LLMClient, clock: FakeClock
) -> None:
    openai_server.respond_json(VALID)
    ask(client)
    state = state_of(client, openai_server)
    assert state.charges == [(clock(), COST, 1)]
    assert openai_server.requests[0].body["max_completion_tokens"] == MAX_TOKENS


def test_outside_an_activity_a_call_waits_in_process_for_its_turn(
    openai_server: OpenAITestServer, make_client: MakeClient, sleeps: Sleeps
) -> None:
    client = one_call_per_window(openai_server, make_client)
    openai_server.respond_json(VALID)
    openai_server.respond_json(VALID)
    ask(client)
    ask(client)
    assert sleeps == [pytest.approx(LIFETIME)]  # the second waited for the first to leave the window
    assert len(openai_server.requests) == 2


def test_the_first_call_of_an_activity_raises_quota_wait_and_sends_nothing(
    openai_server: OpenAITestServer, make_client: MakeClient, sleeps: Sleeps
) -> None:
    client = one_call_per_window(openai_server, make_client)
    openai_server.respond_json(VALID)
    ask(client)  # fills the window
    with call_context("activity-call") as context, pytest.raises(QuotaWait) as waited:
        ask(client)
    # Asked back a durable round trip before its turn (the rest it sleeps then: see the next test).
    assert waited.value.retry_after_ms == pytest.approx((LIFETIME - RETURN_EARLY_S) * 1000, abs=1)
    assert len(openai_server.requests) == 1 and sleeps == []  # no request, no worker held
    state = state_of(client, openai_server)
    assert [w.key for w in state.waiters] == ["activity-call#0"]  # its place in the queue is kept
    assert context.answered == 0


def test_a_call_asked_back_before_its_turn_sleeps_the_rest_and_goes_at_its_turn(
    openai_server: OpenAITestServer, make_client: MakeClient, sleeps: Sleeps, clock: FakeClock
) -> None:
    client = one_call_per_window(openai_server, make_client)
    openai_server.respond_json(VALID)
    openai_server.respond_json(VALID)
    ask(client)  # fills the window until LIFETIME from now
    first = clock()
    with call_context("activity-call"), pytest.raises(QuotaWait) as waited:
        ask(client)
    clock.advance(waited.value.retry_after_ms / 1000)  # the durable timer, had it taken no time at all
    with call_context("activity-call"):  # the same activity call, run again: same key, same place
        ask(client)
    assert sleeps == [pytest.approx(RETURN_EARLY_S)]
    assert [at for at, _, _ in state_of(client, openai_server).charges][-1] == pytest.approx(first + LIFETIME)


def test_a_later_call_of_the_same_activity_waits_in_process(
    openai_server: OpenAITestServer, make_client: MakeClient, sleeps: Sleeps
) -> None:
    client = one_call_per_window(openai_server, make_client)
    openai_server.respond_json(VALID)
    openai_server.respond_json(VALID)
    with call_context("activity-call") as context:
        ask(client)  # paid for: what follows must not lose it
        ask(client)
    assert context.answered == 2
    assert sleeps == [pytest.approx(LIFETIME)]


def test_a_short_wait_is_slept_even_by_a_first_call(
    openai_server: OpenAITestServer, make_client: MakeClient, sleeps: Sleeps, clock: FakeClock
) -> None:
    client = one_call_per_window(openai_server, make_client)
    openai_server.respond_json(VALID)
    openai_server.respond_json(VALID)
    ask(client)
    clock.advance(LIFETIME - MIN_DEFER_S / 2)
    with call_context("activity-call"):
        ask(client)  # a durable round trip would cost more than the wait
    assert sleeps == [pytest.approx(MIN_DEFER_S / 2)]


def test_a_429_in_an_activity_becomes_a_quota_wait_and_pauses_every_caller(
    openai_server: OpenAITestServer, client: LLMClient, sleeps: Sleeps
) -> None:
    openai_server.rate_limit(retry_after_ms=5_000)
    openai_server.respond_json(VALID)
    with call_context("activity-call"), pytest.raises(QuotaWait) as waited:
        ask(client)
    assert waited.value.retry_after_ms == 5_000
    assert len(openai_server.requests) == 1  # not retried at once: the step waits on a durable timer
    ask(client)  # another caller of the deployment waits out the pause before sending
    assert sleeps == [pytest.approx(5.0)]
    assert [r.reply_status for r in openai_server.requests] == [429, 200]


def test_rate_limit_headers_teach_an_unconfigured_client_its_limits(
    openai_server: OpenAITestServer, client: LLMClient, sleeps: Sleeps
) -> None:
    headers = {"x-ratelimit-limit-tokens": str(COST * 6), "x-ratelimit-limit-requests": "600"}
    openai_server.enqueue(Reply(content=json.dumps(VALID), headers=headers))
    openai_server.respond_json(VALID)
    ask(client)
    ask(client)
    state = state_of(client, openai_server)
    assert (state.learned_tpm, state.learned_rpm) == (COST * 6, 600)
    assert sleeps == [pytest.approx(LIFETIME)]  # the learned limit holds the second call back


def test_with_the_scheduler_off_nothing_is_reserved_and_429s_back_off_in_process(
    openai_server: OpenAITestServer, make_client: MakeClient, sleeps: Sleeps, quota: MemoryQuotaRepository
) -> None:
    client = make_client(openai_server.settings(llm_scheduler="off", llm_tokens_per_minute_primary=COST * 6))
    openai_server.rate_limit(retry_after_ms=1_500)
    for _ in range(3):
        openai_server.respond_json(VALID)
    with call_context("activity-call"):
        ask(client)
    ask(client)
    ask(client)
    assert sleeps == [1.5]
    assert quota.writes == 0


def test_a_429_teaches_the_limits_its_headers_state(
    openai_server: OpenAITestServer, client: LLMClient, sleeps: Sleeps
) -> None:
    limit = {"x-ratelimit-limit-tokens": str(COST * 6), "retry-after-ms": "100"}
    openai_server.enqueue(Reply(status=429, headers=limit, error_message="Rate limit reached"))
    openai_server.respond_json(VALID)
    with call_context("activity-call"), pytest.raises(QuotaWait):
        ask(client)
    assert state_of(client, openai_server).learned_tpm == COST * 6


def test_an_answer_that_comes_back_late_does_not_count_our_own_earlier_calls_as_someone_elses(
    openai_server: OpenAITestServer, make_client: MakeClient, sleeps: Sleeps, clock: FakeClock
) -> None:
    client = make_client(openai_server.settings(llm_tokens_per_minute_primary=COST * 2 * 6))  # two calls a window
    openai_server.respond_json(VALID)
    ask(client)  # A
    clock.advance(WINDOW_S - 0.1)
    # B arrives while A is in the server's window too (nothing remains), and is answered a second later: by then A
    # has left our window, not the server's figure.
    nothing_left = {"x-ratelimit-limit-tokens": str(COST * 2 * 6), "x-ratelimit-remaining-tokens": "0"}
    openai_server.enqueue(Reply(headers=nothing_left))
    openai_server.set_default(lambda request: (clock.advance(1.0), VALID)[1])
    ask(client)  # B
    openai_server.set_default(None)
    openai_server.respond_json(VALID)
    clock.advance(2.0)  # past B's pace step (half the window, one call here, per 2.5 s: shared.llm.budget.PACE_S)
    ask(client)  # C: the window holds B only, so C goes at once
    assert sleeps == []
    assert [tokens for _, tokens, _ in state_of(client, openai_server).charges] == [COST, COST]


def test_a_call_asks_as_its_users_hash_with_the_weights_of_its_user_and_job_type(
    openai_server: OpenAITestServer, make_client: MakeClient, quota: MemoryQuotaRepository
) -> None:
    weights = {"llm_fair_share_weights": "alice:3,bob:0.5", "llm_fair_share_job_type_weights": "batch_evaluation:0.5"}
    client = one_call_per_window(openai_server, make_client, telemetry_user_salt="pepper", **weights)
    openai_server.respond_json(VALID)
    ask(client)  # fills the window: the next calls wait, and the queue shows whose they are
    with call_context("step-1", user_id="alice", job_type=lambda: "batch_evaluation"), pytest.raises(QuotaWait):
        ask(client)
    with call_context("step-2", user_id="carol", job_type=lambda: "comparison"), pytest.raises(QuotaWait):
        ask(client)
    waiters = {w.key: w for w in state_of(client, openai_server).waiters}
    alice, carol = waiters["step-1#0"], waiters["step-2#0"]
    assert (alice.user, alice.weight) == (user_hash("alice", "pepper"), 1.5)
    assert (carol.user, carol.weight) == (user_hash("carol", "pepper"), 1.0)  # not named: 1
    stored = quota.read(deployment_key(openai_server.settings(), "primary"))
    assert stored is not None and "alice" not in stored.item and "carol" not in stored.item


def test_with_the_fair_share_off_every_call_asks_as_one_user(
    openai_server: OpenAITestServer, make_client: MakeClient
) -> None:
    client = one_call_per_window(openai_server, make_client, llm_fair_share="off", llm_fair_share_weights="alice:3")
    openai_server.respond_json(VALID)
    ask(client)
    with call_context("alice-step", user_id="alice", job_type=lambda: "comparison"), pytest.raises(QuotaWait):
        ask(client)
    [waiter] = state_of(client, openai_server).waiters
    assert (waiter.user, waiter.weight) == ("", 1.0)  # one queue by priority, as before the fair share
