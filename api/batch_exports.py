"""A batch's records as CSV or JSON Lines, streamed: one page of records read at a time as the client takes them,
so an export of any size holds one page in memory, never the batch.

One row per record: document, folder, prompt, status, score, response, evidence, error (then document_id and
record_id, to join with the API), then the same in words: `outcome` ("answered", "failed", "queued" for the seed's
S / F / QUEUED) and, for a pass/fail prompt, `verdict` ("pass" / "fail" for its score 1 / 0; empty for other
scorings, whose score speaks for itself).

CSV is written by the csv module (RFC 4180 quoting, CRLF), UTF-8 with a byte order mark so that spreadsheet programs
read it as UTF-8; evidence quotes are joined by line breaks inside their cell. A text cell that a spreadsheet would
run as a formula (it starts with = + - @ or a tab/CR) gets a leading apostrophe: the CSV is for people, the JSON
Lines export keeps every value exactly.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import AsyncIterator, Iterable
from typing import Any, Literal

from azurefunctions.extensions.http.fastapi import StreamingResponse
from pydantic import BaseModel

from api.http import blocking
from shared.batches.models import Batch, PassFail, RecordStatus, ResponseRecord
from shared.storage.base import RecordRepository

log = logging.getLogger(__name__)

PAGE_SIZE = 500
EVIDENCE_SEPARATOR = "\n"
BOM = "\ufeff"
CSV_TYPE = "text/csv; charset=utf-8; header=present"
JSONL_TYPE = "application/x-ndjson; charset=utf-8"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME_CHARS = 60


async def record_pages(records: RecordRepository, user_id: str, batch_id: str) -> AsyncIterator[list[ResponseRecord]]:
    """The batch's records page by page (record order: document, then prompt), each read when the last is sent."""
    continuation: str | None = None
    while True:
        page = await blocking(records.query, user_id, batch_id, limit=PAGE_SIZE, continuation=continuation)
        if page.items:
            yield page.items
        if not page.continuation:
            return
        continuation = page.continuation


class ExportRow(BaseModel):
    """One record in an export: a line of the JSON Lines export (which keeps types: score a number, evidence a
    list), a row of the CSV one (columns in this order)."""

    document: str
    folder: str
    prompt: str
    status: RecordStatus
    score: float | None
    response: str | None
    evidence: list[str]
    error: str | None
    document_id: str
    record_id: str
    outcome: Literal["answered", "failed", "queued"]
    verdict: Literal["pass", "fail"] | None


OUTCOMES: dict[RecordStatus, Literal["answered", "failed", "queued"]] = {
    RecordStatus.S: "answered",
    RecordStatus.F: "failed",
    RecordStatus.QUEUED: "queued",
}


def pass_fail_prompts(batch: Batch) -> frozenset[int]:
    """The indexes of the prompts scored pass/fail (the snapshot's: what the records were evaluated against)."""
    config = batch.snapshot or batch.config
    return frozenset(i for i, p in enumerate(config.prompts) if isinstance(p.scoring, PassFail))


def row(record: ResponseRecord, pass_fail: frozenset[int] = frozenset()) -> dict[str, Any]:
    """The export's fields of one record, as JSON values (`pass_fail`: the prompts whose score is a verdict)."""
    verdict: Literal["pass", "fail"] | None = None
    if record.prompt_index in pass_fail and record.status is RecordStatus.S and record.score is not None:
        verdict = "pass" if record.score >= 1 else "fail"
    return ExportRow(
        document=record.filename,
        folder=record.folder,
        prompt=record.prompt_name,
        status=record.status,
        score=record.score,
        response=record.response_text,
        evidence=record.evidence,
        error=record.error,
        document_id=record.document_id,
        record_id=record.record_id,
        outcome=OUTCOMES[record.status],
        verdict=verdict,
    ).model_dump(mode="json")


COLUMNS = tuple(ExportRow.model_fields)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        value = EVIDENCE_SEPARATOR.join(str(v) for v in value)
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def csv_rows(records: Iterable[ResponseRecord], pass_fail: frozenset[int] = frozenset()) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # QUOTE_MINIMAL: quotes, commas and line breaks inside a cell are quoted
    for record in records:
        fields = row(record, pass_fail)
        writer.writerow(_cell(fields[column]) for column in COLUMNS)
    return buffer.getvalue()


def csv_header() -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(COLUMNS)
    return BOM + buffer.getvalue()


async def _csv(pages: AsyncIterator[list[ResponseRecord]], pass_fail: frozenset[int]) -> AsyncIterator[bytes]:
    yield csv_header().encode("utf-8")
    async for page in pages:
        yield csv_rows(page, pass_fail).encode("utf-8")


async def _jsonl(pages: AsyncIterator[list[ResponseRecord]], pass_fail: frozenset[int]) -> AsyncIterator[bytes]:
    async for page in pages:
        lines = (json.dumps(row(record, pass_fail), ensure_ascii=False) + "\n" for record in page)
        yield "".join(lines).encode("utf-8")


async def _logged(batch_id: str, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    # The status line has gone out: a failure now can only cut the body short, which the client sees as an
    # incomplete transfer (no final chunk). Say why in the log.
    try:
        async for chunk in chunks:
            yield chunk
    except Exception:
        log.exception("export of batch %s stopped part way", batch_id)
        raise


def filename(batch: Batch, extension: str) -> str:
    """`<name>-<batch_id>.<ext>`, letters, digits, . _ - only: safe in a header and on any file system."""
    name = _UNSAFE_NAME.sub("-", batch.name).strip("-._")[:MAX_NAME_CHARS].rstrip("-._") or "batch"
    batch_id = _UNSAFE_NAME.sub("-", batch.batch_id)
    return f"{name}-{batch_id}.{extension}"


def export_response(records: RecordRepository, batch: Batch, kind: str) -> StreamingResponse:
    pages = record_pages(records, batch.user_id, batch.batch_id)
    verdicts = pass_fail_prompts(batch)
    body, media_type = (_csv(pages, verdicts), CSV_TYPE) if kind == "csv" else (_jsonl(pages, verdicts), JSONL_TYPE)
    headers = {
        "Content-Disposition": f'attachment; filename="{filename(batch, kind)}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return StreamingResponse(_logged(batch.batch_id, body), media_type=media_type, headers=headers)
