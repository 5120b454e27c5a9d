"""Reading a chat completion: its first choice, its usage (counted ourselves when a server omits it), the
server's error message, and the corrective turn for output that failed validation."""

from __future__ import annotations

from collections.abc import Mapping

import openai
from openai.types.chat import ChatCompletion
from pydantic import ValidationError

from shared.analysis.token_usage import TokenUsage
from shared.llm.chat_message import ChatMessage
from shared.llm.delimiters import neutralise
from shared.llm.errors import LLMOutputInvalid, LLMPermanentError
from shared.text.tokens import count_tokens, encoding_for_model


def first_choice(completion: ChatCompletion, model: str) -> tuple[str, str | None]:
    if not completion.choices:
        raise LLMOutputInvalid(f"model {model!r} returned no choices", details={"id": completion.id})
    choice = completion.choices[0]
    if choice.message.refusal:
        raise LLMPermanentError(f"model {model!r} refused: {choice.message.refusal}", details={"model": model})
    if choice.finish_reason == "content_filter":
        raise LLMPermanentError(f"model {model!r} output was blocked by the content filter", details={"model": model})
    return choice.message.content or "", choice.finish_reason


def content_of(completion: ChatCompletion) -> str:
    """The first choice's text, whatever else is wrong with the completion ("" when it has none)."""
    return (completion.choices[0].message.content or "") if completion.choices else ""


def usage_of(completion: ChatCompletion, prompt: int, raw: str, model: str) -> TokenUsage:
    """The completion's usage as the server reports it; `prompt` is our exact count of what was sent (messages,
    chat framing, response schema: shared/llm/framing.py), for servers that report none."""
    if completion.usage is not None:
        return TokenUsage(
            prompt_tokens=completion.usage.prompt_tokens,
            completion_tokens=completion.usage.completion_tokens,
            total_tokens=completion.usage.total_tokens,
            llm_calls=1,
        )
    # Some OpenAI-compatible servers omit usage: count it ourselves, offline and exactly for the text sent.
    produced = count_tokens(raw, encoding_for_model(completion.model or model))
    return TokenUsage(prompt_tokens=prompt, completion_tokens=produced, total_tokens=prompt + produced, llm_calls=1)


def server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, Mapping):
        message = body.get("message")
        if isinstance(message, str) and message:
            return message
    if isinstance(body, str) and body:
        return body[:500]
    return exc.message


def describe_validation(exc: ValidationError, limit: int = 10) -> str:
    parts = []
    for error in exc.errors()[:limit]:
        where = ".".join(str(p) for p in error["loc"]) or "(root)"
        parts.append(f"{where}: {error['msg']}")
    more = exc.error_count() - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def corrective_messages(raw: str, problems: str) -> list[ChatMessage]:
    """The rejected reply and what was wrong with it. `problems` can quote titles from the contracts (a clause the
    reply skipped): neutralised like any other untrusted text."""
    return [
        {"role": "assistant", "content": raw},
        {
            "role": "user",
            "content": (
                "Your previous reply was rejected because it is not valid for the required JSON schema: "
                f"{neutralise(problems)}. Reply again with only one JSON object that follows the schema exactly."
            ),
        },
    ]
