"""The embedded store's SQLite file: its schema, per-thread connections, write transactions and TTL.

Activities run in threads: every thread gets its own connection (sqlite3 connections must not be shared), WAL
lets readers run beside the one writer, and busy_timeout makes a second writer wait instead of failing.

"database is locked" (or busy) past that wait: a statement outside a transaction (a read, or the BEGIN IMMEDIATE
that opens a write) is tried again LOCKED_RETRIES times, briefly, as the Cosmos SDK retries a 503; inside a
transaction it cannot be (the transaction would have to start over) and is raised. What is still locked after that
is the store being unavailable (shared/storage/unavailable.py): a 503 at the API, a job's activity tried again
on a durable timer.

TTL as in Cosmos: an item expires `ttl` seconds after its last write. Expired rows are invisible to every read
at once and are deleted by `purge_expired()` (run when the store opens).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DB_FILENAME = "contractjobs.sqlite3"
BUSY_TIMEOUT_MS = 30_000
LOCKED_RETRIES = 3
LOCKED_FIRST_PAUSE_S = 0.05  # then 0.1 s, 0.2 s

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
CREATE INDEX IF NOT EXISTS jobs_by_user_changed ON jobs (user_id, json_extract(doc, '$.progress.updated_at'));

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

-- The batch workflow (no TTL: kept until the user deletes them). IF NOT EXISTS: an older file gains them on open.
-- Texts and batches are rowid tables: their rows can be large, which WITHOUT ROWID handles badly.
CREATE TABLE IF NOT EXISTS documents (
    user_id TEXT NOT NULL, document_id TEXT NOT NULL, folder TEXT NOT NULL, filename TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (user_id, document_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS documents_by_folder ON documents (user_id, folder, filename, document_id);

CREATE TABLE IF NOT EXISTS document_texts (
    user_id TEXT NOT NULL, document_id TEXT NOT NULL, doc TEXT NOT NULL, text TEXT NOT NULL,
    PRIMARY KEY (user_id, document_id)
);

CREATE TABLE IF NOT EXISTS batches (
    user_id TEXT NOT NULL, batch_id TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
    version INTEGER NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (user_id, batch_id)
);
CREATE INDEX IF NOT EXISTS batches_by_user_created ON batches (user_id, created_at DESC, batch_id DESC);

CREATE TABLE IF NOT EXISTS batch_records (
    user_id TEXT NOT NULL, record_id TEXT NOT NULL, batch_id TEXT NOT NULL, status TEXT NOT NULL,
    version INTEGER NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (user_id, record_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS batch_records_by_batch ON batch_records (user_id, batch_id, record_id);
CREATE INDEX IF NOT EXISTS batch_records_by_status ON batch_records (user_id, batch_id, status, record_id);

-- Model deployments' budgets (shared/llm/quota.py): one row per deployment, replaced under its version.
CREATE TABLE IF NOT EXISTS llm_quota (
    quota_key TEXT NOT NULL PRIMARY KEY, version INTEGER NOT NULL, state TEXT NOT NULL
) WITHOUT ROWID;

-- Model-call figures per (deployment, five-minute bucket, worker) for the operations summary (shared/ops/).
CREATE TABLE IF NOT EXISTS llm_usage (
    bucket TEXT NOT NULL, deployment TEXT NOT NULL, worker TEXT NOT NULL, expires_at REAL, doc TEXT NOT NULL,
    PRIMARY KEY (bucket, deployment, worker)
) WITHOUT ROWID;
-- The operations summary counts every user's jobs of a period.
CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (created_at);

CREATE TABLE IF NOT EXISTS model_answers (
    user_id TEXT NOT NULL, answer_key TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (user_id, answer_key)
) WITHOUT ROWID;
"""

# Appended to a WHERE clause, with the current time as its parameter: expired rows are invisible to reads.
LIVE = "(expires_at IS NULL OR expires_at > ?)"


def list_position(row: Any) -> tuple[str, str]:
    """(created_at, id) of a list row selected as (payload, created_at, id): its keyset paging position."""
    return row[1], row[2]


def _locked(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class _Connection(sqlite3.Connection):
    """A connection whose statements outside a transaction are tried again while the file is locked."""

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        pause = LOCKED_FIRST_PAUSE_S
        for attempt in range(LOCKED_RETRIES + 1):
            outside = not self.in_transaction  # before the statement: BEGIN opens one
            try:
                return super().execute(sql, parameters)
            except sqlite3.OperationalError as exc:
                if not outside or not _locked(exc) or attempt == LOCKED_RETRIES:
                    raise
            time.sleep(pause)
            pause *= 2
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


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
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, factory=_Connection)
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
        return self.connection().execute(f"{sql} AND {LIVE}", (*params, self.clock())).fetchone()

    def expires_at(self, ttl: int | None) -> float | None:
        # Cosmos semantics: None or -1 never expires.
        return None if ttl is None or ttl < 0 else self.clock() + ttl

    def purge_expired(self) -> int:
        now = self.clock()
        with self.write() as conn:
            removed = 0
            for table in ("jobs", "results", "artifacts", "llm_usage"):
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
