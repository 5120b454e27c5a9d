"""LLM failures, split by what the caller should do about them."""

from __future__ import annotations

from typing import Any

from shared.analysis.token_usage import TokenUsage
from shared.errors import DomainError


class LLMError(DomainError):
    """A model call failed. `retryable` says whether trying again later can help. `usage` is what the completions
    made before the failure cost (a reply that failed validation, its corrective retry): billed all the same, so
    whoever counts usage counts it (LLMClient.complete_json sets it)."""

    code = "llm_error"
    retryable = False

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message, details)
        self.usage = TokenUsage()


class LLMTransientError(LLMError):
    """429/408/5xx/timeouts that outlasted the client's own bounded retries: a later retry may succeed."""

    code = "llm_unavailable"
    retryable = True


class LLMPermanentError(LLMError):
    """Other 4xx (bad request, auth, content filter, unknown deployment): retrying cannot help."""

    code = "llm_rejected"


class LLMOutputInvalid(LLMError):
    """The model's output failed validation twice (one retry is allowed)."""

    code = "llm_invalid_output"


class LLMNotConfigured(LLMError):
    """LLM_PROVIDER names a provider whose settings are missing."""

    code = "llm_not_configured"
