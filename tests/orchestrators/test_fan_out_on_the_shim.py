"""The fan-out under the real SDK, its actions replayed the way the extension's out-of-proc shim replays them
(devhost's replay: top-level actions awaited one after another, WhenAny ending at its first child).

The SDK records a task's action only the first time it is yielded, so a refill yielded in a task_any with the
running calls would be a WhenAny naming the refill alone, and the shim would schedule nothing more until that
call finished: the fan-out would go serial after its first window. `start_now` hands each refill over in a WhenAny
that ends at once (a timer cancelled as it is made). These tests fail if a refill ever holds back the next one."""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from devhost.durable.protocol import EventType, event
from devhost.durable.replay import TIMER, replay
from orchestrators.fan_out import FAN_OUT_WINDOW, fan_out
from orchestrators.job_run import JobRun
from orchestrators.retry_policies import LLM_CALL
from shared.comparison.messages import CompareContractInput
from shared.jobs.messages import Outcome
from shared.jobs.models import JobRef, ProcessingStep

T0 = "2026-01-01T00:00:00.000000Z"
CALL = "compare"
TOTAL = FAN_OUT_WINDOW + 4
REF = JobRef(job_id="job-1", user_id="user-1")


def orchestrator(context: df.DurableOrchestrationContext) -> Generator[Any, Any, list[int]]:
    run = JobRun(context, REF)
    payloads = [CompareContractInput(**REF.model_dump(), contract_id=f"c{i}", items_total=TOTAL) for i in range(TOTAL)]
    results = yield from fan_out(run, ProcessingStep.CALLING_LLM, CALL, LLM_CALL, payloads, Outcome)
    return [r.progress.seq if r.progress else -1 for r in results]


HANDLE = df.Orchestrator.create(orchestrator)


class Instance:
    """One instance's episodes: the SDK computes the actions, the shim's replay schedules the new work."""

    def __init__(self) -> None:
        self.history: list[dict[str, Any]] = []
        self.work: dict[str, int] = {}  # "c3" / "timer 9" -> task id
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
            if work.kind == TIMER:
                self.history.append(event(EventType.TIMER_CREATED, T0, work.task_id, FireAt=work.fire_at))
                label = f"timer {work.task_id}"
            else:
                self.history.append(event(EventType.TASK_SCHEDULED, T0, work.task_id, Name=work.name, Input=work.input))
                label = json.loads(work.input or "null")["contract_id"]
            self.work[label] = work.task_id
            labels.append(label)
        self.history.append(event(EventType.ORCHESTRATOR_COMPLETED, T0))
        return labels

    def finish(self, label: str) -> list[str]:
        """Complete one scheduled call, or fire one timer; return what the next episode schedules."""
        task_id = self.work[label]
        if label.startswith("timer"):
            done = event(EventType.TIMER_FIRED, T0, TimerId=task_id, FireAt=T0)
        else:
            result = {"progress": {"current_step": "calling_llm", "percentage": 60, "message": label, "seq": task_id}}
            done = event(EventType.TASK_COMPLETED, T0, TaskScheduledId=task_id, Result=json.dumps(result))
        return self._episode([event(EventType.ORCHESTRATOR_STARTED, T0), done])


def calls(labels: list[str]) -> list[str]:
    return [label for label in labels if not label.startswith("timer")]


def timers(labels: list[str]) -> list[str]:
    return [label for label in labels if label.startswith("timer")]


def test_the_first_window_starts_at_once() -> None:
    assert Instance().scheduled == [f"c{i}" for i in range(FAN_OUT_WINDOW)]


def test_each_finished_call_starts_the_next_while_earlier_refills_still_run() -> None:
    job = Instance()
    first = job.finish("c0")
    assert calls(first) == ["c8"] and len(timers(first)) == 1
    # c8 still runs: c1 finishing starts c9 anyway, once the wake-up timer of c8's hand-over has fired. If the
    # fan-out went serial, nothing would be scheduled until c8 finished.
    assert job.finish(timers(first)[0]) == []
    second = job.finish("c1")
    assert calls(second) == ["c9"]
    assert job.finish(timers(second)[0]) == []
    third = job.finish("c2")
    assert calls(third) == ["c10"]


def test_a_call_finishing_right_after_a_hand_over_is_taken_at_once() -> None:
    job = Instance()
    job.finish("c0")
    # The hand-over of c8 ended in its own episode (its timer was cancelled as it was made): c1 starts c9 at once,
    # with no wake-up timer to wait for first, and the hand-over's timer firing later changes nothing.
    second = job.finish("c1")
    assert calls(second) == ["c9"]
    assert job.finish(timers(second)[0]) == []


def test_at_most_a_window_of_calls_is_ever_in_flight() -> None:
    job = Instance()
    running = set(job.scheduled)
    peak = len(running)
    pending = list(job.scheduled)
    while pending:
        label = pending.pop(0)
        new = job.finish(label)
        running.discard(label)
        running |= set(calls(new))
        peak = max(peak, len(running))
        pending += new
    assert peak == FAN_OUT_WINDOW


def test_every_call_completes_in_any_order_and_the_results_keep_payload_order() -> None:
    job = Instance()
    running = list(job.scheduled)
    finished: list[str] = []
    while running:
        label = running.pop()  # last scheduled first: refills finish before the older calls
        finished.append(label)
        running += job.finish(label)
    assert sorted(calls(finished)) == sorted(f"c{i}" for i in range(TOTAL))
    assert job.output == [job.work[f"c{i}"] for i in range(TOTAL)]


def test_the_refill_and_its_wake_up_timer_go_out_in_one_when_any() -> None:
    job = Instance()
    job.finish("c0")
    body = {"history": [{**e, "IsPlayed": True} for e in job.history], "input": None, "instanceId": "i",
            "isReplaying": True, "parentInstanceId": None, "upperSchemaVersion": 1}  # fmt: skip
    actions = json.loads(HANDLE(json.dumps(body)))["actions"][0]
    refill = actions[-1]
    assert refill["actionType"] == 11  # WhenAny
    inner = [a["compoundActions"][0] if a["actionType"] == 12 else a for a in refill["compoundActions"]]
    assert [a.get("functionName", "timer") for a in inner] == [CALL, "timer"]
