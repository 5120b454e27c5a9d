"""How a step's failure is classified and described, by the exception's class, never by its text.

A step activity turns what it knows into its outcome (shared/jobs/messages.py): a failure retrying cannot fix is
an `error` (the job fails at once), a model that is overloaded or unreachable is a `retry` (the orchestrator tries
again after a durable timer), a model call waiting for its turn at the quota is a `wait` (a durable timer too, no
attempt counted). Anything else is raised: Durable's retry policy runs the activity again, and if it
keeps failing the job fails with the exception's message.
"""

from __future__ import annotations

from shared.contracts.analysis import ContractsMissing
from shared.errors import ConflictError, DomainError, NotFoundError, ValidationFailed
from shared.jobs.messages import Outcome, StepError
from shared.llm.calls import QuotaWait
from shared.llm.errors import LLMNotConfigured, LLMOutputInvalid, LLMPermanentError, LLMTransientError


class ResultInvalid(DomainError):
    """Model output that passed schema validation but does not fit the job (e.g. a finding for another contract)."""

    code = "result_invalid"


# Failures a later retry cannot fix.
PERMANENT_ERRORS: tuple[type[Exception], ...] = (
    ConflictError,  # the object is in a state that does not allow the step (a batch someone else started)
    LLMPermanentError,
    LLMOutputInvalid,
    LLMNotConfigured,
    NotFoundError,
    ValidationFailed,
    ResultInvalid,
)
# Failures a later retry may fix, after a wait that holds no worker.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (LLMTransientError,)

_PREFIXES: tuple[tuple[type[Exception], str], ...] = (
    (LLMPermanentError, "LLM rejected the request"),
    (LLMOutputInvalid, "LLM returned invalid output"),
    (LLMNotConfigured, "LLM is not configured"),
    (LLMTransientError, "LLM unavailable"),
    (ContractsMissing, "Contract deleted"),
    (NotFoundError, "Not found"),
)

MAX_MESSAGE_CHARS = 1_000  # error_details live in the job document and in history: keep them short


def describe(step: str, exc: BaseException) -> StepError:
    """error_details for a failed step: "LLM rejected the request: (400) ...", with the error type."""
    message = str(exc) or exc.__class__.__name__
    for kind, prefix in _PREFIXES:
        if isinstance(exc, kind):
            if not message.lower().startswith(prefix.lower()):
                message = f"{prefix}: {message}"
            break
    code = exc.code if isinstance(exc, DomainError) else "step_failed"
    return StepError(step=step, message=shorten(message), type=code)


def outcome_of_failure(step: str, exc: Exception) -> Outcome | None:
    """The outcome a step returns for `exc`, or None when it must be raised (unclassified: Durable retries it).
    A QuotaWait is no failure: the step waits for its turn at the model's quota (`wait`)."""
    if isinstance(exc, QuotaWait):
        reason = StepError(step=step, message=shorten(exc.message), type=exc.code)
        return Outcome(status="wait", error=reason, retry_after_ms=exc.retry_after_ms)
    if isinstance(exc, PERMANENT_ERRORS):
        return Outcome(status="error", error=describe(step, exc))
    if isinstance(exc, TRANSIENT_ERRORS):
        hint = (
            exc.details.get("retry_after_ms")
            if isinstance(exc, DomainError) and isinstance(exc.details, dict)
            else None
        )
        return Outcome(
            status="retry", error=describe(step, exc), retry_after_ms=hint if isinstance(hint, int) else None
        )
    return None


def shorten(message: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"
