"""LLMClient through the real openai SDK against the scripted OpenAI-compatible server."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from shared.llm import events
from shared.llm.chat_message import ChatMessage
from shared.llm.client import LLMClient
from shared.llm.errors import LLMNotConfigured, LLMOutputInvalid, LLMPermanentError, LLMTransientError
from shared.llm.framing import sent_prompt_tokens
from shared.settings import Settings
from shared.text.tokens import encoding_for_model
from tests.shared.llm.conftest import MakeClient, Sleeps
from tests.support.chat_tokens import guide_prompt_tokens
from tests.support.openai_server import OMIT, OpenAITestServer, Reply
from tests.support.quota import MemoryQuotaRepository

MESSAGES: list[ChatMessage] = [
    {"role": "system", "content": "You answer in JSON."},
    {"role": "user", "content": "What is the notice period?"},
]


class Answer(BaseModel):
    answer: str
    confidence: float | None = None


VALID = {"answer": "30 days", "confidence": 0.9}


def ask(client: LLMClient) -> tuple[Answer, object, str, str]:
    return client.complete_json(MESSAGES, Answer, "answer", "primary")


def test_structured_output_request_and_parsed_reply(openai_server: OpenAITestServer, client: LLMClient) -> None:
    openai_server.respond_json(VALID, usage={"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18})

    output, usage, model, raw = ask(client)

    assert output == Answer(answer="30 days", confidence=0.9)
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens, usage.llm_calls) == (11, 7, 18, 1)
    assert model == "test-model-primary"
    assert raw == '{"answer": "30 days", "confidence": 0.9}'
    [request] = openai_server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer test-key"
    assert request.model == "test-model-primary"
    assert request.body["max_completion_tokens"] == 4_000
    assert request.messages == MESSAGES
    fmt = request.response_format
    assert fmt is not None and fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "answer" and fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["answer", "confidence"]  # optional fields are required-but-nullable
    assert {"type": "null"} in schema["properties"]["confidence"]["anyOf"]
    assert "default" not in schema["properties"]["confidence"]


def test_secondary_selection_uses_secondary_model(openai_server: OpenAITestServer, client: LLMClient) -> None:
    openai_server.respond_json(VALID)
    client.complete_json(MESSAGES, Answer, "answer", "secondary")
    assert openai_server.requests[0].model == "test-model-secondary"


def test_429_then_success_waits_as_retry_after_ms_says(
    openai_server: OpenAITestServer, client: LLMClient, sleeps: Sleeps
) -> None:
    openai_server.rate_limit(retry_after_ms=1500)
    openai_server.rate_limit(retry_after="3")
    openai_server.respond_json(VALID)

    output, usage, _, _ = ask(client)

    assert output.answer == "30 days"
    assert sleeps == [1.5, 3.0]
    assert len(openai_server.requests) == 3
    assert usage.llm_calls == 1  # rejected requests produced no completion


def test_retry_after_ms_wins_over_retry_after(
    openai_server: OpenAITestServer, client: LLMClient, sleeps: Sleeps
) -> None:
    openai_server.rate_limit(retry_after_ms=250, retry_after="20")
    openai_server.respond_json(VALID)
    ask(client)
    assert sleeps == [0.25]


def test_server_requested_wait_is_capped(openai_server: OpenAITestServer, client: LLMClient, sleeps: Sleeps) -> None:
    openai_server.rate_limit(retry_after="3600")
    openai_server.respond_json(VALID)
    ask(client)
    assert sleeps == [60.0]


def test_5xx_exhausted_is_transient_with_status_and_message(
    openai_server: OpenAITestServer,
    make_client: MakeClient,
    sleeps: Sleeps,
) -> None:
    client = make_client(openai_server.settings(llm_max_retries=3))
    openai_server.server_error(503, "deployment overloaded", times=4)

    with pytest.raises(LLMTransientError) as info:
        ask(client)

    assert len(openai_server.requests) == 4  # 1 + llm_max_retries, and the SDK added none of its own
    assert "HTTP 503" in str(info.value) and "deployment overloaded" in str(info.value)
    assert info.value.details["status"] == 503
    assert info.value.retryable is True
    # Exponential backoff without server hints, jitter fixed by the injected random (0.5 -> 12.5% off).
    assert sleeps == [0.875, 1.75, 3.5]


@pytest.mark.parametrize("status", [408, 409, 500, 502])
def test_other_transient_statuses_are_retried(openai_server: OpenAITestServer, client: LLMClient, status: int) -> None:
    openai_server.server_error(status)
    openai_server.respond_json(VALID)
    assert ask(client)[0].answer == "30 days"
    assert len(openai_server.requests) == 2


@pytest.mark.parametrize(
    ("status", "code"), [(400, "content_filter"), (401, None), (404, "DeploymentNotFound"), (422, None)]
)
def test_other_4xx_fail_at_once_with_the_servers_message(
    openai_server: OpenAITestServer, client: LLMClient, sleeps: Sleeps, status: int, code: str | None
) -> None:
    openai_server.fail(status, "The response was filtered", code=code)

    with pytest.raises(LLMPermanentError) as info:
        ask(client)

    assert len(openai_server.requests) == 1
    assert sleeps == []
    assert f"HTTP {status}" in str(info.value) and "The response was filtered" in str(info.value)
    assert info.value.details["status"] == status
    assert info.value.retryable is False


def test_timeout_is_retried_then_transient(openai_server: OpenAITestServer, make_client: MakeClient) -> None:
    client = make_client(openai_server.settings(llm_timeout_seconds=0.2, llm_max_retries=1))
    openai_server.slow(2.0)
    openai_server.slow(2.0)

    with pytest.raises(LLMTransientError) as info:
        ask(client)

    assert len(openai_server.requests) == 2
    assert "APITimeoutError" in str(info.value)
    assert info.value.details["status"] is None


def test_connection_refused_is_transient(make_client: MakeClient) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before the client connects: nothing listens there
    settings = Settings(
        llm_provider="openai", openai_base_url=f"http://127.0.0.1:{port}/v1", openai_api_key="k", llm_max_retries=1
    )
    with pytest.raises(LLMTransientError, match="APIConnectionError"):
        ask(make_client(settings))


def test_invalid_json_then_valid_succeeds_with_a_corrective_message(
    openai_server: OpenAITestServer, client: LLMClient
) -> None:
    openai_server.respond_invalid_json('{"answer": "30 da')
    openai_server.respond_json(VALID, usage={"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25})

    output, usage, _, _ = ask(client)

    assert output.answer == "30 days"
    assert len(openai_server.requests) == 2
    retry = openai_server.requests[1].messages
    assert retry[: len(MESSAGES)] == MESSAGES
    assert retry[-2] == {"role": "assistant", "content": '{"answer": "30 da'}
    assert retry[-1]["role"] == "user" and "not valid for the required JSON schema" in retry[-1]["content"]
    assert usage.llm_calls == 2  # both completions are billed
    assert usage.prompt_tokens > 20


def test_a_corrective_retry_is_counted_as_it_is_sent(openai_server: OpenAITestServer, client: LLMClient) -> None:
    """The retry sends four messages: what the client counts (and reserves, and reports when the server gives no
    usage) is what went over the wire, framing of all four included."""
    counted: list[int] = []
    remove = events.listen(
        lambda e: counted.append(e.prompt_tokens) if isinstance(e, events.ModelCallAttempt) else None
    )
    openai_server.enqueue(Reply(content='{"answer": "30 da', usage=OMIT), Reply(content=json.dumps(VALID), usage=OMIT))
    try:
        _, usage, _, _ = ask(client)
    finally:
        remove()

    encoding = encoding_for_model("test-model-primary")
    sent = [guide_prompt_tokens(r.messages, encoding, r.json_schema) for r in openai_server.requests]
    assert [len(r.messages) for r in openai_server.requests] == [2, 4]
    assert counted == sent
    assert usage.prompt_tokens == sum(sent)


def test_schema_violation_counts_as_invalid(openai_server: OpenAITestServer, client: LLMClient) -> None:
    openai_server.respond_json({"answer": 42, "confidence": None})
    openai_server.respond_json(VALID)
    assert ask(client)[0].answer == "30 days"
    assert "answer" in openai_server.requests[1].messages[-1]["content"]  # the error names the field


def test_invalid_twice_raises_output_invalid(openai_server: OpenAITestServer, client: LLMClient) -> None:
    openai_server.respond_invalid_json("not json", times=2)

    with pytest.raises(LLMOutputInvalid) as info:
        ask(client)

    assert len(openai_server.requests) == 2
    assert "'answer'" in str(info.value)
    assert info.value.details["raw"] == "not json"


def test_a_failed_call_carries_the_usage_of_every_completion_it_was_billed_for(
    openai_server: OpenAITestServer, make_client: MakeClient
) -> None:
    # Both rejected replies were answered, so both are billed; the error says what they cost.
    bad = {"prompt_tokens": 40, "completion_tokens": 3, "total_tokens": 43}
    openai_server.enqueue(Reply(content="not json", usage=bad), Reply(content="still not json", usage=bad))
    with pytest.raises(LLMOutputInvalid) as invalid:
        ask(make_client(openai_server.settings()))
    assert (invalid.value.usage.llm_calls, invalid.value.usage.prompt_tokens, invalid.value.usage.total_tokens) == (
        2,
        80,
        86,
    )

    # A reply rejected, then a corrective retry that never got an answer (5xx until the retries ran out): only the
    # completion that came back is billed.
    openai_server.enqueue(Reply(content="not json", usage=bad))
    openai_server.server_error(503, times=3)
    with pytest.raises(LLMTransientError) as transient:
        ask(make_client(openai_server.settings(llm_max_retries=2)))
    assert (transient.value.usage.llm_calls, transient.value.usage.total_tokens) == (1, 43)

    # A refusal is a completion too.
    openai_server.enqueue(Reply(content=None, refusal="No.", usage=bad))
    with pytest.raises(LLMPermanentError) as refused:
        ask(make_client(openai_server.settings()))
    assert refused.value.usage.llm_calls == 1

    # Nothing answered at all: nothing billed.
    openai_server.server_error(500, times=3)
    with pytest.raises(LLMTransientError) as unanswered:
        ask(make_client(openai_server.settings(llm_max_retries=2)))
    assert unanswered.value.usage.llm_calls == 0 and unanswered.value.usage.total_tokens == 0


def test_a_truncated_answer_is_asked_again_once_with_twice_the_room(
    openai_server: OpenAITestServer, client: LLMClient
) -> None:
    openai_server.enqueue(Reply(content='{"answer": "30', finish_reason="length"))
    openai_server.respond_json(VALID)

    output, usage, _, _ = client.complete_json(MESSAGES, Answer, "answer", "primary", max_tokens=700)

    assert output.answer == "30 days"
    assert [r.body["max_completion_tokens"] for r in openai_server.requests] == [700, 1_400]
    assert openai_server.requests[1].messages == MESSAGES  # the same question, not a corrective turn
    assert usage.llm_calls == 2  # the cut-off answer was paid for too


def test_the_second_ask_is_capped_and_a_second_cut_fails_naming_the_setting(
    openai_server: OpenAITestServer, make_client: MakeClient
) -> None:
    client = make_client(openai_server.settings(llm_max_output_tokens=1_000))
    openai_server.enqueue(*(Reply(content='{"answer": "30', finish_reason="length") for _ in range(2)))

    with pytest.raises(LLMOutputInvalid, match=r"cut off at 1000 output tokens \(LLM_MAX_OUTPUT_TOKENS=1000\)"):
        client.complete_json(MESSAGES, Answer, "answer", "primary", max_tokens=700)
    assert [r.body["max_completion_tokens"] for r in openai_server.requests] == [700, 1_000]


def test_an_answer_cut_at_the_ceiling_already_fails_at_once(openai_server: OpenAITestServer, client: LLMClient) -> None:
    openai_server.enqueue(Reply(content='{"answer": "30', finish_reason="length"))
    with pytest.raises(LLMOutputInvalid, match="LLM_MAX_OUTPUT_TOKENS=4000"):
        ask(client)  # asked for LLM_MAX_OUTPUT_TOKENS: there is no more room to give
    assert len(openai_server.requests) == 1


def test_the_second_ask_never_exceeds_what_the_context_leaves(
    openai_server: OpenAITestServer, make_client: MakeClient
) -> None:
    client = make_client(openai_server.settings(llm_context_tokens_primary=1_000))
    openai_server.enqueue(Reply(content='{"answer": "30', finish_reason="length"))
    openai_server.respond_json(VALID)
    client.complete_json(MESSAGES, Answer, "answer", "primary", max_tokens=600)
    first, second = openai_server.requests
    assert first.body["max_completion_tokens"] == 600
    prompt = sent_prompt_tokens(MESSAGES, Answer, encoding_for_model("test-model-primary"))
    assert second.body["max_completion_tokens"] == 1_000 - prompt < 1_200


def test_refusal_is_permanent(openai_server: OpenAITestServer, client: LLMClient) -> None:
    openai_server.enqueue(Reply(content=None, refusal="I can't help with that."))
    openai_server.set_default(lambda request: "")
    with pytest.raises(LLMPermanentError, match="refused: I can't help with that"):
        ask(client)


def test_missing_usage_is_counted_from_the_text(openai_server: OpenAITestServer, client: LLMClient) -> None:
    openai_server.respond_json(VALID, usage=OMIT)

    _, usage, _, raw = ask(client)

    from shared.text.tokens import count_tokens

    # What the client sent, counted as OpenAI's guide counts it: messages in their framing, the response schema.
    expected_prompt = guide_prompt_tokens(MESSAGES, "o200k_base", openai_server.requests[0].json_schema)
    assert usage.prompt_tokens == expected_prompt
    assert usage.completion_tokens == count_tokens(raw)
    assert usage.total_tokens == expected_prompt + usage.completion_tokens


def test_azure_openai_path_api_version_and_key(openai_server: OpenAITestServer, make_client: MakeClient) -> None:
    client = make_client(openai_server.azure_settings(azure_openai_api_version="2024-10-21"))
    openai_server.respond_json(VALID)
    openai_server.respond_json(VALID)

    _, _, model, _ = ask(client)
    client.complete_json(MESSAGES, Answer, "answer", "secondary")

    first, second = openai_server.requests
    assert first.path == "/openai/deployments/contracts-primary/chat/completions"
    assert first.api_version == "2024-10-21"
    assert first.headers["api-key"] == "test-key"
    assert "authorization" not in first.headers
    assert second.deployment == "contracts-secondary"
    assert model == "contracts-primary"


def test_azure_without_key_uses_the_token_provider(
    openai_server: OpenAITestServer, sleeps: Sleeps, quota: MemoryQuotaRepository
) -> None:
    settings = openai_server.azure_settings(azure_openai_api_key=None, azure_openai_deployment_secondary=None)
    client = LLMClient(settings, sleep=sleeps, azure_token_provider=lambda: "entra-token", quota=quota)
    openai_server.respond_json(VALID)

    client.complete_json(MESSAGES, Answer, "answer", "secondary")

    [request] = openai_server.requests
    assert request.headers["authorization"] == "Bearer entra-token"
    assert "api-key" not in request.headers
    assert request.deployment == "contracts-primary"  # no secondary deployment: the primary serves both
    client.close()


def test_incomplete_settings_name_what_is_missing() -> None:
    with pytest.raises(LLMNotConfigured) as info:
        LLMClient(Settings(llm_provider="azure_openai"))
    assert info.value.details["missing"] == ["AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_DEPLOYMENT_PRIMARY"]
    with pytest.raises(LLMNotConfigured, match="OPENAI_API_KEY"):
        LLMClient(Settings(llm_provider="openai"))
    with pytest.raises(LLMNotConfigured, match="offline"):
        LLMClient(Settings(llm_provider="offline"))
