"""The cross-user job queries of the operations summary over the embedded store (a mixin of SqliteJobRepository):
aggregates and a few fields read out of the document, never whole jobs parsed."""

from __future__ import annotations

import json
from datetime import datetime

from shared.jobs.models import JobStatus, JobType
from shared.storage.base import FailedJobRow, RunningJobRow
from shared.storage.common import check_limit, iso
from shared.storage.job_overview import failed_row, running_row, second_bounds, tally
from shared.storage.sqlite.database import LIVE, SqliteStore

_COMPLETED = "json_extract(doc, '$.completed_at')"


class SqliteJobOverview:
    _store: SqliteStore

    def counts_by_status_and_type(self, since: datetime, until: datetime) -> dict[tuple[JobStatus, JobType], int]:
        rows = (
            self._store.connection()
            .execute(
                "SELECT status, job_type, COUNT(*) FROM jobs WHERE created_at >= ? AND created_at < ?"
                f" AND {LIVE} GROUP BY status, job_type",
                (iso(since), iso(until), self._store.clock()),
            )
            .fetchall()
        )
        return tally(rows)

    def oldest_running(self) -> RunningJobRow | None:
        row = (
            self._store.connection()
            .execute(
                "SELECT job_id, user_id, job_type, created_at, json_extract(doc, '$.started_at'),"
                " json_extract(doc, '$.progress.current_step'), json_extract(doc, '$.title'),"
                f" json_extract(doc, '$.request') FROM jobs WHERE status = ? AND {LIVE}"
                " ORDER BY created_at, job_id LIMIT 1",
                (JobStatus.PROCESSING.value, self._store.clock()),
            )
            .fetchone()
        )
        if row is None:
            return None
        keys = ("job_id", "user_id", "job_type", "created_at", "started_at", "step", "title", "request")
        data = dict(zip(keys, row, strict=True))
        data["request"] = json.loads(data["request"]) if data["request"] else None
        return running_row(data)

    def failed_between(self, since: datetime, until: datetime, *, limit: int = 20) -> list[FailedJobRow]:
        check_limit(limit)
        lower, upper = second_bounds(since, until)
        rows = (
            self._store.connection()
            .execute(
                f"SELECT job_id, user_id, job_type, {_COMPLETED}, json_extract(doc, '$.error_details'),"
                " json_extract(doc, '$.title'), json_extract(doc, '$.request') FROM jobs"
                f" WHERE status = ? AND {_COMPLETED} >= ? AND {_COMPLETED} < ? AND {LIVE}"
                f" ORDER BY {_COMPLETED} DESC, job_id DESC LIMIT ?",
                (JobStatus.FAILED.value, lower, upper, self._store.clock(), limit),
            )
            .fetchall()
        )
        return [
            failed_row(
                {
                    "job_id": r[0],
                    "user_id": r[1],
                    "job_type": r[2],
                    "completed_at": r[3],
                    "error": json.loads(r[4]) if r[4] else None,
                    "title": r[5],
                    "request": json.loads(r[6]) if r[6] else None,
                }
            )
            for r in rows
        ]
