"""JobRun.fan_out under the real SDK, its actions replayed the way the extension's out-of-proc shim replays them
(devhost's replay: top-level actions awaited one after another, WhenAny ending at its first child).

The SDK records a task's action only the first time it is yielded, so a refill yielded in a task_any with the
running calls would be a WhenAny naming the refill alone, and the shim would schedule nothing more until that
call finished. These tests check that a refill never holds back the next one."""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from activities import names
from devhost.durable.protocol import EventType, event
from devhost.durable.replay import replay
from orchestrators import progress
from orchestrators.retry_policies import LLM_CALL
from orchestrators.runner import FAN_OUT_WINDOW, JobRun
from shared.models.jobs import JobRef
from shared.pipeline.messages import CompareContractInput, ItemAnalyzed

T0 = "2026-01-01T00:00:00.000000Z"
CALL = "compare"
TOTAL = FAN_OUT_WINDOW + 4
REF = JobRef(job_id="job-1", user_id="user-1")


def orchestrator(context: df.DurableOrchestrationContext) -> Generator[Any, Any, list[str]]:
    run = JobRun(context, REF)
    payloads = [CompareContractInput(**REF.model_dump(), contract_id=f"c{i}", item_index=i, items_total=TOTAL)
                for i in range(TOTAL)]  # fmt: skip
    results = yield from run.fan_out(
        "calling_llm",
        CALL,
        LLM_CALL,
        payloads,
        ItemAnalyzed,
        lambda done, total: progress.comparing("job-1", done, total),
    )
    return [r.item for r in results]


HANDLE = df.Orchestrator.create(orchestrator)


class Instance:
    """One instance's episodes: the SDK computes the actions, the shim's replay schedules the new work."""

    def __init__(self) -> None:
        self.history: list[dict[str, Any]] = []
        self.work: dict[str, int] = {}  # "c3" / "progress 2" -> task id
        self.output: Any = None
        started = event(EventType.EXECUTION_STARTED, T0, Name="o", Version="", Input=None)
        self.scheduled = self._episode([event(EventType.ORCHESTRATOR_STARTED, T0), started])

    def _episode(self, new_events: list[dict[str, Any]]) -> list[str]:
        body = {
            "history": [*({**e, "IsPlayed": True} for e in self.history), *new_events],
            "input": None,
            "instanceId": "i",
            "isReplaying": False,
            "parentInstanceId": None,
            "upperSchemaVersion": 1,
        }
        state = json.loads(HANDLE(json.dumps(body)))
        self.history += new_events
        if state["isDone"]:
            self.output = state["output"]
        outcome = replay("i", self.history, state["actions"][0])  # raises on any non-determinism
        labels = []
        for work in outcome.new_work:
            self.history.append(event(EventType.TASK_SCHEDULED, T0, work.task_id, Name=work.name, Input=work.input))
            payload = json.loads(work.input or "null")
            label = payload["contract_id"] if work.name == CALL else f"progress {payload['progress']['items_done']}"
            self.work[label] = work.task_id
            labels.append(label)
        self.history.append(event(EventType.ORCHESTRATOR_COMPLETED, T0))
        return labels

    def finish(self, label: str) -> list[str]:
        """Complete one scheduled call or progress mirror; return what the next episode schedules."""
        result = {"status": "ok", "item": label} if not label.startswith("progress") else None
        return self._episode([
            event(EventType.ORCHESTRATOR_STARTED, T0),
            event(EventType.TASK_COMPLETED, T0, TaskScheduledId=self.work[label], Result=json.dumps(result)),
        ])  # fmt: skip


def test_the_first_window_starts_at_once() -> None:
    assert Instance().scheduled == [f"c{i}" for i in range(FAN_OUT_WINDOW)]


def test_each_finished_call_starts_the_next_while_earlier_refills_still_run() -> None:
    job = Instance()
    assert job.finish("c0") == ["progress 1", "c8"]
    assert job.finish("progress 1") == []
    # c8 still runs: c1 finishing starts c9 anyway (before the fix the shim waited for c8 first).
    assert job.finish("c1") == ["progress 2", "c9"]
    assert job.finish("progress 2") == []
    assert job.finish("c2") == ["progress 3", "c10"]
    assert job.finish("progress 3") == []
    assert job.finish("c3") == ["progress 4", "c11"]
    assert job.finish("progress 4") == []


def test_a_refill_that_finishes_before_its_progress_mirror_is_counted_once() -> None:
    job = Instance()
    assert job.finish("c0") == ["progress 1", "c8"]
    assert job.finish("c8") == []  # the orchestrator still waits for the mirror
    assert job.finish("progress 1") == ["progress 2", "c9"]  # then takes c8's result at once
    assert job.finish("progress 2") == []


def test_every_call_completes_in_any_order_and_the_results_keep_payload_order() -> None:
    job = Instance()
    running = list(job.scheduled)
    finished: list[str] = []
    while running:
        label = running.pop()  # last scheduled first: refills finish before the older calls
        finished.append(label)
        running += job.finish(label)
    assert sorted(c for c in finished if not c.startswith("progress")) == sorted(f"c{i}" for i in range(TOTAL))
    assert job.output == [f"c{i}" for i in range(TOTAL)]


def test_the_refill_and_its_mirror_go_out_in_one_when_any() -> None:
    job = Instance()
    job.finish("c0")
    body = {"history": [{**e, "IsPlayed": True} for e in job.history], "input": None, "instanceId": "i",
            "isReplaying": True, "parentInstanceId": None, "upperSchemaVersion": 1}  # fmt: skip
    actions = json.loads(HANDLE(json.dumps(body)))["actions"][0]
    refill = actions[-1]
    assert refill["actionType"] == 11  # WhenAny
    inner = [a["compoundActions"][0] if a["actionType"] == 12 else a for a in refill["compoundActions"]]
    assert [a["functionName"] for a in inner] == [names.RECORD_PROGRESS, CALL]
