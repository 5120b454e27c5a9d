"""The one OpenAI / Azure OpenAI client of a process, with structured JSON output and our own bounded retries.

Why our own retry loop: the SDK's retries would run invisibly under ours and under Durable's activity retries.
With the SDK's `max_retries=0`, every wait (and the `retry-after-ms` / `retry-after` it honoured) goes through
one injected `sleep`, which tests assert on. Failures end as LLMTransientError (a later retry may help) or
LLMPermanentError (it cannot), which the job pipeline maps to a failed job.

With LLM_SCHEDULER=on (the default), every request first reserves its cost, exact prompt tokens + max_tokens,
against its deployment's budget in the store (shared/llm/admission.py), and a 429 slows that budget for every
worker instead of being retried at once; "off" sends at once and retries 429s with backoff, as before.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

import openai
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError

from shared.analysis.token_usage import TokenUsage
from shared.jobs.models import ModelSelection
from shared.llm.admission import Admission, Ticket
from shared.llm.attempts import AttemptReport
from shared.llm.chat_message import ChatMessage
from shared.llm.config import context_tokens_for, missing_llm_settings, model_for
from shared.llm.errors import LLMError, LLMNotConfigured, LLMOutputInvalid, LLMPermanentError, LLMTransientError
from shared.llm.framing import sent_prompt_tokens
from shared.llm.quota import QuotaScheduler
from shared.llm.replies import (
    content_of,
    corrective_messages,
    describe_validation,
    first_choice,
    server_message,
    usage_of,
)
from shared.llm.retry import BackoffPolicy, is_retryable_status, server_retry_after
from shared.llm.schema import strict_json_schema
from shared.llm.sdk import build_sdk_client
from shared.settings import Settings
from shared.text.tokens import encoding_for_model

if TYPE_CHECKING:
    from shared.storage.base import QuotaRepository

M = TypeVar("M", bound=BaseModel)

_MAX_RAW_IN_ERROR = 2_000


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
        quota: QuotaRepository | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`quota` is where deployments' budgets are kept (default: the process's store, on first use); `clock`
        is the scheduler's time (tests pass a fake one that their `sleep` advances)."""
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
        self._sdk = sdk_client or build_sdk_client(settings, azure_token_provider)
        self._quota = quota
        self._clock = clock
        self._scheduler: QuotaScheduler | None = None
        self._admission = Admission(settings, self.scheduler, sleep) if settings.llm_scheduler == "on" else None

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

    def scheduler(self) -> QuotaScheduler:
        """The quota scheduler over the store, built on first use (a client that never calls never opens it)."""
        if self._scheduler is None:
            if self._quota is None:
                from shared.storage.factory import get_repositories  # the process's store, as every component's

                self._quota = get_repositories().quota
            self._scheduler = QuotaScheduler(self._quota, clock=self._clock, sleep=self._sleep, rand=self._rand)
        return self._scheduler

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
    ) -> tuple[M, TokenUsage, str, str]:
        """One structured-output completion validated against `schema`: (output, usage, model, raw JSON).

        Output that is not valid JSON for the schema (or fails the model's own validators, which see `context`:
        what the task expects, e.g. the clauses a comparison listed) gets one corrective retry that shows the
        model its reply and the errors; a second failure raises LLMOutputInvalid. An answer cut off at
        `max_tokens` is asked again once with twice the room (up to LLM_MAX_OUTPUT_TOKENS, or the call's own
        larger figure, and what the context leaves). TokenUsage covers every completion made, including rejected ones;
        when the call fails (LLMError), the error's `usage` covers them: a completion is billed whether or not its
        output was used, a request that never got one (a 429 or 5xx after the retries) is not.
        `max_tokens` (default LLM_MAX_OUTPUT_TOKENS) and `temperature` (default: the model's) are the call's own.
        """
        model = self.model_name(model_selection)
        response_format = {
            "type": "json_schema",
            "json_schema": {"name": schema_name, "strict": True, "schema": _cached_schema(schema)},
        }
        encoding = encoding_for_model(model)
        conversation: list[ChatMessage] = list(messages)
        usage = TokenUsage()
        limit = max_tokens or self.max_output_tokens
        ceiling = max(limit, self.max_output_tokens)
        corrected = lengthened = False
        try:
            while True:
                prompt = sent_prompt_tokens(conversation, schema, encoding)
                completion = self._create(
                    model, conversation, response_format, limit, temperature, selection=model_selection, prompt=prompt
                )
                usage = usage + usage_of(completion, prompt, content_of(completion), model)  # billed, used or not
                raw, finish_reason = first_choice(completion, model)
                if finish_reason == "length":
                    more = min(limit * 2, ceiling, self.context_tokens(model_selection) - prompt)
                    if lengthened or more <= limit:
                        raise LLMOutputInvalid(
                            f"model {model!r} output for {schema_name!r} was cut off at {limit} output tokens"
                            f" (LLM_MAX_OUTPUT_TOKENS={self.max_output_tokens})",
                            details={"schema": schema_name, "max_tokens": limit, "raw": raw[:_MAX_RAW_IN_ERROR]},
                        )
                    limit, lengthened = more, True  # the same question with more room: a cut-off answer is unusable
                    continue
                try:
                    output = schema.model_validate_json(raw, context=context)
                except ValidationError as exc:
                    problems = describe_validation(exc)
                    if corrected:
                        raise LLMOutputInvalid(
                            f"model {model!r} returned invalid {schema_name!r} output twice: {problems}",
                            details={"schema": schema_name, "raw": raw[:_MAX_RAW_IN_ERROR]},
                        ) from exc
                    conversation, corrected = [*conversation, *corrective_messages(raw, problems)], True
                    continue
                return output, usage, completion.model or model, raw
        except LLMError as exc:
            exc.usage = usage  # what this call's completions cost before it failed
            raise

    def _create(
        self,
        model: str,
        messages: list[ChatMessage],
        response_format: dict[str, Any],
        max_tokens: int | None = None,
        temperature: float | None = None,
        *,
        selection: ModelSelection = "primary",
        prompt: int = 0,
    ) -> ChatCompletion:
        """One chat completion with our bounded retries on 408/409/429/5xx, timeouts and connection errors. With
        the scheduler on, each attempt first reserves `prompt` + max_tokens, and a 429 waits for the deployment's
        budget (QuotaWait for the first call of a step) instead of backing off on its own."""
        attempts = self._settings.llm_max_retries + 1
        limit = max_tokens or self._settings.llm_max_output_tokens
        ticket = self._admission.begin(selection) if self._admission is not None else None
        for attempt in range(attempts):
            headers: Mapping[str, str] | None = None
            waited = ticket.waited_s if ticket is not None else 0.0
            if ticket is not None:
                self._admit(ticket, prompt + limit)
            report = AttemptReport(model, selection, limit, attempt + 1, ticket, waited, prompt)
            try:
                extra: dict[str, Any] = {} if temperature is None else {"temperature": temperature}
                response = self._sdk.chat.completions.with_raw_response.create(
                    model=model,
                    messages=cast(Any, messages),
                    response_format=cast(Any, response_format),
                    max_completion_tokens=limit,
                    timeout=self._settings.llm_timeout_seconds,
                    **extra,
                )
                completion = response.parse()
                report.answered(completion)
                if ticket is not None and self._admission is not None:
                    self._admission.answered(ticket, response.headers)
                return completion
            except openai.APIStatusError as exc:
                report.refused("throttled" if exc.status_code == 429 else "failed", exc.status_code)
                message = server_message(exc)
                if not is_retryable_status(exc.status_code):
                    raise LLMPermanentError(
                        f"model {model!r} rejected the request: HTTP {exc.status_code}: {message}",
                        details={"status": exc.status_code, "code": exc.code, "model": model},
                    ) from exc
                last = f"HTTP {exc.status_code}: {message}"
                status: int | None = exc.status_code
                headers = exc.response.headers
                error: Exception = exc
                if status == 429 and ticket is not None and self._admission is not None:
                    # Slow the deployment for everyone; the first call of a step waits on a durable timer.
                    self._admission.throttled(ticket, prompt + limit, server_retry_after(headers), headers)
            except openai.APIConnectionError as exc:  # includes APITimeoutError
                report.refused("failed", None)
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
            if not (status == 429 and ticket is not None):  # a throttled call waits for its turn at its next admit
                self._sleep(self._backoff.delay(attempt, headers, self._rand))
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _admit(self, ticket: Ticket, tokens: int) -> None:
        assert self._admission is not None
        self._admission.admit(ticket, tokens)

    # --- the Batch API (shared/llm/batch_api.py) -----------------------------------------------------------

    @property
    def sdk(self) -> openai.OpenAI:
        """The SDK client itself, for the Batch API's files and batches (their own calls and error mapping)."""
        return self._sdk


@functools.lru_cache(maxsize=512)  # bounded: reply schemas are built per call (shared/llm/schema.py narrowed)
def _cached_schema(schema: type[BaseModel]) -> dict[str, Any]:
    return strict_json_schema(schema)
