"""Scenario 4: the model endpoint answers 5xx (500, 502, 503) to every call for a while mid-run (60 s at full
size), then recovers; and for the whole run a twentieth of the model's answers never reach the app (the call
times out after LLM_TIMEOUT_SECONDS: answered by the server, lost in transit)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.faults.faults import model_storm
from tests.faults.run import Run
from tests.faults.world import is_chat, sizes, world

pytestmark = [pytest.mark.slow, pytest.mark.cosmos, pytest.mark.azurite, pytest.mark.timeout(900)]


def test_model_5xx_storm_then_recovery_with_timeouts_throughout(tmp_path: Path) -> None:
    size = sizes()
    with world(tmp_path) as w:
        w.model_proxy.hold(0.05, match=is_chat)
        run = Run(w, size)
        run.prepare()
        run.start(timeout=800)
        run.wait_for_model_calls(1 / 3)
        model_storm(w.model_proxy)
        time.sleep(size.long_outage_s)
        w.model_proxy.clear()
        w.model_proxy.hold(0.05, match=is_chat)
        run.fault_ended = time.monotonic()
        figures = run.finish()
        figures.scenario = "4-model-5xx-storm-and-timeouts"
        chat = [e for e in w.model_proxy.snapshot() if is_chat_exchange(e.method, e.path)]
        figures.notes["storm_s"] = size.long_outage_s
        figures.notes["model_5xx"] = sum(1 for e in chat if (e.fault or "").startswith("answer:5"))
        figures.notes["model_timed_out"] = sum(1 for e in chat if e.fault == "hold")
    figures.report()
    assert figures.notes["model_timed_out"] > 0 and figures.notes["model_5xx"] > 0
    figures.check()


def is_chat_exchange(method: str, path: str) -> bool:
    return method == "POST" and path.split("?")[0].endswith("/chat/completions")
