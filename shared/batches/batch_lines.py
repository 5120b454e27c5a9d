"""A record as one line of a Batch API request file, and a line of its output or error file read back.

A line is the standard call of shared/batches/llm.py, sent later: the same messages, the same strict response
schema, the batch's max_tokens and temperature. Its answer is checked exactly like a standard answer: against the
schema with the prompt's scoring as validation context, then settled (the score within the scoring, evidence only
where verbatim). What the Batch API cannot give is the client's one corrective retry: an invalid answer fails
its record, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from shared.analysis.base import AnalyzerReply
from shared.analysis.token_usage import TokenUsage
from shared.batches.evaluation import Evaluation, EvaluationTask, settle
from shared.batches.outputs import SCHEMA_NAME, SCORING, EvaluationOut, evaluation_schema
from shared.batches.prompts import evaluation_messages
from shared.batches.scoring import ScoreInvalid
from shared.errors import DomainError
from shared.jobs.errors import describe
from shared.llm.errors import LLMOutputInvalid, LLMPermanentError
from shared.llm.framing import sent_prompt_tokens
from shared.llm.schema import strict_json_schema

MAX_REASON_CHARS = 500


def request_line(custom_id: str, task: EvaluationTask, model: str, endpoint: str) -> dict[str, Any]:
    """The JSONL object of one record: `custom_id` matches its answer to it (the record id)."""
    schema = evaluation_schema(task.prompt.scoring)
    body = {
        "model": model,
        "messages": evaluation_messages(task),
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": strict_json_schema(schema)},
        },
        "max_completion_tokens": task.model.max_tokens,
        "temperature": task.model.temperature,
    }
    return {"custom_id": custom_id, "method": "POST", "url": endpoint, "body": body}


def prompt_tokens(task: EvaluationTask, encoding: str) -> int:
    """Exact prompt tokens of the record's one call (the whole document in one request)."""
    return sent_prompt_tokens(evaluation_messages(task), evaluation_schema(task.prompt.scoring), encoding)


@dataclass(frozen=True)
class LineResult:
    """One line of an output or error file: the record's chat completion, or why the Batch API failed it."""

    custom_id: str
    completion: dict[str, Any] | None = None
    error: str | None = None


def read_result(line: dict[str, Any]) -> LineResult | None:
    """The result a line carries (None: no custom_id, nothing to match). A request the service failed shows as
    a top-level `error`, or as a `response` whose status is not 200 and whose body holds the error."""
    custom_id = line.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        return None
    response = _mapping(line.get("response"))
    status = response.get("status_code")
    body = response.get("body")
    if line.get("error"):
        return LineResult(custom_id, error=_failed(status, line["error"]))
    if status == 200 and isinstance(body, dict):
        return LineResult(custom_id, completion=body)
    inner = body.get("error") if isinstance(body, dict) and body.get("error") else body
    return LineResult(custom_id, error=_failed(status, inner))


def _failed(status: Any, error: Any) -> str:
    if isinstance(error, dict):
        message, code = str(error.get("message") or "no message"), error.get("code")
    else:
        message, code = str(error or "no answer"), None
    where = f"HTTP {status}: " if isinstance(status, int) else ""
    suffix = f" ({code})" if code else ""
    return f"the Batch API failed the request: {where}{message}{suffix}"[:MAX_REASON_CHARS]


def answer_of(task: EvaluationTask, completion: dict[str, Any], model: str) -> AnalyzerReply[Evaluation]:
    """The record's answer from its chat completion, checked and settled as a standard answer is. Raises
    LLMPermanentError (refused, filtered), LLMOutputInvalid (cut off, not the schema, a score the scoring does
    not allow) or ScoreInvalid."""
    model = str(completion.get("model") or model)
    choices = completion.get("choices") or []
    if not choices or not isinstance(choices[0], dict):
        raise LLMOutputInvalid(f"model {model!r} returned no choices in the Batch API", {"id": completion.get("id")})
    choice = choices[0]
    message = choice.get("message") or {}
    if message.get("refusal"):
        raise LLMPermanentError(f"model {model!r} refused: {message['refusal']}", {"model": model})
    finish = choice.get("finish_reason")
    if finish == "content_filter":
        raise LLMPermanentError(f"model {model!r} output was blocked by the content filter", {"model": model})
    raw = str(message.get("content") or "")
    if finish == "length":
        raise LLMOutputInvalid(
            f"model {model!r} output for {SCHEMA_NAME!r} was cut off at {task.model.max_tokens} output tokens",
            {"schema": SCHEMA_NAME, "raw": raw[:MAX_REASON_CHARS]},
        )
    scoring = task.prompt.scoring
    try:
        out = evaluation_schema(scoring).model_validate_json(raw, context={SCORING: scoring})
    except ValidationError as exc:
        raise LLMOutputInvalid(
            f"model {model!r} returned invalid {SCHEMA_NAME!r} output: {_problems(exc)}",
            {"schema": SCHEMA_NAME, "raw": raw[:MAX_REASON_CHARS]},
        ) from exc
    score = out.score if isinstance(out, EvaluationOut) else None
    evaluation = settle(task, Evaluation(response_text=out.response_text, score=score, evidence=out.evidence))
    return AnalyzerReply(evaluation, line_usage(completion), model, raw)


def reason(exc: Exception) -> str:
    """What a record's `error` says when its answer could not be used (as the standard path says it)."""
    if isinstance(exc, DomainError):
        return describe("calling_llm", exc).message
    return f"the model's answer was not used: {exc}"


ANSWER_FAILURES: tuple[type[Exception], ...] = (LLMPermanentError, LLMOutputInvalid, ScoreInvalid)


def line_usage(completion: dict[str, Any]) -> TokenUsage:
    """What one Batch API line's completion cost, as its usage reports it (billed whether or not it is used)."""
    usage = _mapping(completion.get("usage"))
    prompt, produced = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    total = int(usage.get("total_tokens") or prompt + produced)
    return TokenUsage(prompt_tokens=prompt, completion_tokens=produced, total_tokens=total, llm_calls=1)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _problems(exc: ValidationError, limit: int = 5) -> str:
    parts = [f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()[:limit]]
    return "; ".join(parts)
