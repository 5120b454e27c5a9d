"""Scenario 1: a tenth of the store's requests fail for the whole run. On Cosmos DB: 429 with
x-ms-retry-after-ms and 503, through the proxy in front of the Cosmos-compatible server. On the embedded SQLite
store: "database is locked", injected into the app's own sqlite3 driver (tests/faults/inject/sitecustomize.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.faults.faults import cosmos_throttles_and_fails
from tests.faults.run import Run
from tests.faults.world import INJECT, sizes, world

pytestmark = [pytest.mark.slow, pytest.mark.cosmos, pytest.mark.azurite, pytest.mark.timeout(900)]


def test_cosmos_answering_429_and_503_to_a_tenth_of_requests(tmp_path: Path) -> None:
    size = sizes()
    with world(tmp_path) as w:
        run = Run(w, size)
        assert w.cosmos_proxy is not None
        cosmos_throttles_and_fails(w.cosmos_proxy, 0.10)
        run.prepare()
        run.start(timeout=600)
        figures = run.finish()
        figures.scenario = "1-cosmos-429-503"
        faulted = [e for e in w.cosmos_proxy.snapshot() if e.fault]
        figures.notes["cosmos_requests"] = len(w.cosmos_proxy.snapshot())
        figures.notes["cosmos_faulted"] = len(faulted)
    figures.report()
    figures.check()


def test_sqlite_answering_database_is_locked_to_a_tenth_of_statements(tmp_path: Path) -> None:
    size = sizes()
    log = tmp_path / "locked.log"
    injected = {
        "PYTHONPATH": os.pathsep.join(p for p in (str(INJECT), os.environ.get("PYTHONPATH", "")) if p),
        "FAULTS_SQLITE_LOCKED_SHARE": "0.10",
        "FAULTS_SQLITE_LOCKED_LOG": str(log),
    }
    with world(tmp_path, store="sqlite", **injected) as w:
        run = Run(w, size)
        run.prepare()
        run.start(timeout=600)
        figures = run.finish()
        figures.scenario = "1-sqlite-locked"
        figures.notes["statements_locked"] = len(log.read_text().splitlines()) if log.exists() else 0
    figures.report()
    assert figures.notes["statements_locked"] > 0  # the injection reached the app's store
    figures.check()
