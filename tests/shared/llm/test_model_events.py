"""The observers of model calls (shared/llm/events.py) hear every attempt with its outcome and figures, and every
quota deferral; an observer that fails never fails the call; events carry no prompt or answer text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.llm import events
from shared.llm.calls import QuotaWait, call_context
from shared.llm.client import LLMClient
from shared.llm.events import ModelCallAttempt, ModelEvent, QuotaDeferred
from tests.shared.llm.conftest import MakeClient
from tests.shared.llm.test_client_quota import COST, LIFETIME, MAX_TOKENS, PROMPT, VALID, ask
from tests.support.openai_server import OpenAITestServer


@pytest.fixture
def heard() -> Iterator[list[ModelEvent]]:
    seen: list[ModelEvent] = []
    remove = events.listen(seen.append)
    yield seen
    remove()


def test_an_answered_call_reports_the_servers_token_counts(
    openai_server: OpenAITestServer, client: LLMClient, heard: list[ModelEvent]
) -> None:
    openai_server.respond_json(VALID)
    with call_context("step", job_id="job_1"):
        ask(client)
    [attempt] = heard
    assert isinstance(attempt, ModelCallAttempt)
    assert (attempt.outcome, attempt.status, attempt.attempt, attempt.job_id) == ("answered", None, 1, "job_1")
    assert attempt.model == "test-model-primary" and attempt.selection == "primary"
    assert attempt.max_tokens == MAX_TOKENS
    assert attempt.completion_tokens > 0 and attempt.prompt_tokens > 0
    assert "30 days" not in repr(attempt) and "notice period" not in repr(attempt)  # figures only, no text


def test_a_throttled_attempt_then_a_deferral_are_both_reported(
    openai_server: OpenAITestServer, client: LLMClient, heard: list[ModelEvent]
) -> None:
    openai_server.rate_limit(retry_after_ms=5_000)
    with call_context("step", job_id="job_2"), pytest.raises(QuotaWait):
        ask(client)
    throttled, deferred = heard
    assert isinstance(throttled, ModelCallAttempt)
    assert (throttled.outcome, throttled.status, throttled.prompt_tokens) == ("throttled", 429, PROMPT)
    assert deferred == QuotaDeferred(model="test-model-primary", wait_s=5.0, ahead=0, job_id="job_2")


def test_a_call_that_waited_in_process_reports_its_queue_wait(
    openai_server: OpenAITestServer, make_client: MakeClient, heard: list[ModelEvent]
) -> None:
    client = make_client(openai_server.settings(llm_tokens_per_minute_primary=COST * 6))
    openai_server.respond_json(VALID)
    openai_server.respond_json(VALID)
    ask(client)
    ask(client)
    first, second = heard
    assert isinstance(first, ModelCallAttempt) and isinstance(second, ModelCallAttempt)
    assert first.queue_wait_s == 0
    assert second.queue_wait_s == pytest.approx(LIFETIME, abs=0.01)


def test_a_failing_observer_never_fails_the_call(openai_server: OpenAITestServer, client: LLMClient) -> None:
    def broken(event: ModelEvent) -> None:
        raise RuntimeError("observer down")

    remove = events.listen(broken)
    try:
        openai_server.respond_json(VALID)
        assert ask(client).answer == "30 days"
    finally:
        remove()
