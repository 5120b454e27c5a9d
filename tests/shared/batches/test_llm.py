"""The evaluation's model calls against the OpenAI-compatible test server: what is sent (the prompt and the
document as delimited data, the batch's max_tokens and temperature, the scoring rule), what is checked (a score
the scoring does not allow gets the corrective retry, then fails), and a document longer than the context
(parts, then one combine)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.batches.evaluation import EvaluationTask, settle
from shared.batches.llm import evaluate
from shared.batches.models import Checks, ModelConfig, PassFail, PromptConfig, Scale
from shared.llm.client import LLMClient
from shared.llm.errors import LLMOutputInvalid
from tests.support.openai_server import OpenAITestServer
from tests.support.quota import MemoryQuotaRepository

NDA = (Path(__file__).resolve().parents[3] / "sample_data" / "nda_mutual_standard.md").read_text(encoding="utf-8")


@pytest.fixture
def client(openai_server: OpenAITestServer) -> Iterator[LLMClient]:
    client = LLMClient(openai_server.settings(), sleep=lambda seconds: None, quota=MemoryQuotaRepository())
    yield client
    client.close()


def task(scoring: PassFail | Scale | Checks, text: str = NDA, **model: object) -> EvaluationTask:
    prompt = PromptConfig(name="Law", text="Does the agreement name its governing law?", scoring=scoring)
    return EvaluationTask(prompt=prompt, document_id="doc-1", filename="nda.md", text=text, model=ModelConfig(**model))


def test_one_call_sends_the_prompt_and_the_document_as_data_with_the_batchs_limits(
    client: LLMClient, openai_server: OpenAITestServer
) -> None:
    reply = evaluate(client, task(PassFail(), max_tokens=300, temperature=0.2))
    answer = settle(task(PassFail()), reply.output)

    (request,) = openai_server.requests
    assert request.schema_name == "document_evaluation"
    assert request.body["max_completion_tokens"] == 300 and request.body["temperature"] == 0.2
    user = request.messages[-1]["content"]
    assert "<prompt>Does the agreement name its governing law?</prompt>" in user
    assert '<document filename="nda.md">' in user and "Mutual Non-Disclosure Agreement" in user
    assert "score is 1 when the document satisfies the prompt" in request.messages[0]["content"]
    assert answer.score == 1.0 and answer.evidence and answer.evidence[0] in " ".join(NDA.split())
    assert reply.usage.llm_calls == 1


@pytest.mark.parametrize(
    ("scoring", "score"),
    [
        (PassFail(), {"enum": [0, 1], "title": "Score", "type": "integer"}),
        (Scale(min=1, max=5), {"enum": [1, 2, 3, 4, 5], "title": "Score", "type": "integer"}),
        (Scale(min=0, max=10_000), {"title": "Score", "type": "integer"}),  # too many values: whole numbers
        (Scale(min=0.5, max=2.5), {"title": "Score", "type": "number"}),  # fractional: the validator checks
    ],
)
def test_the_schema_as_sent_bounds_the_score_to_what_the_scoring_allows(
    client: LLMClient, openai_server: OpenAITestServer, scoring: PassFail | Scale, score: dict[str, object]
) -> None:
    evaluate(client, task(scoring))
    (request,) = openai_server.requests
    assert request.body["response_format"]["json_schema"]["strict"] is True
    assert request.json_schema is not None and request.json_schema["properties"]["score"] == score
    assert "minimum" not in json.dumps(request.json_schema) and "maximum" not in json.dumps(request.json_schema)


def test_a_score_outside_the_scale_gets_one_corrective_retry(
    client: LLMClient, openai_server: OpenAITestServer
) -> None:
    # Only a server that ignores the schema can send it; the retry tells the model the allowed values.
    openai_server.respond_json({"response_text": "Strong.", "score": 9, "evidence": []})
    reply = evaluate(client, task(Scale(min=1, max=5)))
    assert reply.output.score == 5.0  # the echo's answer to the retry: the top of the scale
    assert len(openai_server.requests) == 2
    assert "score: Input should be 1, 2, 3, 4 or 5" in openai_server.requests[1].messages[-1]["content"]


def test_a_score_outside_the_scale_twice_fails_the_evaluation(
    client: LLMClient, openai_server: OpenAITestServer
) -> None:
    for _ in range(2):
        openai_server.respond_json({"response_text": "Strong.", "score": 9, "evidence": []})
    with pytest.raises(LLMOutputInvalid, match="Input should be 1, 2, 3, 4 or 5") as info:
        evaluate(client, task(Scale(min=1, max=5)))
    assert info.value.usage.llm_calls == 2  # both were paid for


def test_a_fractional_scale_is_still_checked_by_the_validator(
    client: LLMClient, openai_server: OpenAITestServer
) -> None:
    openai_server.respond_json({"response_text": "Strong.", "score": 3.5, "evidence": []})
    openai_server.respond_json({"response_text": "Strong.", "score": 2.25, "evidence": []})
    reply = evaluate(client, task(Scale(min=0.5, max=2.5)))
    assert reply.output.score == 2.25
    assert "from 0.5 to 2.5" in openai_server.requests[1].messages[-1]["content"]


def test_checks_are_not_scored_by_the_model(client: LLMClient, openai_server: OpenAITestServer) -> None:
    checks = Checks(checks=[{"name": "Delaware", "regex": "State of Delaware"}, {"name": "jury", "regex": "jury"}])
    reply = evaluate(client, task(checks))
    (request,) = openai_server.requests
    assert "score" not in request.json_schema["properties"]
    answer = settle(task(checks), reply.output)
    assert answer.score == 0.5 and "Checks passed: Delaware; failed: jury." in answer.response_text


def test_a_document_longer_than_the_context_is_evaluated_in_parts_then_combined(
    openai_server: OpenAITestServer,
) -> None:
    settings = openai_server.settings(llm_context_tokens_primary=1_100)
    small = LLMClient(settings, sleep=lambda seconds: None, quota=MemoryQuotaRepository())
    try:
        reply = evaluate(small, task(PassFail(), max_tokens=300))
    finally:
        small.close()
    names = [r.schema_name for r in openai_server.requests]
    parts = [r for r in openai_server.requests if 'part="' in r.messages[-1]["content"]]
    assert len(parts) >= 2 and len(names) == len(parts) + 1  # every part, then one combine
    assert "Combine the parts' evaluations" in openai_server.requests[-1].messages[0]["content"]
    assert all(r.body["max_completion_tokens"] == 300 for r in openai_server.requests)
    assert reply.usage.llm_calls == len(names) and reply.output.score == 1.0
    # Nothing was cut: the parts hold the whole document.
    sent = " ".join(" ".join(r.messages[-1]["content"].split()) for r in parts)
    assert all(" ".join(paragraph.split()) in sent for paragraph in NDA.split("\n\n") if "<" not in paragraph)
