"""Loaded by the app's interpreter at start when tests/faults/inject is on its PYTHONPATH (Python imports
`sitecustomize` by itself): SQLite's own "database is locked", injected where SQLite gives it, for scenario 1 on
the embedded store.

FAULTS_SQLITE_LOCKED_SHARE (0..1) of the statements run on the app's store file (contractjobs.sqlite3) outside a
transaction, a read or the BEGIN IMMEDIATE that opens a write, fail as SQLite fails them when another writer holds
the file past the busy timeout. Inside a transaction the write lock is already held, so nothing is injected there.
The driver's class is replaced before the app imports it, so the store's own handling (its Connection subclass)
sits above the injected failure, as above the real one. Each injected failure is counted in
FAULTS_SQLITE_LOCKED_LOG (one line each), for the figures.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
from typing import Any

_SHARE = float(os.environ.get("FAULTS_SQLITE_LOCKED_SHARE") or 0)
_LOG = os.environ.get("FAULTS_SQLITE_LOCKED_LOG")
_TARGET = "contractjobs.sqlite3"

if _SHARE > 0:
    _Real = sqlite3.Connection
    _random = random.Random(int(os.environ.get("FAULTS_SEED") or 0))
    _lock = threading.Lock()

    class _Locking(_Real):  # type: ignore[misc, valid-type]
        def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
            super().__init__(database, *args, **kwargs)
            self._faulty = str(database).endswith(_TARGET)

        def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
            if self._faulty and not self.in_transaction:
                with _lock:
                    hit = _random.random() < _SHARE
                if hit:
                    if _LOG:
                        with _lock, open(_LOG, "a") as log:
                            log.write(sql.split(None, 1)[0] + "\n")
                    raise sqlite3.OperationalError("database is locked")
            return super().execute(sql, parameters)

    sqlite3.Connection = _Locking  # type: ignore[misc]
