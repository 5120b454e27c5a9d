"""Job artifacts in the embedded store: named text content of a job, expiring with the job's TTL by default."""

from __future__ import annotations

from shared.errors import NotFoundError
from shared.storage.common import artifact_key
from shared.storage.sqlite.database import SqliteStore


class SqliteArtifactRepository:
    def __init__(self, store: SqliteStore, *, default_ttl: int) -> None:
        self._store = store
        self._default_ttl = default_ttl

    def put(self, user_id: str, job_id: str, name: str, content: str, *, ttl: int | None = None) -> None:
        expires_at = self._store.expires_at(self._default_ttl if ttl is None else ttl)
        with self._store.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO artifacts (user_id, item_id, job_id, name, expires_at, content)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (user_id, artifact_key(job_id, name), job_id, name, expires_at, content),
            )

    def get(self, user_id: str, job_id: str, name: str) -> str:
        row = self._store.live_row(
            "SELECT content FROM artifacts WHERE user_id = ? AND item_id = ? AND name = ?",
            (user_id, artifact_key(job_id, name), name),
        )
        if row is None:
            raise NotFoundError(
                f"artifact {name!r} of job {job_id!r} not found", details={"job_id": job_id, "name": name}
            )
        return str(row[0])
