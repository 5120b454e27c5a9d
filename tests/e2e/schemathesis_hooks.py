"""Schemathesis hooks for tests/e2e/test_schemathesis.py (loaded by the CLI through SCHEMATHESIS_HOOKS).

- `error_shape`: every error our functions answer is `{"error": {"code", "message", "details"}}` as JSON.
- `before_load_schema`: the seeded objects' ids (and bodies that use them) become the operations' explicit
  examples, so the examples phase reaches real contracts, documents, batches, jobs and results, not only 404s.
  The test writes them to the JSON file named by SCHEMATHESIS_SEEDS: {operationId: {"parameters": {name: value},
  "body": value}}.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import schemathesis

SEEDS_SETTING = "SCHEMATHESIS_SEEDS"
NOT_ERROR_SHAPED = {"jobs_health"}  # its 503 is the health report itself
ERROR_KEYS = {"code", "message", "details"}


def error_shape_problem(operation_id: str | None, status: int, content_type: str, text: str) -> str | None:
    """Why a response breaks the error shape, or None (responses under 400 always pass)."""
    if status < 400 or operation_id in NOT_ERROR_SHAPED:
        return None
    if not content_type.startswith("application/json"):
        return f"{status} is not JSON but {content_type or 'untyped'}: {text[:200]!r}"
    try:
        body = json.loads(text)
    except ValueError:
        return f"{status} body is not JSON: {text[:200]!r}"
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(body, dict) or set(body) != {"error"} or not isinstance(error, dict) or set(error) != ERROR_KEYS:
        return f'{status} body is not {{"error": {{"code", "message", "details"}}}}: {text[:300]}'
    if not isinstance(error["code"], str) or not error["code"] or not isinstance(error["message"], str):
        return f"{status} error code or message is not a non-empty string: {text[:300]}"
    return None


@schemathesis.check
def error_shape(ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case) -> None:
    if case.method.upper() != case.operation.method.upper():
        return  # a probe with another method (unsupported_method): the host answers 405, not our function
    if response.status_code < 400:
        return  # a success may be a file (a Word report): its bytes are not text
    content_type = response.headers.get("content-type", [""])[0]
    operation_id = case.operation.definition.raw.get("operationId")
    text = response.content.decode("utf-8", errors="replace")
    problem = error_shape_problem(operation_id, response.status_code, content_type, text)
    if problem is not None:
        raise AssertionError(problem)


def add_examples(raw_schema: dict[str, Any], seeds: dict[str, dict[str, Any]]) -> None:
    for methods in raw_schema.get("paths", {}).values():
        for operation in methods.values():
            seed = seeds.get(operation.get("operationId", ""))
            if not seed:
                continue
            for parameter in operation.get("parameters", []):
                if parameter["name"] in seed.get("parameters", {}):
                    parameter["example"] = seed["parameters"][parameter["name"]]
            if "body" in seed:
                operation["requestBody"]["content"]["application/json"]["example"] = seed["body"]


@schemathesis.hook
def before_load_schema(context: schemathesis.HookContext, raw_schema: dict[str, Any]) -> None:
    path = os.environ.get(SEEDS_SETTING)
    if path:
        add_examples(raw_schema, json.loads(Path(path).read_text()))
