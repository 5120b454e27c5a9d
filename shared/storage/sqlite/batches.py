"""Batches in the embedded store: the document beside the columns lists sort on. A row's `version` is its ETag:
`replace` succeeds only with the version it was read at."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from shared.batches.models import Batch
from shared.errors import ConflictError, NotFoundError
from shared.storage.base import Page, Versioned
from shared.storage.common import check_item_id, check_limit, decode_continuation, iso, keyset_page
from shared.storage.sqlite.database import SqliteStore, list_position


def _not_found(batch_id: str) -> NotFoundError:
    return NotFoundError(f"batch {batch_id!r} not found", details={"batch_id": batch_id})


def _doc(batch: Batch) -> tuple[str, str]:
    """(created_at, JSON), times fixed-width so that string order is time order."""
    doc = batch.model_dump(mode="json")
    doc.update(created_at=iso(batch.created_at), updated_at=iso(batch.updated_at))
    return doc["created_at"], json.dumps(doc)


class SqliteBatchRepository:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def create(self, batch: Batch) -> None:
        check_item_id("batch_id", batch.batch_id)
        created_at, doc = _doc(batch)
        try:
            with self._store.write() as conn:
                conn.execute(
                    "INSERT INTO batches (user_id, batch_id, status, created_at, version, doc)"
                    " VALUES (?, ?, ?, ?, 1, ?)",
                    (batch.user_id, batch.batch_id, batch.status.value, created_at, doc),
                )
        except sqlite3.IntegrityError as exc:
            raise ConflictError(
                f"batch {batch.batch_id!r} already exists", details={"batch_id": batch.batch_id}
            ) from exc

    def get(self, user_id: str, batch_id: str) -> Versioned[Batch]:
        row = (
            self._store.connection()
            .execute("SELECT doc, version FROM batches WHERE user_id = ? AND batch_id = ?", (user_id, batch_id))
            .fetchone()
        )
        if row is None:
            raise _not_found(batch_id)
        return Versioned(Batch.model_validate_json(row[0]), str(row[1]))

    def replace(self, batch: Batch, etag: str) -> str:
        created_at, doc = _doc(batch)
        with self._store.write() as conn:
            row = conn.execute(
                "SELECT version FROM batches WHERE user_id = ? AND batch_id = ?", (batch.user_id, batch.batch_id)
            ).fetchone()
            if row is None:
                raise _not_found(batch.batch_id)
            if str(row[0]) != etag:
                raise ConflictError(
                    f"batch {batch.batch_id!r} was changed by someone else (etag {etag!r} is stale)",
                    details={"batch_id": batch.batch_id, "etag": etag},
                )
            conn.execute(
                "UPDATE batches SET status = ?, created_at = ?, version = version + 1, doc = ?"
                " WHERE user_id = ? AND batch_id = ?",
                (batch.status.value, created_at, doc, batch.user_id, batch.batch_id),
            )
        return str(row[0] + 1)

    def list(self, user_id: str, *, limit: int = 50, continuation: str | None = None) -> Page[Batch]:
        check_limit(limit)
        after = decode_continuation(continuation)
        sql = "SELECT doc, created_at, batch_id FROM batches WHERE user_id = ?"
        values: list[Any] = [user_id]
        if after is not None:
            sql += " AND (created_at < ? OR (created_at = ? AND batch_id < ?))"
            values += [after.created_at, after.created_at, after.id]
        sql += " ORDER BY created_at DESC, batch_id DESC LIMIT ?"
        rows = self._store.connection().execute(sql, (*values, limit + 1)).fetchall()
        return keyset_page(rows, limit, lambda row: Batch.model_validate_json(row[0]), list_position)
