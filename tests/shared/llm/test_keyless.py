"""Azure OpenAI without AZURE_OPENAI_API_KEY: every request of the real `openai` SDK (chat calls, the Batch API's
files and batches) carries a bearer token from the process credential (a fake one at the edge here), none carries
an api-key, and the quota scheduler still learns the deployment's limits from the responses' headers."""

from __future__ import annotations

import io
import json

from pydantic import BaseModel

from shared.llm.batch_api import BatchAPI
from shared.llm.client import ChatMessage, LLMClient
from shared.llm.config import deployment_key
from shared.llm.sdk import AZURE_TOKEN_SCOPE
from tests.shared.llm.conftest import MakeClient
from tests.support.credentials import FakeCredentials
from tests.support.openai_server import OpenAITestServer, Reply

MESSAGES: list[ChatMessage] = [{"role": "user", "content": "Notice period?"}]


class Answer(BaseModel):
    answer: str


def keyless(openai_server: OpenAITestServer, make_client: MakeClient) -> LLMClient:
    # No key and no token provider passed in: the client must find the process credential by itself.
    return make_client(openai_server.azure_settings(azure_openai_api_key=None))


def test_chat_calls_carry_the_process_credentials_token(
    openai_server: OpenAITestServer, make_client: MakeClient, fake_credentials: FakeCredentials
) -> None:
    client = keyless(openai_server, make_client)
    limits = {"x-ratelimit-limit-tokens": "60000", "x-ratelimit-limit-requests": "600"}
    openai_server.enqueue(Reply(content=json.dumps({"answer": "30 days"}), headers=limits))

    answer = client.complete_json(MESSAGES, Answer, "answer", "primary")[0]

    assert answer.answer == "30 days"
    [request] = openai_server.requests
    credential = fake_credentials.only()
    assert request.headers["authorization"] == f"Bearer {credential.token}"
    assert "api-key" not in request.headers
    assert credential.scopes == [AZURE_TOKEN_SCOPE]
    # The quota headers of a token-authenticated response are read like any other.
    state = client.scheduler().state(deployment_key(openai_server.azure_settings(), "primary"))
    assert (state.learned_tpm, state.learned_rpm) == (60_000, 600)


def test_the_batch_api_uses_the_same_token(
    openai_server: OpenAITestServer, make_client: MakeClient, fake_credentials: FakeCredentials
) -> None:
    client = keyless(openai_server, make_client)
    api = BatchAPI(client, openai_server.azure_settings(azure_openai_api_key=None), sleep=lambda _: None)
    line = {"custom_id": "r1", "method": "POST", "url": api.endpoint, "body": {"model": "m", "messages": []}}

    file_id = api.upload("in.jsonl", io.BytesIO((json.dumps(line) + "\n").encode()))
    created = api.create(file_id)
    api.retrieve(created.remote_id)

    calls = openai_server.batch_api.calls
    assert {(call.method, call.path.rsplit("/", 1)[-1] if call.method == "POST" else "get") for call in calls} >= {
        ("POST", "files"),
        ("POST", "batches"),
    }
    token = f"Bearer {fake_credentials.only().token}"
    assert all(call.headers.get("authorization") == token for call in calls)
    assert not any("api-key" in call.headers for call in calls)
