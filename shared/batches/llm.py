"""The evaluation's LLM step: one structured call for a document that fits the model's context; for a longer one,
one call per part (split by exact token count, paragraphs kept whole where they fit) and one call that combines
the parts' answers — as the query workflow does. The call asks for the batch's own max_tokens and temperature."""

from __future__ import annotations

from typing import Any

from shared.analysis.base import AnalyzerReply
from shared.analysis.token_usage import TokenUsage
from shared.batches.evaluation import Evaluation, EvaluationTask, verbatim
from shared.batches.outputs import SCHEMA_NAME, SCORING, EvaluationOut, UnscoredEvaluationOut, evaluation_schema
from shared.batches.prompts import combine_messages, evaluation_messages
from shared.errors import ValidationFailed
from shared.llm.chat_message import ChatMessage
from shared.llm.client import LLMClient
from shared.llm.errors import LLMError
from shared.llm.framing import sent_prompt_tokens, with_notes
from shared.text.tokens import count_tokens, encoding_for_model, truncate_to_tokens

MIN_PART_TOKENS = 256


class DocumentTooLong(ValidationFailed):
    code = "document_too_long"
    usage = TokenUsage()  # what the parts' calls cost before the combine was found not to fit (billed all the same)


def evaluate(client: LLMClient, task: EvaluationTask) -> AnalyzerReply[Evaluation]:
    selection = task.model.modelSelection
    schema = evaluation_schema(task.prompt.scoring)
    encoding = encoding_for_model(client.model_name(selection))
    allowed = client.context_tokens(selection) - task.model.max_tokens
    whole = evaluation_messages(task)
    if sent_prompt_tokens(whole, schema, encoding) <= allowed:
        answer, usage, model, raw = _call(client, task, whole)
        return AnalyzerReply(answer, usage, model, raw)
    texts = split(task, allowed, encoding)
    usage = TokenUsage()
    try:
        parts: list[Evaluation] = []
        raws: list[str] = []
        for k, text in enumerate(texts):
            part, used, _, raw = _call(client, task, evaluation_messages(task, text, (k + 1, len(texts))))
            parts.append(part.model_copy(update={"evidence": verbatim(text, part.evidence)}))
            usage, raws = usage + used, [*raws, raw]
        combining = combine_messages(task, parts)
        needed = sent_prompt_tokens(combining, schema, encoding)
        if needed > allowed:
            raise DocumentTooLong(
                f"{task.filename}: the answers of its {len(texts)} parts need {needed} prompt tokens to combine, the "
                f"model allows {allowed}",
                {"parts": len(texts), "tokens": needed, "allowed": allowed},
            )
        answer, used, model, raw = _call(client, task, combining)
    except (LLMError, DocumentTooLong) as exc:
        exc.usage = usage + exc.usage  # the parts answered before the failure were paid for
        raise
    notes = {"parts": len(texts), "part_outputs": raws}
    return AnalyzerReply(answer, usage + used, model, with_notes(raw, notes))


def _call(
    client: LLMClient, task: EvaluationTask, messages: list[ChatMessage]
) -> tuple[Evaluation, TokenUsage, str, str]:
    scoring = task.prompt.scoring
    out: Any
    out, usage, model, raw = client.complete_json(
        messages,
        evaluation_schema(scoring),
        SCHEMA_NAME,
        task.model.modelSelection,
        {SCORING: scoring},
        max_tokens=task.model.max_tokens,
        temperature=task.model.temperature,
    )
    score = out.score if isinstance(out, EvaluationOut) else None
    assert isinstance(out, EvaluationOut | UnscoredEvaluationOut)
    return Evaluation(response_text=out.response_text, score=score, evidence=out.evidence), usage, model, raw


def split(task: EvaluationTask, allowed: int, encoding: str) -> list[str]:
    """The document's text in consecutive parts whose evaluation prompt each fits `allowed` tokens, exactly."""
    schema = evaluation_schema(task.prompt.scoring)
    overhead = sent_prompt_tokens(evaluation_messages(task, "", (999, 999)), schema, encoding)
    room = allowed - overhead
    for _ in range(8):
        if room < MIN_PART_TOKENS:
            break
        parts = _pack(task.text, room, encoding)
        worst = max(
            sent_prompt_tokens(evaluation_messages(task, p, (i + 1, len(parts))), schema, encoding)
            for i, p in enumerate(parts)
        )
        if worst <= allowed:
            return parts
        room -= worst - allowed + 16  # the estimate was a little short: try again with less room
    raise DocumentTooLong(
        f"{task.filename} cannot be split to fit the model: {allowed} prompt tokens allowed, {overhead} taken by "
        "the prompt itself",
        {"allowed": allowed, "overhead": overhead},
    )


def _pack(text: str, room: int, encoding: str) -> list[str]:
    parts: list[str] = []
    current, used = "", 0
    for paragraph in (p.strip() for p in text.split("\n\n")):
        if not paragraph:
            continue
        tokens = count_tokens(paragraph, encoding)
        while tokens > room:  # a paragraph larger than a part: cut by tokens, losing nothing
            if current:
                parts.append(current)
                current, used = "", 0
            head = truncate_to_tokens(paragraph, room, encoding)
            parts.append(head)
            paragraph = paragraph[len(head) :].lstrip()
            tokens = count_tokens(paragraph, encoding)
        if current and used + 2 + tokens > room:
            parts.append(current)
            current, used = "", 0
        current = f"{current}\n\n{paragraph}" if current else paragraph
        used += tokens + (2 if used else 0)
    if current:
        parts.append(current)
    return parts or [text]
