"""Timer triggers served by DevHost."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from devhost.host import DevHost
from tests.devhost.helpers import APPS, eventually

pytestmark = pytest.mark.slow


def _entries(path: Path) -> list[dict[str, bool]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def test_every_second_schedule_and_run_on_startup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESULTS_DIR", str(tmp_path / "out"))
    async with DevHost(APPS / "timers", tmp_path / "state", port=0, echo=lambda _: None):

        async def ticked_twice() -> bool:
            return len(_entries(tmp_path / "out" / "every_second.jsonl")) >= 2

        await eventually(ticked_twice)
    assert _entries(tmp_path / "out" / "yearly.jsonl") == [{"past_due": False}]
    assert (tmp_path / "state" / "timers" / "every_second.json").exists()


async def test_occurrence_missed_while_down_fires_past_due(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESULTS_DIR", str(tmp_path / "out"))
    status = tmp_path / "state" / "timers" / "yearly.json"
    status.parent.mkdir(parents=True)
    missed = datetime.now(UTC) - timedelta(days=1)
    status.write_text(json.dumps({"Last": None, "Next": missed.isoformat(), "LastUpdated": missed.isoformat()}))
    async with DevHost(APPS / "timers", tmp_path / "state", port=0, echo=lambda _: None):

        async def fired() -> list[dict[str, bool]]:
            return _entries(tmp_path / "out" / "yearly.jsonl")

        assert await eventually(fired) == [{"past_due": True}]
    assert json.loads(status.read_text())["Next"].startswith(f"{datetime.now(UTC).year + 1}-01-01T00:00:00")
