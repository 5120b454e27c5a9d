"""Turning pydantic's validation errors into the API's: one ValidationFailed (422) whose details list each field
and its problem, without echoing the input (it may be a document)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shared.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)


def validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    """Field paths and messages a client can show next to its form fields (no echo of the input value)."""
    details: list[dict[str, Any]] = []
    for err in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in err["loc"]) or "(body)"
        details.append({"field": field, "message": err["msg"], "type": err["type"]})
    return details


def parse_model(model: type[M], data: Any, context: dict[str, Any] | None = None) -> M:
    """`data` as a `model`, or ValidationFailed naming the first field in its message and every field in details.
    `context` reaches the model's validators (e.g. shared/batches/patterns.py's COMPILE_PATTERNS)."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        details = validation_details(exc)
        first = details[0] if details else {"field": "(body)", "message": "invalid"}
        summary = f"invalid request: {first['field']}: {first['message']}"
        if len(details) > 1:
            summary += f" (and {len(details) - 1} more)"
        raise ValidationFailed(summary, details) from exc
