"""Scenario 5: devhost SIGKILLed at random moments of one run (10 kills), started again each time on the same
state, store and port, as a crashed worker is replaced. The embedded SQLite store: between a kill and the restart
the test reads which model answers it holds, so an answer asked for again after a kill is told apart: lost with the
worker before it was stored (fine), or stored and bought again (paid twice). An economy batch runs too: its remote
batch is polled across kills, found again after each, and created once."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from tests.faults.ledger import Kill, stored_nonces
from tests.faults.run import Run
from tests.faults.world import is_chat, sizes, world

pytestmark = [pytest.mark.slow, pytest.mark.azurite, pytest.mark.timeout(1200)]

ECONOMY_DOCUMENTS = 5  # x 2 prompts: 10 lines in one remote batch
REMOTE_BATCH_S = 60.0  # the fake Batch API completes a batch this long after its creation: polled across kills
MODEL_LATENCY_S = (1.5, 0.5)  # every model call takes 1-2 s: the run spans the kills


def test_devhost_killed_ten_times_in_one_run(tmp_path: Path) -> None:
    size = sizes()
    chance = random.Random(20)
    with world(tmp_path, store="sqlite") as w:
        w.model.batch_api.complete_after = REMOTE_BATCH_S
        w.model_proxy.latency(MODEL_LATENCY_S[0], jitter=MODEL_LATENCY_S[1], match=is_chat)
        run = Run(w, size, economy_documents=ECONOMY_DOCUMENTS)
        run.prepare()
        run.start(timeout=900)
        polled_kill = False
        restarts: list[float] = []
        while len(run.kills) < size.kills and not run.all_ended():
            time.sleep(chance.uniform(0.5, 3.0))
            if not polled_kill and len(run.kills) >= size.kills // 2:
                # One kill while the remote batch is being polled: wait for it to be in progress first.
                run.wait_until(lambda: run.remote_batch_status() == "in_progress", timeout=120)
                polled_kill = True
            at = time.monotonic()
            w.kill_app()
            run.kills.append(Kill(at, stored_nonces(w.sqlite_file)))
            w.start_app()
            restarts.append(time.monotonic() - at)
        run.fault_ended = time.monotonic()
        figures = run.finish()
        figures.scenario = "5-devhost-sigkill"
        figures.notes["kills"] = len(run.kills)
        figures.notes["kill_while_polled"] = polled_kill
        figures.notes["restart_s_max"] = round(max(restarts, default=0.0), 1)
    figures.report()
    assert len(run.kills) == size.kills, f"the run ended after {len(run.kills)} kills"
    assert polled_kill
    (economy,) = [r for r in figures.records.values() if "remote_batches" in r]
    assert (economy["remote_uploads"], economy["remote_batches"]) == (1, 1), economy
    figures.check()
