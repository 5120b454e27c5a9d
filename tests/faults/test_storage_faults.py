"""Scenario 3: Blob Storage resets a tenth of its answers mid-response for the whole run, and Azurite (blob and
queue) is stopped and started again mid-run, with a job request in flight on the `job-requests` queue and
job-events messages on `job-events`."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.faults.run import Run
from tests.faults.world import sizes, world

pytestmark = [pytest.mark.slow, pytest.mark.azurite, pytest.mark.timeout(900)]

RESTART_PAUSE_S = 3.0


def test_blob_resets_and_azurite_restarted_mid_run(tmp_path: Path) -> None:
    size = sizes()
    with world(tmp_path, store="cosmos") as w:
        w.blob_proxy.reset(0.10)
        run = Run(w, size, query_by_queue=True)
        run.prepare()
        run.start(timeout=600)
        run.wait_for_model_calls(1 / 4)
        run.submit_query_by_queue()  # on the queue as Azurite goes down: devhost has it or not, it is not lost
        w.azurite.stop()
        time.sleep(RESTART_PAUSE_S)
        w.azurite.start()
        run.fault_ended = time.monotonic()
        figures = run.finish()
        figures.scenario = "3-blob-resets-azurite-restart"
        blob = w.blob_proxy.snapshot()
        figures.notes["blob_requests"] = len(blob)
        figures.notes["blob_reset"] = sum(1 for e in blob if e.fault == "reset")
        figures.notes["azurite_down_s"] = RESTART_PAUSE_S
    figures.report()
    assert figures.notes["blob_reset"] > 0  # the resets reached the app
    figures.check()
