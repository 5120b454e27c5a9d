"""The one OpenAI / Azure OpenAI client of a process, with structured JSON output and our own bounded retries.

Why our own retry loop: the SDK's retries would run invisibly under ours and under Durable's activity retries.
With the SDK's `max_retries=0`, every wait (and the `retry-after-ms` / `retry-after` it honoured) goes through
one injected `sleep`, which tests assert on. Failures end as LLMTransientError (a later retry may help) or
LLMPermanentError (it cannot), which the job pipeline maps to a failed job.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypedDict, TypeVar, cast

import openai
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError

from shared.analysis.usage import Usage
from shared.jobs.models import ModelSelection
from shared.llm.config import context_tokens_for, missing_llm_settings, model_for
from shared.llm.errors import LLMNotConfigured, LLMOutputInvalid, LLMPermanentError, LLMTransientError
from shared.llm.retry import BackoffPolicy, is_retryable_status, server_retry_after
from shared.llm.schema import strict_json_schema
from shared.settings import Settings
from shared.text.tokens import count_tokens, encoding_for_model

M = TypeVar("M", bound=BaseModel)

AZURE_TOKEN_SCOPE = "https://cognitiveservices.azure.com/.default"

# Chat formatting overhead when we must count a prompt ourselves (OpenAI's published accounting for gpt-4o-era
# chat models): each message costs its content plus ~3 framing tokens, and the reply is primed with 3 more.
_TOKENS_PER_MESSAGE = 3
_TOKENS_REPLY_PRIMING = 3

_MAX_RAW_IN_ERROR = 2_000


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


class LLMClient:
    """Wraps `openai.OpenAI` or `openai.AzureOpenAI`; create once per process and share it."""

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
        backoff: BackoffPolicy | None = None,
        sdk_client: openai.OpenAI | None = None,
        azure_token_provider: Callable[[], str] | None = None,
    ) -> None:
        if settings.llm_provider == "offline":
            raise LLMNotConfigured("LLMClient needs LLM_PROVIDER=openai or azure_openai, got 'offline'")
        missing = missing_llm_settings(settings)
        if missing:
            raise LLMNotConfigured(
                f"LLM_PROVIDER={settings.llm_provider} is missing settings: {', '.join(missing)}",
                details={"provider": settings.llm_provider, "missing": missing},
            )
        self.provider: str = settings.llm_provider
        self._settings = settings
        self._sleep = sleep
        self._rand = rand
        self._backoff = backoff or BackoffPolicy()
        self._sdk = sdk_client or _build_sdk_client(settings, azure_token_provider)

    # --- configuration -------------------------------------------------------------------------------------

    def model_name(self, selection: ModelSelection) -> str:
        return model_for(self._settings, selection)

    def context_tokens(self, selection: ModelSelection) -> int:
        return context_tokens_for(self._settings, selection)

    @property
    def max_output_tokens(self) -> int:
        return self._settings.llm_max_output_tokens

    def close(self) -> None:
        self._sdk.close()

    # --- calls ---------------------------------------------------------------------------------------------

    def complete_json(
        self,
        messages: Sequence[ChatMessage],
        schema: type[M],
        schema_name: str,
        model_selection: ModelSelection,
        context: Mapping[str, Any] | None = None,
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> tuple[M, Usage, str, str]:
        """One structured-output completion validated against `schema`: (output, usage, model, raw JSON).

        Output that is not valid JSON for the schema (or fails the model's own validators, which see `context`:
        what the task expects, e.g. the clauses a comparison listed) gets one corrective retry that shows the
        model its reply and the errors; a second failure raises LLMOutputInvalid.
        Usage covers every completion made, including the rejected one. `max_tokens` (default
        LLM_MAX_OUTPUT_TOKENS) and `temperature` (default: the model's) are the call's own.
        """
        model = self.model_name(model_selection)
        response_format = {
            "type": "json_schema",
            "json_schema": {"name": schema_name, "strict": True, "schema": _cached_schema(schema)},
        }
        conversation: list[ChatMessage] = list(messages)
        usage = Usage()
        for validation_attempt in range(2):
            completion = self._create(model, conversation, response_format, max_tokens, temperature)
            raw, finish_reason = _first_choice(completion, model)
            usage = usage + _usage(completion, conversation, raw, model)
            if finish_reason == "length":
                # A truncated object would be truncated again on retry: fail with the cause instead.
                raise LLMOutputInvalid(
                    f"model {model!r} output for {schema_name!r} was cut off at {max_tokens or self.max_output_tokens}"
                    " output tokens",
                    details={"schema": schema_name, "raw": raw[:_MAX_RAW_IN_ERROR]},
                )
            try:
                output = schema.model_validate_json(raw, context=context)
            except ValidationError as exc:
                problems = _describe_validation(exc)
                if validation_attempt == 1:
                    raise LLMOutputInvalid(
                        f"model {model!r} returned invalid {schema_name!r} output twice: {problems}",
                        details={"schema": schema_name, "raw": raw[:_MAX_RAW_IN_ERROR]},
                    ) from exc
                conversation = [*conversation, *_corrective_messages(raw, problems)]
                continue
            return output, usage, completion.model or model, raw
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _create(
        self,
        model: str,
        messages: list[ChatMessage],
        response_format: dict[str, Any],
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> ChatCompletion:
        """One chat completion with our bounded retries on 408/409/429/5xx, timeouts and connection errors."""
        attempts = self._settings.llm_max_retries + 1
        for attempt in range(attempts):
            headers: Mapping[str, str] | None = None
            try:
                extra: dict[str, Any] = {} if temperature is None else {"temperature": temperature}
                return self._sdk.chat.completions.create(
                    model=model,
                    messages=cast(Any, messages),
                    response_format=cast(Any, response_format),
                    max_completion_tokens=max_tokens or self._settings.llm_max_output_tokens,
                    timeout=self._settings.llm_timeout_seconds,
                    **extra,
                )
            except openai.APIStatusError as exc:
                message = _server_message(exc)
                if not is_retryable_status(exc.status_code):
                    raise LLMPermanentError(
                        f"model {model!r} rejected the request: HTTP {exc.status_code}: {message}",
                        details={"status": exc.status_code, "code": exc.code, "model": model},
                    ) from exc
                last = f"HTTP {exc.status_code}: {message}"
                status: int | None = exc.status_code
                headers = exc.response.headers
                error: Exception = exc
            except openai.APIConnectionError as exc:  # includes APITimeoutError
                last = f"{type(exc).__name__}: {exc.message}"
                status = None
                error = exc
            if attempt + 1 == attempts:
                hinted = server_retry_after(headers) if headers is not None else None
                raise LLMTransientError(
                    f"model {model!r} still failing after {attempts} attempts: {last}",
                    details={
                        "status": status,
                        "attempts": attempts,
                        "model": model,
                        # The server's own "come back in": the orchestrator waits at least this long.
                        "retry_after_ms": None if hinted is None else int(hinted * 1000),
                    },
                ) from error
            self._sleep(self._backoff.delay(attempt, headers, self._rand))
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    # --- the Batch API (shared/llm/batch_api.py) -----------------------------------------------------------

    @property
    def sdk(self) -> openai.OpenAI:
        """The SDK client itself, for the Batch API's files and batches (their own calls and error mapping)."""
        return self._sdk


def _build_sdk_client(settings: Settings, azure_token_provider: Callable[[], str] | None) -> openai.OpenAI:
    common: dict[str, Any] = {"max_retries": 0, "timeout": settings.llm_timeout_seconds}
    if settings.llm_provider == "azure_openai":
        if settings.azure_openai_api_key:
            return openai.AzureOpenAI(
                azure_endpoint=settings.azure_openai_endpoint or "",
                api_version=settings.azure_openai_api_version,
                api_key=settings.azure_openai_api_key,
                **common,
            )
        return openai.AzureOpenAI(
            azure_endpoint=settings.azure_openai_endpoint or "",
            api_version=settings.azure_openai_api_version,
            azure_ad_token_provider=azure_token_provider or _managed_identity_token_provider(),
            **common,
        )
    return openai.OpenAI(api_key=settings.openai_api_key, base_url=settings.openai_base_url, **common)


def _managed_identity_token_provider() -> Callable[[], str]:
    # Imported lazily: azure-identity is heavy and key-based setups never need it.
    from azure.identity import DefaultAzureCredential, get_bearer_token_provider

    return get_bearer_token_provider(DefaultAzureCredential(), AZURE_TOKEN_SCOPE)


@functools.cache
def _cached_schema(schema: type[BaseModel]) -> dict[str, Any]:
    return strict_json_schema(schema)


def _first_choice(completion: ChatCompletion, model: str) -> tuple[str, str | None]:
    if not completion.choices:
        raise LLMOutputInvalid(f"model {model!r} returned no choices", details={"id": completion.id})
    choice = completion.choices[0]
    if choice.message.refusal:
        raise LLMPermanentError(f"model {model!r} refused: {choice.message.refusal}", details={"model": model})
    if choice.finish_reason == "content_filter":
        raise LLMPermanentError(f"model {model!r} output was blocked by the content filter", details={"model": model})
    return choice.message.content or "", choice.finish_reason


def _usage(completion: ChatCompletion, messages: Sequence[ChatMessage], raw: str, model: str) -> Usage:
    if completion.usage is not None:
        return Usage(
            prompt_tokens=completion.usage.prompt_tokens,
            completion_tokens=completion.usage.completion_tokens,
            total_tokens=completion.usage.total_tokens,
            llm_calls=1,
        )
    # Some OpenAI-compatible servers omit usage: count it ourselves, offline and exactly for the text sent.
    encoding = encoding_for_model(completion.model or model)
    prompt = sum(count_tokens(m["content"], encoding) + _TOKENS_PER_MESSAGE for m in messages) + _TOKENS_REPLY_PRIMING
    produced = count_tokens(raw, encoding)
    return Usage(prompt_tokens=prompt, completion_tokens=produced, total_tokens=prompt + produced, llm_calls=1)


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, Mapping):
        message = body.get("message")
        if isinstance(message, str) and message:
            return message
    if isinstance(body, str) and body:
        return body[:500]
    return exc.message


def _describe_validation(exc: ValidationError, limit: int = 10) -> str:
    parts = []
    for error in exc.errors()[:limit]:
        where = ".".join(str(p) for p in error["loc"]) or "(root)"
        parts.append(f"{where}: {error['msg']}")
    more = exc.error_count() - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _corrective_messages(raw: str, problems: str) -> list[ChatMessage]:
    return [
        {"role": "assistant", "content": raw},
        {
            "role": "user",
            "content": (
                "Your previous reply was rejected because it is not valid for the required JSON schema: "
                f"{problems}. Reply again with only one JSON object that follows the schema exactly."
            ),
        },
    ]
