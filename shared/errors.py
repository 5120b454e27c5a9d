"""Domain errors shared by storage, services and the API (the API maps them to HTTP status codes)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class DomainError(Exception):
    """Base of errors a caller can act on. `code` is the API error code."""

    code = "error"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFoundError(DomainError):
    """The object does not exist, or belongs to another user (the two are indistinguishable to callers)."""

    code = "not_found"


class ConflictError(DomainError):
    """The object is in a state that does not allow the operation (409), or an ETag race was lost."""

    code = "conflict"


class InvalidTransitionError(ConflictError):
    """A job status change that the lifecycle does not allow (e.g. completed -> processing)."""

    code = "invalid_transition"


class ValidationFailed(DomainError):
    """Input that is well-formed JSON but invalid (400/422)."""

    code = "invalid_request"


class InvalidContinuation(ValidationFailed):
    """A list's `continuation` that is not a token of that list (the API answers 400: it is a query parameter)."""

    code = "invalid_continuation"


class PayloadTooLarge(DomainError):
    code = "payload_too_large"


class LimitReached(DomainError):
    """The caller already holds as much of something as one user may at once (429, with Retry-After): what it
    holds ends by itself (a job finishes, a stream closes), so asking again later may work."""

    code = "limit_reached"

    def __init__(self, message: str, details: Any = None, *, retry_after: int = 10) -> None:
        super().__init__(message, details)
        self.retry_after = max(1, retry_after)


class ServiceUnavailable(DomainError):
    """Something the request needs is not there or not answering now (503); trying again later may work."""

    code = "service_unavailable"


# --- the one error shape of the HTTP API: {"error": {"code", "message", "details"}} ---------------


class ErrorInfo(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    error: ErrorInfo
