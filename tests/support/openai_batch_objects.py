"""What the Batch API fake (tests/support/openai_batches.py) keeps and sends: its calls, its batches as the
service shows them, the service's checks of an input file's lines, and its error bodies."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from starlette.responses import JSONResponse

OPENAI_ENDPOINT = "/v1/chat/completions"
AZURE_ENDPOINT = "/chat/completions"


@dataclass
class BatchCall:
    method: str
    path: str
    query: dict[str, str]
    body: dict[str, Any]  # JSON body; an upload: purpose, filename, lines
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names (keyless tests read Authorization)


@dataclass
class FakeBatch:
    id: str
    input_file_id: str
    endpoint: str
    lines: list[dict[str, Any]]
    created: float
    status: str = "validating"
    answered: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] | None = None
    cancel_asked: float | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    stamps: dict[str, int] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        done = len(self.answered) + len(self.failed)
        return {
            "id": self.id,
            "object": "batch",
            "endpoint": self.endpoint,
            "errors": {"object": "list", "data": self.errors} if self.errors else None,
            "input_file_id": self.input_file_id,
            "completion_window": "24h",
            "status": self.status,
            "output_file_id": self.output_file_id,
            "error_file_id": self.error_file_id,
            "created_at": int(self.created),
            "expires_at": int(self.created) + 86_400,
            **{f"{name}_at": at for name, at in self.stamps.items()},
            "request_counts": {"total": len(self.lines), "completed": len(self.answered), "failed": len(self.failed)}
            if done or self.status != "validating"
            else {"total": 0, "completed": 0, "failed": 0},
            "metadata": None,
        }


def check_lines(lines: list[dict[str, Any]], endpoint: str) -> list[dict[str, Any]] | None:
    errors, seen = [], set()
    for number, line in enumerate(lines, start=1):
        custom_id = line.get("custom_id")
        problem = None
        if not isinstance(custom_id, str) or not custom_id or custom_id in seen:
            problem = f"custom_id must be a unique string, got {custom_id!r}"
        elif line.get("method") != "POST" or line.get("url") != endpoint:
            problem = f"method must be POST and url {endpoint!r}, got {line.get('method')!r} {line.get('url')!r}"
        elif not isinstance(line.get("body"), dict) or not line["body"].get("model"):
            problem = "body must name a model"
        seen.add(custom_id)
        if problem:
            errors.append({"code": "invalid_request", "message": problem, "line": number, "param": None})
    return errors or None


def file_json(file_id: str, filename: str, purpose: str, size: int) -> dict[str, Any]:
    return {"id": file_id, "object": "file", "bytes": size, "created_at": int(time.time()), "filename": filename,
            "purpose": purpose, "status": "processed", "status_details": None}  # fmt: skip


def error(status: int, message: str, code: str | None = None) -> JSONResponse:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}}
    return JSONResponse(body, status_code=status)


def multipart_fields(content_type: str, raw: bytes) -> dict[str, tuple[str | None, bytes]]:
    """A multipart/form-data body's fields: name -> (filename, bytes)."""
    header = f"Content-Type: {content_type}\r\n\r\n".encode()
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in BytesParser(policy=HTTP).parsebytes(header + raw).iter_parts():
        payload = part.get_payload(decode=True)
        fields[str(part.get_param("name", header="content-disposition"))] = (
            part.get_filename(),
            payload if isinstance(payload, bytes) else b"",
        )
    return fields
