"""Model-call figures in the embedded store (shared/ops/usage_figures.py): one row per (bucket, deployment, worker),
replaced whole by the worker that owns it; rows expire two days after their last write, as the Cosmos items do."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from shared.ops.usage_figures import USAGE_TTL_SECONDS, ModelUsage
from shared.storage.common import iso
from shared.storage.sqlite.database import LIVE, SqliteStore


class SqliteUsageRepository:
    def __init__(self, store: SqliteStore, *, ttl: int = USAGE_TTL_SECONDS) -> None:
        self._store = store
        self._ttl = ttl

    def put(self, items: Sequence[ModelUsage]) -> None:
        if not items:
            return
        expires_at = self._store.expires_at(self._ttl)
        rows = [(iso(i.bucket), i.deployment, i.worker, expires_at, i.model_dump_json()) for i in items]
        with self._store.write() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO llm_usage (bucket, deployment, worker, expires_at, doc) VALUES (?, ?, ?, ?, ?)",
                rows,
            )

    def since(self, start: datetime) -> list[ModelUsage]:
        rows = (
            self._store.connection()
            .execute(f"SELECT doc FROM llm_usage WHERE bucket >= ? AND {LIVE}", (iso(start), self._store.clock()))
            .fetchall()
        )
        return [ModelUsage.model_validate_json(row[0]) for row in rows]
