"""Opt-in episode trace: with `DEVHOST_EPISODE_TRACE=<file>`, devhost appends one JSON line per orchestrator
episode that ran the app's orchestrator function, for finding orchestrations whose replays grow costly.

Fields: `instance`, `name`, `history_events` (replayed + new, what the SDK was handed), `context_bytes` (the
context JSON), `sdk_ms` (wall time of the orchestrator function call in its thread, so it includes waiting for
the GIL; the invocation log line also counts the wait for a pool thread), `sdk_cpu_ms` (CPU time of that thread
during the call: the replay's own cost), `episode_ms` (the whole episode in devhost: reading the inbox and history,
the call, checking the actions, committing), `outcome` ("Succeeded" or the orchestrator's failure). A relative
path is relative to devhost's working directory. Unset (the default), nothing is written.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from devhost.durable.episodes import SdkResult
from devhost.durable.records import Instance

EPISODE_TRACE_SETTING = "DEVHOST_EPISODE_TRACE"


@dataclass
class SdkCall:
    """What the orchestrator function returned or raised, and what the call cost."""

    returned: Any
    raised: Exception | None
    wall_ms: float
    cpu_ms: float


def timed_call(func: Callable[[str], Any], payload: str) -> Callable[[], SdkCall]:
    """`func(payload)` as a callable for the orchestrator thread pool, timed in the thread that runs it."""

    def run() -> SdkCall:
        wall = time.perf_counter()
        cpu = time.thread_time()  # read inside the wall interval, so the CPU interval is within it
        try:
            returned, raised = func(payload), None
        except Exception as exc:
            returned, raised = None, exc
        cpu_ms = (time.thread_time() - cpu) * 1000
        return SdkCall(returned, raised, (time.perf_counter() - wall) * 1000, cpu_ms)

    return run


@dataclass
class EpisodeRecord:
    instance: str
    name: str
    history_events: int
    context_bytes: int
    sdk_ms: float
    sdk_cpu_ms: float
    episode_ms: float
    outcome: str


@dataclass
class OrchestratorCall:
    """One call of an orchestrator function in an episode: its result, and what the trace says about it."""

    result: SdkResult
    call: SdkCall
    history_events: int
    context_bytes: int

    def record(self, instance: Instance, episode_ms: float) -> EpisodeRecord:
        outcome = "Succeeded" if self.result.error is None else f"Failed: {self.result.error}"
        return EpisodeRecord(
            instance.instance_id, instance.name, self.history_events, self.context_bytes, self.call.wall_ms,
            self.call.cpu_ms, episode_ms, outcome,
        )  # fmt: skip


class EpisodeTrace:
    """Appends episode records to a JSON Lines file (created with its folder when missing)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._file = path.open("a", encoding="utf-8")

    @classmethod
    def from_environment(cls) -> EpisodeTrace | None:
        value = os.environ.get(EPISODE_TRACE_SETTING, "").strip()
        return cls(Path(value)) if value else None

    def write(self, record: EpisodeRecord) -> None:
        line = json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(record).items()})
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()  # a reader (a benchmark) sees every finished episode, even if devhost is killed

    def close(self) -> None:
        with self._lock:
            self._file.close()
