"""The answer cache (model answers paid for once) in the embedded store: one row per (user, answer key), upserted."""

from __future__ import annotations

from shared.batches.models import ModelAnswer
from shared.storage.sqlite.database import SqliteStore


class SqliteAnswerRepository:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def get(self, user_id: str, key: str) -> ModelAnswer | None:
        row = (
            self._store.connection()
            .execute("SELECT doc FROM model_answers WHERE user_id = ? AND answer_key = ?", (user_id, key))
            .fetchone()
        )
        return None if row is None else ModelAnswer.model_validate_json(row[0])

    def put(self, answer: ModelAnswer) -> None:
        with self._store.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO model_answers (user_id, answer_key, doc) VALUES (?, ?, ?)",
                (answer.user_id, answer.key, answer.model_dump_json()),
            )
