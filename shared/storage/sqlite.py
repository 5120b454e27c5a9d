"""Embedded storage: the repository interfaces over one SQLite file (`<data_dir>/contractjobs.sqlite3`).

Used when COSMOS_ENDPOINT is unset, so the app runs locally with no service. Documents are stored as JSON with
the columns queries filter and sort on beside them. Activities run in threads: every thread gets its own
connection (sqlite3 connections must not be shared), WAL lets readers run beside the one writer, and
busy_timeout makes a second writer wait instead of failing. A job row's `version` is its ETag.

TTL as in Cosmos: an item expires `ttl` seconds after its last write. Expired rows are invisible to every read
at once and are deleted by `purge_expired()` (run when the store opens).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from shared.errors import ConflictError, NotFoundError
from shared.models.analysis import AnalysisResult
from shared.models.contracts import Contract, ContractSummary, summarize
from shared.models.jobs import Job, JobStatus, JobType
from shared.storage.base import Page, Repositories, Versioned
from shared.storage.common import (
    artifact_key,
    check_limit,
    contracts_not_found,
    decode_continuation,
    iso,
    keyset_page,
)

DB_FILENAME = "contractjobs.sqlite3"
BUSY_TIMEOUT_MS = 30_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS contracts (
    user_id TEXT NOT NULL, contract_id TEXT NOT NULL, created_at TEXT NOT NULL,
    summary TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (user_id, contract_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS contracts_by_user_created ON contracts (user_id, created_at DESC, contract_id DESC);

CREATE TABLE IF NOT EXISTS jobs (
    user_id TEXT NOT NULL, job_id TEXT NOT NULL, status TEXT NOT NULL, job_type TEXT NOT NULL,
    priority INTEGER NOT NULL, created_at TEXT NOT NULL, version INTEGER NOT NULL, expires_at REAL,
    doc TEXT NOT NULL,
    PRIMARY KEY (user_id, job_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS jobs_by_user_created ON jobs (user_id, created_at DESC, job_id DESC);
CREATE INDEX IF NOT EXISTS jobs_by_user_status ON jobs (user_id, status, created_at DESC);
CREATE INDEX IF NOT EXISTS jobs_by_user_type ON jobs (user_id, job_type, created_at DESC);
CREATE INDEX IF NOT EXISTS jobs_by_status_priority ON jobs (status, priority, created_at);
CREATE INDEX IF NOT EXISTS jobs_by_expiry ON jobs (expires_at);

CREATE TABLE IF NOT EXISTS results (
    user_id TEXT NOT NULL, result_id TEXT NOT NULL, expires_at REAL, doc TEXT NOT NULL,
    PRIMARY KEY (user_id, result_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS results_by_expiry ON results (expires_at);

CREATE TABLE IF NOT EXISTS artifacts (
    user_id TEXT NOT NULL, item_id TEXT NOT NULL, job_id TEXT NOT NULL, name TEXT NOT NULL,
    expires_at REAL, content TEXT NOT NULL,
    PRIMARY KEY (user_id, item_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS artifacts_by_expiry ON artifacts (expires_at);
"""

_LIVE = "(expires_at IS NULL OR expires_at > ?)"


def _position(row: Any) -> tuple[str, str]:
    """(created_at, id) of a list row selected as (payload, created_at, id)."""
    return row[1], row[2]


class SqliteStore:
    """One database file and its per-thread connections."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        # executescript manages its own transaction (it commits first), so it runs outside write().
        self.connection().executescript(_SCHEMA)
        self.purge_expired()

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # isolation_level=None: we issue BEGIN ourselves, so a write transaction is exactly what we say.
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL is durable across app crashes
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; BEGIN IMMEDIATE takes the write lock up front so read-then-write never
        deadlocks into SQLITE_BUSY halfway through."""
        conn = self.connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def live_row(self, sql: str, params: Sequence[Any]) -> Any:
        """The one row `sql` (a SELECT ending in a WHERE clause) finds among unexpired rows, or None."""
        return self.connection().execute(f"{sql} AND {_LIVE}", (*params, self.clock())).fetchone()

    def expires_at(self, ttl: int | None) -> float | None:
        # Cosmos semantics: None or -1 never expires.
        return None if ttl is None or ttl < 0 else self.clock() + ttl

    def purge_expired(self) -> int:
        now = self.clock()
        with self.write() as conn:
            removed = 0
            for table in ("jobs", "results", "artifacts"):
                removed += conn.execute(
                    f"DELETE FROM {table} WHERE expires_at IS NOT NULL AND expires_at <= ?", (now,)
                ).rowcount
        return removed

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()


class SqliteContractRepository:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def add(self, contract: Contract) -> None:
        doc = contract.model_dump(mode="json")
        doc["created_at"] = iso(contract.created_at)
        summary = {**summarize(contract).model_dump(mode="json"), "created_at": doc["created_at"]}
        try:
            with self._store.write() as conn:
                conn.execute(
                    "INSERT INTO contracts (user_id, contract_id, created_at, summary, doc) VALUES (?, ?, ?, ?, ?)",
                    (contract.user_id, contract.contract_id, doc["created_at"], json.dumps(summary), json.dumps(doc)),
                )
        except sqlite3.IntegrityError as exc:
            raise ConflictError(f"contract {contract.contract_id!r} already exists") from exc

    def get(self, user_id: str, contract_id: str) -> Contract:
        row = (
            self._store.connection()
            .execute("SELECT doc FROM contracts WHERE user_id = ? AND contract_id = ?", (user_id, contract_id))
            .fetchone()
        )
        if row is None:
            raise NotFoundError(f"contract {contract_id!r} not found", details={"contract_id": contract_id})
        return Contract.model_validate_json(row[0])

    def get_many(self, user_id: str, contract_ids: Sequence[str]) -> list[Contract]:
        docs = dict(self._select(user_id, contract_ids, "doc"))
        missing = [contract_id for contract_id in dict.fromkeys(contract_ids) if contract_id not in docs]
        if missing:
            raise contracts_not_found(missing)
        return [Contract.model_validate_json(docs[contract_id]) for contract_id in contract_ids]

    def missing(self, user_id: str, contract_ids: Sequence[str]) -> list[str]:
        found = {row[0] for row in self._select(user_id, contract_ids)}
        return [contract_id for contract_id in dict.fromkeys(contract_ids) if contract_id not in found]

    def _select(self, user_id: str, contract_ids: Sequence[str], *columns: str) -> list[Any]:
        """(contract_id, *columns) of the user's contracts among contract_ids, in one query."""
        wanted = list(dict.fromkeys(contract_ids))
        if not wanted:
            return []
        marks = ",".join("?" * len(wanted))
        selected = ", ".join(("contract_id", *columns))
        return (
            self._store.connection()
            .execute(
                f"SELECT {selected} FROM contracts WHERE user_id = ? AND contract_id IN ({marks})", (user_id, *wanted)
            )
            .fetchall()
        )

    def list(self, user_id: str, *, limit: int = 100, continuation: str | None = None) -> Page[ContractSummary]:
        check_limit(limit)
        after = decode_continuation(continuation)
        sql = "SELECT summary, created_at, contract_id FROM contracts WHERE user_id = ?"
        params: list[Any] = [user_id]
        if after is not None:
            sql += " AND (created_at < ? OR (created_at = ? AND contract_id < ?))"
            params += [after.created_at, after.created_at, after.id]
        sql += " ORDER BY created_at DESC, contract_id DESC LIMIT ?"
        rows = self._store.connection().execute(sql, (*params, limit + 1)).fetchall()
        return keyset_page(rows, limit, lambda row: ContractSummary.model_validate_json(row[0]), _position)

    def delete(self, user_id: str, contract_id: str) -> None:
        with self._store.write() as conn:
            deleted = conn.execute(
                "DELETE FROM contracts WHERE user_id = ? AND contract_id = ?", (user_id, contract_id)
            ).rowcount
        if not deleted:
            raise NotFoundError(f"contract {contract_id!r} not found", details={"contract_id": contract_id})


class SqliteJobRepository:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    @staticmethod
    def _doc(job: Job) -> tuple[str, str]:
        doc = job.model_dump(mode="json")
        doc["created_at"] = iso(job.created_at)
        return doc["created_at"], json.dumps(doc)

    def create(self, job: Job) -> None:
        created_at, doc = self._doc(job)
        with self._store.write() as conn:
            # An expired job is gone, as in Cosmos: its id may be used again.
            conn.execute(
                f"DELETE FROM jobs WHERE user_id = ? AND job_id = ? AND NOT {_LIVE}",
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
        return Versioned(Job.model_validate_json(row[0]), str(row[1]))

    def replace(self, job: Job, etag: str) -> str:
        created_at, doc = self._doc(job)
        now = self._store.clock()
        with self._store.write() as conn:
            row = conn.execute(
                f"SELECT version FROM jobs WHERE user_id = ? AND job_id = ? AND {_LIVE}", (job.user_id, job.job_id, now)
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
        sql = f"SELECT doc, created_at, job_id FROM jobs WHERE user_id = ? AND {_LIVE}"
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
        return keyset_page(rows, limit, lambda row: Job.model_validate_json(row[0]), _position)

    def counts(self, user_id: str) -> dict[str, int]:
        rows = (
            self._store.connection()
            .execute(
                f"SELECT status, COUNT(*) FROM jobs WHERE user_id = ? AND {_LIVE} GROUP BY status",
                (user_id, self._store.clock()),
            )
            .fetchall()
        )
        counts = {status.value: 0 for status in JobStatus}
        counts.update({row[0]: row[1] for row in rows})
        return counts


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


def sqlite_repositories(
    data_dir: Path, *, job_ttl_seconds: int = 604_800, clock: Callable[[], float] = time.time
) -> Repositories:
    store = SqliteStore(Path(data_dir) / DB_FILENAME, clock=clock)
    return Repositories(
        contracts=SqliteContractRepository(store),
        jobs=SqliteJobRepository(store),
        results=SqliteResultRepository(store),
        artifacts=SqliteArtifactRepository(store, default_ttl=job_ttl_seconds),
        backend="sqlite",
    )
