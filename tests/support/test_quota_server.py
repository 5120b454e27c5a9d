"""The quota test server charges a request at arrival on its prompt (as our client counts it) plus max_tokens,
refuses what would overfill its sliding 10 s window with a 429 saying when to come back, and reports its limits and
what is left in the rate-limit headers."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest
from pydantic import BaseModel

from shared.llm.framing import sent_prompt_tokens
from shared.llm.schema import strict_json_schema
from shared.text.tokens import encoding_for_model
from tests.support.quota_server import QuotaTestServer

MESSAGES = [{"role": "system", "content": "Answer in JSON."}, {"role": "user", "content": "Notice period?"}]


class Answer(BaseModel):
    answer: str


SCHEMA = {
    "type": "json_schema",
    "json_schema": {"name": "answer", "strict": True, "schema": strict_json_schema(Answer)},
}
PROMPT = sent_prompt_tokens(MESSAGES, Answer, encoding_for_model("test-model-primary"))


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[QuotaTestServer]:
    enforce = getattr(request, "param", True)
    server = QuotaTestServer(tokens_per_minute=6 * (PROMPT + 600), requests_per_minute=600, enforce=enforce).start()
    yield server
    server.stop()


def ask(server: QuotaTestServer) -> openai.types.chat.ChatCompletion:
    sdk = openai.OpenAI(api_key="k", base_url=server.base_url, max_retries=0)
    try:
        return sdk.chat.completions.with_raw_response.create(
            model="test-model-primary", messages=MESSAGES, response_format=SCHEMA, max_completion_tokens=300
        )  # type: ignore[return-value]
    finally:
        sdk.close()


def test_each_request_costs_its_prompt_as_our_client_counts_it_plus_max_tokens(server: QuotaTestServer) -> None:
    raw = ask(server)
    assert [a.tokens for a in server.arrivals] == [PROMPT + 300]
    assert raw.headers["x-ratelimit-limit-tokens"] == str(server.tokens_per_minute)
    assert raw.headers["x-ratelimit-remaining-tokens"] == str(6 * 300)  # (share - cost) per minute


def test_remaining_requests_are_those_of_the_10_s_window_as_azure_reports_them(server: QuotaTestServer) -> None:
    raw = ask(server)
    assert raw.headers["x-ratelimit-limit-requests"] == "600"  # per minute: 100 per 10 s window
    assert raw.headers["x-ratelimit-remaining-requests"] == "99"  # not 594: Azure counts them in the window


def test_a_request_that_would_overfill_the_window_is_refused_with_when_to_come_back(server: QuotaTestServer) -> None:
    ask(server)
    with pytest.raises(openai.RateLimitError) as refused:
        ask(server)
    wait_ms = int(refused.value.response.headers["retry-after-ms"])
    assert 9_000 < wait_ms <= 10_000  # when the first leaves the window
    assert (len(server.accepted), server.rejected) == (1, 1)
    assert len(server.requests) == 1  # refused requests never reach the scripted responder


@pytest.mark.parametrize("server", [False], indirect=True)
def test_counting_mode_answers_everything_and_reports_the_fullest_window(server: QuotaTestServer) -> None:
    for _ in range(3):
        ask(server)
    assert server.rejected == 0
    assert server.max_window_tokens() == 3 * (PROMPT + 300) > server.window_tokens
    assert server.max_window_requests() == 3
