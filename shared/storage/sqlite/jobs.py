"""Jobs in the embedded store: the document beside the columns queries filter and sort on.

A job row's `version` is its ETag: `replace` succeeds only with the version it was read at.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from shared.errors import ConflictError, NotFoundError
from shared.jobs.document import Job, parse_job_json
from shared.jobs.models import JobStatus, JobType
from shared.storage.base import Page, Versioned
from shared.storage.common import check_limit, decode_continuation, iso, keyset_page
from shared.storage.sqlite.database import LIVE, SqliteStore, list_position
from shared.storage.sqlite.job_overview import SqliteJobOverview


class SqliteJobRepository(SqliteJobOverview):  # the operations summary's cross-user queries: job_overview.py
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    @staticmethod
    def _doc(job: Job) -> tuple[str, str]:
        doc = job.model_dump(mode="json")
        doc["created_at"] = iso(job.created_at)
        doc["progress"]["updated_at"] = iso(job.progress.updated_at)  # fixed width: string order is time order
        return doc["created_at"], json.dumps(doc)

    def create(self, job: Job) -> None:
        created_at, doc = self._doc(job)
        with self._store.write() as conn:
            # An expired job is gone, as in Cosmos: its id may be used again.
            conn.execute(
                f"DELETE FROM jobs WHERE user_id = ? AND job_id = ? AND NOT {LIVE}",
                (job.user_id, job.job_id, self._store.clock()),
            )
            try:
                conn.execute(
                    "INSERT INTO jobs (user_id, job_id, status, job_type, priority, created_at, version,"
                    " expires_at, doc) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
                    (
                        job.user_id,
                        job.job_id,
                        job.status.value,
                        job.job_type.value,
                        job.priority,
                        created_at,
                        self._store.expires_at(job.ttl),
                        doc,
                    ),
                )
            except sqlite3.IntegrityError as exc:
                raise ConflictError(f"job {job.job_id!r} already exists", details={"job_id": job.job_id}) from exc

    def get(self, user_id: str, job_id: str) -> Versioned[Job]:
        row = self._store.live_row("SELECT doc, version FROM jobs WHERE user_id = ? AND job_id = ?", (user_id, job_id))
        if row is None:
            raise NotFoundError(f"job {job_id!r} not found", details={"job_id": job_id})
        return Versioned(parse_job_json(row[0]), str(row[1]))

    def replace(self, job: Job, etag: str) -> str:
        created_at, doc = self._doc(job)
        now = self._store.clock()
        with self._store.write() as conn:
            row = conn.execute(
                f"SELECT version FROM jobs WHERE user_id = ? AND job_id = ? AND {LIVE}", (job.user_id, job.job_id, now)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"job {job.job_id!r} not found", details={"job_id": job.job_id})
            if str(row[0]) != etag:
                raise ConflictError(
                    f"job {job.job_id!r} was changed by someone else (etag {etag!r} is stale)",
                    details={"job_id": job.job_id, "etag": etag},
                )
            conn.execute(
                "UPDATE jobs SET status = ?, job_type = ?, priority = ?, created_at = ?, version = version + 1,"
                " expires_at = ?, doc = ? WHERE user_id = ? AND job_id = ?",
                (
                    job.status.value,
                    job.job_type.value,
                    job.priority,
                    created_at,
                    self._store.expires_at(job.ttl),
                    doc,
                    job.user_id,
                    job.job_id,
                ),
            )
        return str(row[0] + 1)

    def query(
        self,
        user_id: str,
        *,
        statuses: Sequence[JobStatus] | None = None,
        job_type: JobType | None = None,
        limit: int = 50,
        continuation: str | None = None,
    ) -> Page[Job]:
        check_limit(limit)
        after = decode_continuation(continuation)
        sql = f"SELECT doc, created_at, job_id FROM jobs WHERE user_id = ? AND {LIVE}"
        params: list[Any] = [user_id, self._store.clock()]
        if statuses:
            sql += f" AND status IN ({','.join('?' * len(statuses))})"
            params += [JobStatus(s).value for s in statuses]
        if job_type is not None:
            sql += " AND job_type = ?"
            params.append(JobType(job_type).value)
        if after is not None:
            sql += " AND (created_at < ? OR (created_at = ? AND job_id < ?))"
            params += [after.created_at, after.created_at, after.id]
        sql += " ORDER BY created_at DESC, job_id DESC LIMIT ?"
        rows = self._store.connection().execute(sql, (*params, limit + 1)).fetchall()
        return keyset_page(rows, limit, lambda row: parse_job_json(row[0]), list_position)

    def counts(self, user_id: str) -> dict[str, int]:
        rows = (
            self._store.connection()
            .execute(
                f"SELECT status, COUNT(*) FROM jobs WHERE user_id = ? AND {LIVE} GROUP BY status",
                (user_id, self._store.clock()),
            )
            .fetchall()
        )
        counts = {status.value: 0 for status in JobStatus}
        counts.update({row[0]: row[1] for row in rows})
        return counts

    def changed_since(self, user_id: str, since: datetime, *, limit: int = 100) -> list[Job]:
        check_limit(limit)
        changed = "json_extract(doc, '$.progress.updated_at')"  # the expression jobs_by_user_changed indexes
        rows = (
            self._store.connection()
            .execute(
                f"SELECT doc FROM jobs WHERE user_id = ? AND {changed} > ? AND {LIVE} ORDER BY {changed} LIMIT ?",
                (user_id, iso(since), self._store.clock(), limit),
            )
            .fetchall()
        )
        return [parse_job_json(row[0]) for row in rows]
