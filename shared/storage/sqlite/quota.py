"""Model deployments' budgets in the embedded store: one row per deployment; a row's `version` is its ETag.

Every worker process on one DATA_DIR shares the file, so they share the budgets: BEGIN IMMEDIATE serialises the
version check and the write across processes."""

from __future__ import annotations

import sqlite3

from shared.errors import ConflictError
from shared.storage.base import Versioned
from shared.storage.sqlite.database import SqliteStore


def _stale(key: str, etag: str | None) -> ConflictError:
    what = "exists already" if etag is None else f"was changed since it was read (etag {etag!r} is stale)"
    return ConflictError(f"quota {key!r} {what}", details={"key": key, "etag": etag})


class SqliteQuotaRepository:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def read(self, key: str) -> Versioned[str] | None:
        row = (
            self._store.connection()
            .execute("SELECT state, version FROM llm_quota WHERE quota_key = ?", (key,))
            .fetchone()
        )
        return None if row is None else Versioned(row[0], str(row[1]))

    def write(self, key: str, state: str, etag: str | None) -> str:
        with self._store.write() as conn:
            if etag is None:
                try:
                    conn.execute("INSERT INTO llm_quota (quota_key, version, state) VALUES (?, 1, ?)", (key, state))
                except sqlite3.IntegrityError as exc:
                    raise _stale(key, etag) from exc
                return "1"
            updated = conn.execute(
                "UPDATE llm_quota SET version = version + 1, state = ? WHERE quota_key = ? AND version = ?",
                (state, key, int(etag) if etag.isdigit() else -1),
            ).rowcount
            if updated != 1:
                raise _stale(key, etag)
        return str(int(etag) + 1)
