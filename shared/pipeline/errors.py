"""Pipeline errors, and how a step failure is described in a job's error_details."""

from __future__ import annotations

from collections.abc import Sequence

from shared.errors import DomainError, NotFoundError, ValidationFailed
from shared.llm.errors import LLMNotConfigured, LLMOutputInvalid, LLMPermanentError, LLMTransientError
from shared.pipeline.messages import StepError


class ContractsMissing(NotFoundError):
    """Contracts the job runs over no longer exist (deleted after the job was submitted)."""

    code = "contracts_missing"

    def __init__(self, contract_ids: Sequence[str]) -> None:
        ids = ", ".join(contract_ids)
        super().__init__(
            f"contracts no longer exist (deleted after the job was submitted): {ids}", {"missing": list(contract_ids)}
        )
        self.contract_ids = list(contract_ids)


class ResultInvalid(DomainError):
    """Model output that passed schema validation but does not fit the job (e.g. a finding for another contract)."""

    code = "result_invalid"


# Failures a later retry cannot fix: the step returns them as an error summary instead of raising, so Durable
# does not retry them and the orchestrator fails the job at once with a clear message.
PERMANENT_ERRORS: tuple[type[Exception], ...] = (
    LLMPermanentError,
    LLMOutputInvalid,
    LLMNotConfigured,
    NotFoundError,
    ValidationFailed,
    ResultInvalid,
)

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
    code = exc.code if isinstance(exc, DomainError) else exc.__class__.__name__
    return StepError(step=step, message=_shorten(message), type=code)


def _shorten(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE_CHARS else message[: MAX_MESSAGE_CHARS - 1] + "…"
