"""Analysis results in the embedded store, one document per result id, with the result's TTL."""

from __future__ import annotations

import json

from shared.errors import NotFoundError
from shared.jobs.results import AnalysisResult
from shared.storage.common import iso
from shared.storage.sqlite.database import SqliteStore


class SqliteResultRepository:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def save(self, result: AnalysisResult) -> None:
        doc = result.model_dump(mode="json")
        doc["created_at"] = iso(result.created_at)
        with self._store.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO results (user_id, result_id, expires_at, doc) VALUES (?, ?, ?, ?)",
                (result.user_id, result.result_id, self._store.expires_at(result.ttl), json.dumps(doc)),
            )

    def get(self, user_id: str, result_id: str) -> AnalysisResult:
        row = self._store.live_row("SELECT doc FROM results WHERE user_id = ? AND result_id = ?", (user_id, result_id))
        if row is None:
            raise NotFoundError(f"result {result_id!r} not found", details={"result_id": result_id})
        return AnalysisResult.model_validate_json(row[0])
