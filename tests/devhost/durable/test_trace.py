"""The opt-in episode trace (DEVHOST_EPISODE_TRACE): one JSON line per orchestrator episode, with the history the
SDK replayed and what the call cost; nothing at all when the setting is unset."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import azure.durable_functions as df
import pytest

from devhost.durable.trace import EPISODE_TRACE_SETTING
from tests.devhost.durable.conftest import make_engine, reset_sdk_session, wait_done


def read_trace(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_each_episode_is_a_line_with_its_history_and_its_cost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trace = tmp_path / "trace" / "episodes.jsonl"
    monkeypatch.setenv(EPISODE_TRACE_SETTING, str(trace))
    engine = make_engine(tmp_path / "state")
    await engine.start()
    try:
        client = df.DurableOrchestrationClient(engine.client_binding())
        ok = await client.start_new("sequence", client_input=["A", "B", "C"])
        assert (await wait_done(client, ok)).runtime_status == df.OrchestrationRuntimeStatus.Completed
        broken = await client.start_new("raises")
        assert (await wait_done(client, broken)).runtime_status == df.OrchestrationRuntimeStatus.Failed
    finally:
        await engine.stop()
        await reset_sdk_session()

    lines = read_trace(trace)
    episodes = [line for line in lines if line["instance"] == ok]
    # Started, then one episode per activity result: each replays everything the previous one saw, and more.
    assert len(episodes) == 4
    assert {e["name"] for e in episodes} == {"sequence"}
    events = [e["history_events"] for e in episodes]
    assert events == sorted(events) and events[0] < events[-1]
    sizes = [e["context_bytes"] for e in episodes]
    assert sizes == sorted(sizes) and sizes[0] > 0
    for e in episodes:
        assert e["outcome"] == "Succeeded"
        assert 0 < e["sdk_cpu_ms"] <= e["sdk_ms"] + 0.01  # a thread's CPU time never exceeds its wall time
        assert e["sdk_ms"] <= e["episode_ms"]
    (last,) = [line for line in lines if line["instance"] == broken][-1:]
    assert last["outcome"].startswith("Failed") and "orchestrator broke" in last["outcome"]


async def test_unset_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(EPISODE_TRACE_SETTING, raising=False)
    monkeypatch.chdir(tmp_path)
    engine = make_engine(tmp_path / "state")
    await engine.start()
    try:
        client = df.DurableOrchestrationClient(engine.client_binding())
        done = await wait_done(client, await client.start_new("sequence", client_input=["A"]))
        assert done.runtime_status == df.OrchestrationRuntimeStatus.Completed
    finally:
        await engine.stop()
        await reset_sdk_session()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state"]
