"""The pure replay: sequence numbers as the extension assigns them, and non-determinism detection."""

from __future__ import annotations

from typing import Any

import pytest

from devhost.durable.errors import NonDeterminismError, UnsupportedActionError
from devhost.durable.protocol import EventType, event
from devhost.durable.replay import ACTIVITY, SUB_ORCHESTRATION, TIMER, replay

T0 = "2026-01-01T00:00:00.000000Z"
T1 = "2026-01-01T00:00:01.000000Z"


def start() -> list[dict[str, Any]]:
    return [event(EventType.ORCHESTRATOR_STARTED, T0), event(EventType.EXECUTION_STARTED, T0, Name="o", Input=None)]


def activity(name: str) -> dict[str, Any]:
    return {"actionType": 0, "functionName": name, "input": None}


def test_first_episode_schedules_first_action_only_when_sequential() -> None:
    outcome = replay("i", start(), [activity("a")])
    assert [(w.task_id, w.kind, w.name) for w in outcome.new_work] == [(0, ACTIVITY, "a")]


def test_when_all_fans_out_with_consecutive_ids() -> None:
    actions = [{"actionType": 12, "compoundActions": [activity("a"), activity("b"), activity("c")]}]
    outcome = replay("i", start(), actions)
    assert [(w.task_id, w.name) for w in outcome.new_work] == [(0, "a"), (1, "b"), (2, "c")]


def test_next_action_waits_for_the_previous_one() -> None:
    history = [
        *start(),
        event(EventType.TASK_SCHEDULED, T0, 0, Name="a"),
        event(EventType.ORCHESTRATOR_COMPLETED, T0),
        event(EventType.ORCHESTRATOR_STARTED, T1),
        event(EventType.TASK_COMPLETED, T1, TaskScheduledId=0, Result="1"),
    ]
    outcome = replay("i", history, [activity("a"), activity("b")])
    assert [(w.task_id, w.name) for w in outcome.new_work] == [(1, "b")]


def test_retry_failure_schedules_a_timer_with_the_delay() -> None:
    retry = {
        "actionType": 1,
        "functionName": "a",
        "input": None,
        "retryOptions": {"firstRetryIntervalInMilliseconds": 500, "maxNumberOfAttempts": 3},
    }
    history = [
        *start(),
        event(EventType.TASK_SCHEDULED, T0, 0, Name="a"),
        event(EventType.ORCHESTRATOR_COMPLETED, T0),
        event(EventType.ORCHESTRATOR_STARTED, T1),
        event(EventType.TASK_FAILED, T1, TaskScheduledId=0, Reason="x", Details=""),
    ]
    outcome = replay("i", history, [retry])
    [timer] = outcome.new_work
    assert (timer.task_id, timer.kind, timer.fire_at) == (1, TIMER, "2026-01-01T00:00:01.500000Z")


@pytest.mark.parametrize(
    ("scheduled", "actions", "expected"),
    [
        (event(EventType.TASK_SCHEDULED, T0, 0, Name="a"), [activity("b")], ["'a'", "'b'"]),
        (event(EventType.TASK_SCHEDULED, T0, 0, Name="a"), [], ["'a'", "nothing"]),
        (
            event(EventType.TASK_SCHEDULED, T0, 0, Name="a"),
            [{"actionType": 5, "fireAt": T1, "isCanceled": False}],
            ["activity 'a'", "timer"],
        ),
        (
            event(EventType.TIMER_CREATED, T0, 0, FireAt=T1),
            [activity("a")],
            ["timer", "activity 'a'"],
        ),
        (
            event(EventType.SUB_ORCHESTRATION_CREATED, T0, 0, Name="child", InstanceId="c"),
            [{"actionType": 2, "functionName": "other", "input": None, "instanceId": "c"}],
            [SUB_ORCHESTRATION, "'child'", "'other'"],
        ),
    ],
)
def test_non_determinism_names_both_sides(scheduled: dict[str, Any], actions: list[dict], expected: list[str]) -> None:
    history = [*start(), scheduled, event(EventType.ORCHESTRATOR_COMPLETED, T0)]
    with pytest.raises(NonDeterminismError) as info:
        replay("i", history, actions)
    message = str(info.value)
    assert "non-deterministic" in message.lower()
    for part in expected:
        assert part in message


def test_sub_orchestration_without_id_gets_a_deterministic_one() -> None:
    outcome = replay("parent", start(), [{"actionType": 2, "functionName": "child", "input": "1", "instanceId": None}])
    assert outcome.new_work[0].instance_id == "parent:0000"


def test_entities_are_refused_clearly() -> None:
    with pytest.raises(UnsupportedActionError, match="7"):
        replay("i", start(), [{"actionType": 7, "instanceId": "@e@k", "operation": "add"}])


def when_any(*children: dict[str, Any]) -> dict[str, Any]:
    return {"actionType": 11, "compoundActions": list(children)}


class Episodes:
    """A history grown the way the host grows it: each episode's new work is recorded as scheduled."""

    def __init__(self, actions: list[dict[str, Any]]) -> None:
        self.actions = actions
        self.history = start()
        self.scheduled = self._run()

    def _run(self) -> list[str]:
        outcome = replay("i", self.history, self.actions)
        for work in outcome.new_work:
            self.history.append(event(EventType.TASK_SCHEDULED, T0, work.task_id, Name=work.name))
        self.history.append(event(EventType.ORCHESTRATOR_COMPLETED, T0))
        return [work.name for work in outcome.new_work]

    def complete(self, name: str) -> list[str]:
        """Complete the activity `name`; what the next episode schedules."""
        (task_id,) = [
            e["EventId"] for e in self.history if e["EventType"] == EventType.TASK_SCHEDULED and e["Name"] == name
        ]
        self.history.append(event(EventType.ORCHESTRATOR_STARTED, T1))
        self.history.append(event(EventType.TASK_COMPLETED, T1, TaskScheduledId=task_id, Result="1"))
        return self._run()


def test_a_when_any_naming_only_a_new_task_holds_back_every_later_action() -> None:
    # The shim (OutOfProcOrchestrationShim.ProcessAsyncActionsV2) awaits each top-level action before it invokes
    # the next. The SDK's WhenAny over running tasks plus a new one names only the new one ("c"), so nothing after
    # it is scheduled until "c" finishes, however many of the running tasks finish meanwhile.
    run = Episodes([when_any(activity("a"), activity("b")), activity("p1"), when_any(activity("c")), activity("p2")])
    assert run.scheduled == ["a", "b"]
    assert run.complete("a") == ["p1"]
    assert run.complete("p1") == ["c"]
    assert run.complete("b") == []
    assert run.complete("c") == ["p2"]


def test_a_when_any_ends_at_its_first_child_and_the_others_keep_running() -> None:
    # Task.WhenAny in the shim: "c" is scheduled with "p1" and the next action starts once "p1" is done, while "c"
    # still runs; "c" finishing later schedules nothing by itself.
    run = Episodes([
        when_any(activity("a"), activity("b")),
        when_any(activity("p1"), activity("c")),
        when_any(activity("p2"), activity("d")),
    ])  # fmt: skip
    assert run.scheduled == ["a", "b"]
    assert run.complete("a") == ["p1", "c"]
    assert run.complete("p1") == ["p2", "d"]
    assert run.complete("c") == []
