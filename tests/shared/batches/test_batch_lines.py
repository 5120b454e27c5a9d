"""A record as a Batch API line, and a line of an output or error file read back: the line is the standard call
(the same messages, response schema and temperature, the batch's max_tokens), and its answer is checked exactly
as a standard answer (schema with the scoring, score within the scoring, evidence verbatim)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.batches import llm as standard
from shared.batches.batch_lines import ANSWER_FAILURES, answer_of, read_result, reason, request_line
from shared.batches.evaluation import EvaluationTask
from shared.batches.models import Checks, ModelConfig, PromptConfig, Scale
from shared.llm.client import LLMClient
from shared.llm.errors import LLMOutputInvalid, LLMPermanentError
from tests.support.openai_server import OpenAITestServer
from tests.support.quota import MemoryQuotaRepository

TEXT = (
    "1. Term. This Agreement continues for two (2) years from the Effective Date.\n\n"
    "2. Governing Law. This Agreement is governed by the laws of the State of New York."
)
TERM = PromptConfig(name="Term", text="How long does the agreement last?", scoring=Scale(min=1, max=5))
TASK = EvaluationTask(
    prompt=TERM, document_id="doc-1", filename="nda.md", text=TEXT,
    model=ModelConfig(max_tokens=300, temperature=0.2),
)  # fmt: skip


def completion(content: Any, **choice: Any) -> dict[str, Any]:
    text = content if isinstance(content, str) else json.dumps(content)
    return {
        "id": "chatcmpl-1",
        "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop", **choice}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150},
    }


def test_a_line_is_the_standard_call_of_the_record(openai_server: OpenAITestServer) -> None:
    standard.evaluate(LLMClient(openai_server.settings(), quota=MemoryQuotaRepository()), TASK)
    (sent,) = openai_server.requests

    line = request_line("bat_1:doc-1:000", TASK, "gpt-4o-batch", "/v1/chat/completions")

    assert {k: line[k] for k in ("custom_id", "method", "url")} == {
        "custom_id": "bat_1:doc-1:000", "method": "POST", "url": "/v1/chat/completions",
    }  # fmt: skip
    body = line["body"]
    assert body["model"] == "gpt-4o-batch"
    assert body["messages"] == sent.messages
    assert body["response_format"] == sent.response_format
    assert body["response_format"]["json_schema"]["strict"] is True
    assert body["temperature"] == sent.body["temperature"] == 0.2
    assert body["max_completion_tokens"] == 300  # the batch's max_tokens, part of the answer key
    json.dumps(line)  # one JSONL line


def test_a_good_answer_is_settled_like_a_standard_one() -> None:
    quote = "This Agreement continues for two (2) years from the Effective Date."
    reply = answer_of(TASK, completion({"response_text": " Two years. ", "score": 4, "evidence": [quote]}), "m")
    assert (reply.output.response_text, reply.output.score, reply.output.evidence) == ("Two years.", 4.0, [quote])
    assert reply.model == "gpt-4o-2024-08-06"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens, reply.usage.llm_calls) == (120, 30, 1)


def test_evidence_that_is_not_verbatim_is_dropped() -> None:
    answer = {"response_text": "Two years.", "score": 4, "evidence": ["continues for three years", "State of New York"]}
    assert answer_of(TASK, completion(answer), "m").output.evidence == ["State of New York"]


def test_a_score_the_scoring_does_not_allow_fails_the_record() -> None:
    with pytest.raises(LLMOutputInvalid) as caught:
        answer_of(TASK, completion({"response_text": "Long.", "score": 7, "evidence": []}), "m")
    message = reason(caught.value)
    assert message.startswith("LLM returned invalid output") and "score: Input should be 1, 2, 3, 4 or 5" in message


def test_checks_are_scored_by_their_regexes_not_by_the_answer() -> None:
    checks = Checks(
        checks=[{"name": "New York law", "regex": "State of New York"}, {"name": "Arbitration", "regex": "arbitrat"}]
    )
    task = TASK.model_copy(update={"prompt": PromptConfig(name="Basics", text="Check", scoring=checks)})
    reply = answer_of(task, completion({"response_text": "Checked.", "evidence": []}), "m")
    assert reply.output.score == 0.5 and "failed: Arbitration" in reply.output.response_text


@pytest.mark.parametrize(
    ("content", "choice", "failure", "words"),
    [
        ("not json", {}, LLMOutputInvalid, "invalid 'document_evaluation' output"),
        ('{"response_text": "cut', {"finish_reason": "length"}, LLMOutputInvalid, "cut off at 300 output tokens"),
        ("", {"message": {"role": "assistant", "content": None, "refusal": "I can't"}}, LLMPermanentError, "refused"),
        ("{}", {"finish_reason": "content_filter"}, LLMPermanentError, "content filter"),
    ],
)
def test_answers_that_cannot_be_used_fail_with_the_reason(
    content: str, choice: dict[str, Any], failure: type[Exception], words: str
) -> None:
    with pytest.raises(failure, match=words) as caught:
        answer_of(TASK, completion(content, **choice), "m")
    assert isinstance(caught.value, ANSWER_FAILURES)


def test_result_lines_in_each_form_the_service_writes() -> None:
    ok = read_result({"custom_id": "a", "response": {"status_code": 200, "body": completion("{}")}, "error": None})
    assert ok is not None and ok.completion is not None and ok.error is None
    in_body = read_result(
        {"custom_id": "b", "response": {"status_code": 400, "body": {"error": {"message": "Bad doc", "code": "x1"}}}}
    )
    assert in_body is not None and in_body.error == "the Batch API failed the request: HTTP 400: Bad doc (x1)"
    top = read_result({"custom_id": "c", "response": None, "error": {"code": "batch_expired", "message": "Expired"}})
    assert top is not None and top.error == "the Batch API failed the request: Expired (batch_expired)"
    server = read_result({"custom_id": "d", "response": {"status_code": 500, "body": "upstream"}})
    assert server is not None and server.error == "the Batch API failed the request: HTTP 500: upstream"
    assert read_result({"response": {"status_code": 200, "body": {}}}) is None  # nothing to match it to
