"""Model calls through the real LLM client: one client span per attempt under the step that calls, so a 429 and the
retry that follows are two spans of the step, the throttled one an error with its status; the answered one carries
the server's token counts. The scheduler's wait before an attempt is on its span."""

from __future__ import annotations

import pytest
from opentelemetry.trace import SpanKind, StatusCode

from shared.llm.client import LLMClient
from shared.llm.errors import LLMPermanentError
from shared.telemetry.state import active
from tests.shared.llm.conftest import client, clock, make_client, quota, sleeps
from tests.shared.llm.test_client import VALID, Answer, ask
from tests.shared.telemetry.conftest import Captured, attributes_of
from tests.support.openai_server import OpenAITestServer

__all__ = ["client", "clock", "make_client", "quota", "sleeps"]

USAGE = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}


def test_a_429_and_the_retry_after_it_are_two_attempts_of_one_step(
    openai_server: OpenAITestServer, client: LLMClient, captured: Captured
) -> None:
    openai_server.rate_limit(retry_after_ms=1500)
    openai_server.respond_json(VALID, usage=USAGE)
    telemetry = active()
    assert telemetry is not None
    with telemetry.tracer.start_as_current_span("activity query_answer_part") as step:
        output, _, _, _ = ask(client)
    assert output == Answer(answer="30 days", confidence=0.9)

    throttled, answered = captured.spans("chat ")
    for span in (throttled, answered):
        assert span.kind is SpanKind.CLIENT and span.name == "chat test-model-primary"
        assert span.parent is not None and span.parent.span_id == step.get_span_context().span_id
    assert "gen_ai.usage.input_tokens" not in attributes_of(throttled)  # a refused request used no tokens
    assert {k: attributes_of(throttled)[k] for k in ("llm.attempt", "llm.outcome", "http.response.status_code")} == {
        "llm.attempt": 1,
        "llm.outcome": "throttled",
        "http.response.status_code": 429,
    }
    assert attributes_of(throttled)["error.type"] == "429"
    assert throttled.status.status_code is StatusCode.ERROR
    assert attributes_of(answered)["llm.attempt"] == 2
    assert attributes_of(answered)["llm.outcome"] == "answered"
    assert (
        attributes_of(answered)["gen_ai.usage.input_tokens"],
        attributes_of(answered)["gen_ai.usage.output_tokens"],
    ) == (11, 7)
    assert attributes_of(answered)["llm.queue_wait_s"] == 1.5  # the scheduler held it for the 429's retry-after
    assert answered.status.status_code is not StatusCode.ERROR
    assert "http.response.status_code" not in attributes_of(answered)


def test_a_rejected_request_is_a_failed_attempt_with_its_status(
    openai_server: OpenAITestServer, client: LLMClient, captured: Captured
) -> None:
    openai_server.fail(400, "the prompt is not allowed", code="content_filter")
    with pytest.raises(LLMPermanentError):
        ask(client)
    (failed,) = captured.spans("chat ")
    assert {k: attributes_of(failed)[k] for k in ("llm.outcome", "http.response.status_code", "error.type")} == {
        "llm.outcome": "failed",
        "http.response.status_code": 400,
        "error.type": "400",
    }
    assert "the prompt is not allowed" not in captured.everything()
    assert "notice period" not in captured.everything()  # the prompt
