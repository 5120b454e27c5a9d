"""Response records in the embedded store: the document beside the batch, status and record id that queries
filter and sort on. A row's `version` is its ETag; every write, `upsert_many` included, moves it on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.batches.models import RecordStatus, ResponseRecord
from shared.errors import ConflictError, NotFoundError
from shared.storage.base import Page, Versioned
from shared.storage.common import check_item_id, check_limit, decode_keys, keyset_page
from shared.storage.sqlite.database import SqliteStore

_UPSERT = (
    "INSERT INTO batch_records (user_id, record_id, batch_id, status, version, doc) VALUES (?, ?, ?, ?, 1, ?)"
    " ON CONFLICT (user_id, record_id) DO UPDATE SET batch_id = excluded.batch_id, status = excluded.status,"
    " version = version + 1, doc = excluded.doc"
)


def _not_found(record_id: str) -> NotFoundError:
    return NotFoundError(f"record {record_id!r} not found", details={"record_id": record_id})


def _row(record: ResponseRecord) -> tuple[str, str, str, str, str]:
    return record.user_id, record.record_id, record.batch_id, record.status.value, record.model_dump_json()


class SqliteRecordRepository:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def upsert_many(self, records: Sequence[ResponseRecord]) -> None:
        for record in records:  # all valid, or nothing is written
            check_item_id("record_id", record.record_id)
        rows = [_row(record) for record in records]
        with self._store.write() as conn:  # one transaction: one fsync for ten thousand rows
            conn.executemany(_UPSERT, rows)

    def get(self, user_id: str, record_id: str) -> Versioned[ResponseRecord]:
        row = (
            self._store.connection()
            .execute("SELECT doc, version FROM batch_records WHERE user_id = ? AND record_id = ?", (user_id, record_id))
            .fetchone()
        )
        if row is None:
            raise _not_found(record_id)
        return Versioned(ResponseRecord.model_validate_json(row[0]), str(row[1]))

    def replace(self, record: ResponseRecord, etag: str) -> str:
        with self._store.write() as conn:
            row = conn.execute(
                "SELECT version FROM batch_records WHERE user_id = ? AND record_id = ?",
                (record.user_id, record.record_id),
            ).fetchone()
            if row is None:
                raise _not_found(record.record_id)
            if str(row[0]) != etag:
                raise ConflictError(
                    f"record {record.record_id!r} was changed by someone else (etag {etag!r} is stale)",
                    details={"record_id": record.record_id, "etag": etag},
                )
            conn.execute(_UPSERT, _row(record))
        return str(row[0] + 1)

    def query(
        self,
        user_id: str,
        batch_id: str,
        *,
        statuses: Sequence[RecordStatus] | None = None,
        limit: int = 100,
        continuation: str | None = None,
    ) -> Page[ResponseRecord]:
        check_limit(limit)
        after = decode_keys(continuation, 1)
        values: list[Any] = [user_id, batch_id]
        wanted = list(dict.fromkeys(RecordStatus(status).value for status in statuses or ()))
        # Without statistics the planner walks all of the user's records by primary key: name the index. One
        # status is an equality that batch_records_by_status serves in record order.
        index = "batch_records_by_status" if len(wanted) == 1 else "batch_records_by_batch"
        sql = f"SELECT doc, record_id FROM batch_records INDEXED BY {index} WHERE user_id = ? AND batch_id = ?"
        if wanted:
            sql += f" AND status IN ({','.join('?' * len(wanted))})"
            values += wanted
        if after is not None:
            sql += " AND record_id > ?"
            values.append(after[0])
        sql += " ORDER BY record_id LIMIT ?"
        rows = self._store.connection().execute(sql, (*values, limit + 1)).fetchall()
        return keyset_page(rows, limit, lambda row: ResponseRecord.model_validate_json(row[0]), lambda row: (row[1],))

    def counts(self, user_id: str, batch_id: str) -> dict[str, int]:
        rows = (
            self._store.connection()
            .execute(
                "SELECT status, COUNT(*) FROM batch_records WHERE user_id = ? AND batch_id = ? GROUP BY status",
                (user_id, batch_id),
            )
            .fetchall()
        )
        counts = {status.value: 0 for status in RecordStatus}
        counts.update({row[0]: row[1] for row in rows})
        return counts
