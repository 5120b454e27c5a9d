"""Scenario 2: Cosmos DB unreachable in the middle of the run (30 s at full size): the proxy stops listening, so
new connections are refused, and resets every open one; then it listens again."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.faults.run import Run
from tests.faults.world import sizes, world

pytestmark = [pytest.mark.slow, pytest.mark.cosmos, pytest.mark.azurite, pytest.mark.timeout(900)]


def test_cosmos_unreachable_mid_run(tmp_path: Path) -> None:
    size = sizes()
    with world(tmp_path) as w:
        assert w.cosmos_proxy is not None
        run = Run(w, size)
        run.prepare()
        run.start(timeout=600)
        run.wait_for_model_calls(1 / 3)
        w.cosmos_proxy.unreachable()
        time.sleep(size.short_outage_s)
        w.cosmos_proxy.reachable()
        run.fault_ended = time.monotonic()
        figures = run.finish()
        figures.scenario = "2-cosmos-unreachable"
        figures.notes["outage_s"] = size.short_outage_s
    figures.report()
    figures.check()
