"""SQLite persistence of instances, history and pending work (WAL; one transaction per state change).

Everything the engine must not lose across a SIGKILL lives here: an orchestrator episode consumes inbox
messages and writes its new history, work items, timers and child instances in one transaction, and an
activity result replaces its work item in another.  Work items still present at start-up are run again
(at-least-once); timers are inbox messages that become visible at their fire time.
The rows and messages it reads and writes are the dataclasses of `records`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from devhost.durable.protocol import RuntimeStatus
from devhost.durable.records import EVENT, EpisodeCommit, Instance, Message, NewInstance, OutgoingMessage, WorkItem

_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    instance_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT,
    output TEXT,
    custom_status TEXT,
    created_time TEXT NOT NULL,
    last_updated_time TEXT NOT NULL,
    parent_instance_id TEXT,
    parent_execution_id TEXT,
    parent_task_id INTEGER
);
CREATE INDEX IF NOT EXISTS instances_created ON instances (created_time);
CREATE TABLE IF NOT EXISTS history (
    instance_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (instance_id, position)
);
CREATE TABLE IF NOT EXISTS inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    execution_id TEXT,
    kind TEXT NOT NULL,
    event TEXT NOT NULL,
    visible_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS inbox_by_instance ON inbox (instance_id, id);
CREATE INDEX IF NOT EXISTS inbox_by_time ON inbox (visible_at);
CREATE TABLE IF NOT EXISTS work (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    input TEXT
);
"""


class Store:
    """A single SQLite connection guarded by a lock; calls are short and made from the event loop thread."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a process kill (only an OS crash may lose the last transactions).
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- instances ---------------------------------------------------------------------------------------
    def get_instance(self, instance_id: str) -> Instance | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM instances WHERE instance_id = ?", (instance_id,)).fetchone()
        return Instance(**dict(row)) if row else None

    def create_instance(self, new: NewInstance) -> bool:
        """Create (or replace a terminal) instance and queue its ExecutionStarted; False if it is running."""
        with self._tx() as db:
            row = db.execute("SELECT status FROM instances WHERE instance_id = ?", (new.instance_id,)).fetchone()
            if row is not None and row["status"] not in RuntimeStatus.TERMINAL:
                return False
            self._insert_instance(db, new)
        return True

    def _insert_instance(self, db: sqlite3.Connection, new: NewInstance) -> None:
        for table in ("history", "inbox", "work"):
            db.execute(f"DELETE FROM {table} WHERE instance_id = ?", (new.instance_id,))
        db.execute(
            "INSERT OR REPLACE INTO instances VALUES (?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, ?)",
            (
                new.instance_id,
                new.name,
                new.execution_id,
                RuntimeStatus.PENDING,
                new.input,
                new.now,
                new.now,
                new.parent_instance_id,
                new.parent_execution_id,
                new.parent_task_id,
            ),
        )
        self._insert_message(db, OutgoingMessage(new.instance_id, new.execution_id, EVENT, new.start_event))

    def list_instances(
        self,
        statuses: Sequence[str] = (),
        created_from: str | None = None,
        created_to: str | None = None,
        prefix: str | None = None,
        limit: int = -1,
        offset: int = 0,
    ) -> list[Instance]:
        where: list[str] = ["1 = 1"]
        args: list[Any] = []
        if statuses:
            where.append(f"status IN ({', '.join('?' for _ in statuses)})")
            args.extend(statuses)
        if created_from:
            where.append("created_time >= ?")
            args.append(created_from)
        if created_to:
            where.append("created_time <= ?")
            args.append(created_to)
        if prefix:
            where.append("substr(instance_id, 1, ?) = ?")
            args.extend([len(prefix), prefix])
        sql = f"SELECT * FROM instances WHERE {' AND '.join(where)} ORDER BY created_time, instance_id LIMIT ? OFFSET ?"
        with self._lock:
            rows = self._db.execute(sql, [*args, limit, offset]).fetchall()
        return [Instance(**dict(r)) for r in rows]

    def purge(self, instance_id: str) -> bool:
        with self._tx() as db:
            deleted = db.execute("DELETE FROM instances WHERE instance_id = ?", (instance_id,)).rowcount
            for table in ("history", "inbox", "work"):
                db.execute(f"DELETE FROM {table} WHERE instance_id = ?", (instance_id,))
        return deleted > 0

    # -- history and inbox -------------------------------------------------------------------------------
    def history(self, instance_id: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT event FROM history WHERE instance_id = ? ORDER BY position", (instance_id,)
            ).fetchall()
        return [json.loads(r["event"]) for r in rows]

    def messages(self, instance_id: str, now: float) -> list[Message]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM inbox WHERE instance_id = ? AND visible_at <= ? ORDER BY id", (instance_id, now)
            ).fetchall()
        return [Message(**{**dict(r), "event": json.loads(r["event"])}) for r in rows]

    def ready_instances(self, now: float) -> list[str]:
        with self._lock:
            # A suspended instance only wakes up for control messages; its events wait in the inbox.
            rows = self._db.execute(
                "SELECT m.instance_id, MIN(m.id) AS first FROM inbox m "
                "LEFT JOIN instances i ON i.instance_id = m.instance_id "
                "WHERE m.visible_at <= ? AND (i.status IS NULL OR i.status != ? OR m.kind != ?) "
                "GROUP BY m.instance_id ORDER BY first",
                (now, RuntimeStatus.SUSPENDED, EVENT),
            ).fetchall()
        return [r["instance_id"] for r in rows]

    def next_visible_at(self, now: float) -> float | None:
        with self._lock:
            row = self._db.execute("SELECT MIN(visible_at) AS t FROM inbox WHERE visible_at > ?", (now,)).fetchone()
        return None if row["t"] is None else float(row["t"])

    def send(self, message: OutgoingMessage) -> None:
        with self._tx() as db:
            self._insert_message(db, message)

    def delete_messages(self, ids: Sequence[int]) -> None:
        with self._tx() as db:
            db.executemany("DELETE FROM inbox WHERE id = ?", [(i,) for i in ids])

    @staticmethod
    def _insert_message(db: sqlite3.Connection, m: OutgoingMessage) -> None:
        db.execute(
            "INSERT INTO inbox (instance_id, execution_id, kind, event, visible_at) VALUES (?, ?, ?, ?, ?)",
            (m.instance_id, m.execution_id, m.kind, json.dumps(m.event), m.visible_at),
        )

    # -- episodes ----------------------------------------------------------------------------------------
    def commit_episode(self, c: EpisodeCommit) -> list[WorkItem]:
        """Apply an episode atomically; returns the new work items with their ids."""
        created: list[WorkItem] = []
        with self._tx() as db:
            db.executemany("DELETE FROM inbox WHERE id = ?", [(i,) for i in c.consumed])
            if db.execute("SELECT 1 FROM instances WHERE instance_id = ?", (c.instance_id,)).fetchone() is None:
                return created  # purged while the episode ran: write nothing for it
            if c.reset_history:
                db.execute("DELETE FROM history WHERE instance_id = ?", (c.instance_id,))
            if c.drop_pending:
                db.execute("DELETE FROM work WHERE instance_id = ?", (c.instance_id,))
                db.execute(
                    "DELETE FROM inbox WHERE instance_id = ? AND kind = ? AND (? = 0 OR execution_id IS NOT NULL)",
                    (c.instance_id, EVENT, int(c.keep_raised)),
                )
            row = db.execute(
                "SELECT COALESCE(MAX(position), -1) AS p FROM history WHERE instance_id = ?", (c.instance_id,)
            ).fetchone()
            position = int(row["p"]) + 1
            db.executemany(
                "INSERT INTO history VALUES (?, ?, ?)",
                [(c.instance_id, position + i, json.dumps(e)) for i, e in enumerate(c.history_append)],
            )
            if c.updates:
                cols = ", ".join(f"{k} = ?" for k in c.updates)
                db.execute(f"UPDATE instances SET {cols} WHERE instance_id = ?", [*c.updates.values(), c.instance_id])
            for w in c.work:
                cur = db.execute(
                    "INSERT INTO work (instance_id, execution_id, task_id, name, input) VALUES (?, ?, ?, ?, ?)",
                    (w.instance_id, w.execution_id, w.task_id, w.name, w.input),
                )
                created.append(
                    WorkItem(int(cur.lastrowid or 0), w.instance_id, w.execution_id, w.task_id, w.name, w.input)
                )
            for child in c.children:
                self._insert_instance(db, child)
            for m in c.messages:
                self._insert_message(db, m)
        return created

    def update_instance(
        self, instance_id: str, consumed: Sequence[int], history_append: Sequence[dict[str, Any]], **updates: Any
    ) -> None:
        self.commit_episode(
            EpisodeCommit(instance_id, list(consumed), history_append=list(history_append), updates=updates)
        )

    # -- activities --------------------------------------------------------------------------------------
    def all_work(self) -> list[WorkItem]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM work ORDER BY id").fetchall()
        return [WorkItem(**dict(r)) for r in rows]

    def complete_work(self, item: WorkItem, result: dict[str, Any]) -> bool:
        """Replace a work item by its completion message; False if the item was dropped meanwhile."""
        with self._tx() as db:
            if db.execute("DELETE FROM work WHERE id = ?", (item.id,)).rowcount == 0:
                return False
            self._insert_message(db, OutgoingMessage(item.instance_id, item.execution_id, EVENT, result))
        return True
