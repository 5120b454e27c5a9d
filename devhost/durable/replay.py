"""Turn an orchestrator's cumulative actions into new work, the way the Durable extension's shim does.

The extension replays the SDK's schema-V2 actions through the Durable Task Framework: top-level actions are
awaited one after another (a yield each), WhenAll/WhenAny compounds fan out, retries are "task, then a timer,
then a new task", and every activity, timer and sub-orchestration takes the next sequence number in the order
it is scheduled while history events are delivered in order.  Re-doing that here gives the same sequence
numbers the SDK assigns, and lets us check every scheduling event of the history against the actions
(the SDK itself never detects non-determinism).  Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from devhost.durable.errors import NonDeterminismError, UnsupportedActionError
from devhost.durable.protocol import ActionType, EventType, format_time, parse_time

ACTIVITY = "activity"
TIMER = "timer"
SUB_ORCHESTRATION = "sub-orchestration"

_SCHEDULING_EVENTS = {
    EventType.TASK_SCHEDULED: ACTIVITY,
    EventType.TIMER_CREATED: TIMER,
    EventType.SUB_ORCHESTRATION_CREATED: SUB_ORCHESTRATION,
}
_COMPLETION_EVENTS = {
    EventType.TASK_COMPLETED: ("TaskScheduledId", False),
    EventType.TASK_FAILED: ("TaskScheduledId", True),
    EventType.SUB_ORCHESTRATION_COMPLETED: ("TaskScheduledId", False),
    EventType.SUB_ORCHESTRATION_FAILED: ("TaskScheduledId", True),
    EventType.TIMER_FIRED: ("TimerId", False),
}


@dataclass
class NewWork:
    """Something the orchestrator scheduled that the history does not have yet."""

    task_id: int
    kind: str
    name: str = ""
    input: str | None = None
    fire_at: str = ""
    instance_id: str = ""


@dataclass
class ReplayOutcome:
    new_work: list[NewWork] = field(default_factory=list)
    continue_as_new_input: str | None = None
    continued_as_new: bool = False


class _Task:
    def __init__(self) -> None:
        self.done = False
        self.failed = False
        self._listeners: list[Callable[[_Task], None]] = []

    def finish(self, failed: bool) -> None:
        if self.done:
            return
        self.done, self.failed = True, failed
        for listener in self._listeners:
            listener(self)

    def on_done(self, listener: Callable[[_Task], None]) -> None:
        if self.done:
            listener(self)
        else:
            self._listeners.append(listener)


@dataclass
class _Leaf:
    task: _Task
    work: NewWork


class _Replayer:
    def __init__(self, instance_id: str, actions: Sequence[dict[str, Any]]) -> None:
        self.instance_id = instance_id
        self.actions = list(actions)
        self.next_action = 0
        self.current: _Task | None = None
        self.sequence = 0
        self.scheduled: dict[int, _Leaf] = {}
        self.now: datetime | None = None
        self.waiters: dict[str, deque[_Task]] = {}
        self.buffered: dict[str, int] = {}
        self.outcome = ReplayOutcome()

    # -- scheduling -------------------------------------------------------------------------------------
    def _schedule(self, work: NewWork) -> _Task:
        work.task_id = self.sequence
        self.sequence += 1
        leaf = _Leaf(_Task(), work)
        self.scheduled[work.task_id] = leaf
        return leaf.task

    def _timer(self, fire_at: str, cancelled: bool = False) -> _Task:
        task = self._schedule(NewWork(0, TIMER, fire_at=fire_at))
        if cancelled:
            # The shim cancels the timer's token right away, which completes the awaited task. The framework keeps
            # the timer scheduled all the same (its TimerFired comes at FireAt, and is ignored): so does devhost.
            task.finish(failed=False)
        return task

    def _call(self, action: dict[str, Any], kind: str) -> NewWork:
        name = str(action.get("functionName", ""))
        work = NewWork(0, kind, name=name, input=action.get("input"))
        if kind == SUB_ORCHESTRATION:
            work.instance_id = str(action.get("instanceId") or "")
        return work

    def _build(self, action: dict[str, Any]) -> _Task:
        kind = action.get("actionType")
        if kind == ActionType.CALL_ACTIVITY:
            return self._schedule(self._call(action, ACTIVITY))
        if kind == ActionType.CALL_SUB_ORCHESTRATOR:
            return self._schedule(self._sub_orchestration(action))
        if kind == ActionType.CALL_ACTIVITY_WITH_RETRY:
            return self._retry(action, ACTIVITY)
        if kind == ActionType.CALL_SUB_ORCHESTRATOR_WITH_RETRY:
            return self._retry(action, SUB_ORCHESTRATION)
        if kind == ActionType.CREATE_TIMER:
            return self._timer(str(action["fireAt"]), bool(action.get("isCanceled")))
        if kind == ActionType.WAIT_FOR_EXTERNAL_EVENT:
            return self._wait_event(str(action["externalEventName"]))
        if kind == ActionType.CONTINUE_AS_NEW:
            self.outcome.continued_as_new = True
            self.outcome.continue_as_new_input = action.get("input")
            done = _Task()
            done.finish(failed=False)
            return done
        if kind in (ActionType.WHEN_ALL, ActionType.WHEN_ANY):
            children = [self._build(child) for child in action.get("compoundActions", [])]
            return self._compound(children, wait_all=kind == ActionType.WHEN_ALL)
        raise UnsupportedActionError(kind)

    def _sub_orchestration(self, action: dict[str, Any]) -> NewWork:
        work = self._call(action, SUB_ORCHESTRATION)
        if not work.instance_id:
            # Deterministic child id, derived from the parent and the child's sequence number.
            work.instance_id = f"{self.instance_id}:{self.sequence:04X}"
        return work

    def _compound(self, children: list[_Task], wait_all: bool) -> _Task:
        # .NET Task.WhenAll waits for every child even after a failure; WhenAny completes on the first.
        parent = _Task()
        if not children:
            parent.finish(failed=False)
            return parent

        def child_done(child: _Task) -> None:
            if not wait_all:
                parent.finish(failed=False)
            elif all(c.done for c in children):
                parent.finish(failed=any(c.failed for c in children))

        for child in children:
            child.on_done(child_done)
        return parent

    def _wait_event(self, name: str) -> _Task:
        task = _Task()
        if self.buffered.get(name, 0) > 0:
            self.buffered[name] -= 1
            task.finish(failed=False)
        else:
            self.waiters.setdefault(name, deque()).append(task)
        return task

    def _retry(self, action: dict[str, Any], kind: str) -> _Task:
        options = action.get("retryOptions") or {}
        first_ms = float(options.get("firstRetryIntervalInMilliseconds", 1000))
        max_attempts = int(options.get("maxNumberOfAttempts", 1))
        backoff = float(options.get("backoffCoefficient", 1.0))
        max_interval_ms = options.get("maxRetryIntervalInMilliseconds")
        timeout_ms = options.get("retryTimeoutInMilliseconds")
        started = self.now
        result = _Task()
        attempt = 0

        def start_attempt() -> None:
            work = self._sub_orchestration(action) if kind == SUB_ORCHESTRATION else self._call(action, kind)
            self._schedule(work).on_done(attempt_done)

        def attempt_done(task: _Task) -> None:
            nonlocal attempt
            if not task.failed:
                result.finish(failed=False)
                return
            delay_ms = first_ms * backoff**attempt
            if max_interval_ms is not None:
                delay_ms = min(delay_ms, float(max_interval_ms))
            expired = (
                timeout_ms is not None
                and started is not None
                and self.now is not None
                and self.now >= started + timedelta(milliseconds=float(timeout_ms))
            )
            if delay_ms <= 0 or expired:
                result.finish(failed=True)
                return
            assert self.now is not None
            fire_at = format_time(self.now + timedelta(milliseconds=delay_ms))
            self._timer(fire_at).on_done(timer_done)

        def timer_done(_: _Task) -> None:
            nonlocal attempt
            attempt += 1
            # Like the framework, the last failed attempt is still followed by its timer before failing.
            if attempt >= max_attempts:
                result.finish(failed=True)
            else:
                start_attempt()

        start_attempt()
        return result

    # -- the sequential await of the shim ----------------------------------------------------------------
    def advance(self) -> None:
        while (self.current is None or self.current.done) and self.next_action < len(self.actions):
            self.current = self._build(self.actions[self.next_action])
            self.next_action += 1

    # -- history delivery --------------------------------------------------------------------------------
    def deliver(self, event: dict[str, Any], started: bool) -> bool:
        kind = EventType(event["EventType"]) if event["EventType"] in EventType._value2member_map_ else None
        if kind == EventType.ORCHESTRATOR_STARTED:
            self.now = parse_time(event["Timestamp"])
        elif kind == EventType.EXECUTION_STARTED:
            self.advance()
            return True
        elif kind in _SCHEDULING_EVENTS:
            self._check_scheduled(event, _SCHEDULING_EVENTS[kind])
        elif kind in _COMPLETION_EVENTS and started:
            id_key, failed = _COMPLETION_EVENTS[kind]
            leaf = self.scheduled.get(int(event.get(id_key, -1)))
            if leaf is not None:
                leaf.task.finish(failed)
                self.advance()
        elif kind == EventType.EVENT_RAISED and started:
            name = str(event.get("Name", ""))
            waiting = self.waiters.get(name)
            if waiting:
                waiting.popleft().finish(failed=False)
                self.advance()
            else:
                self.buffered[name] = self.buffered.get(name, 0) + 1
        return started

    def _check_scheduled(self, event: dict[str, Any], kind: str) -> None:
        task_id = int(event["EventId"])
        name = str(event.get("Name", "")) if kind != TIMER else "timer"
        leaf = self.scheduled.get(task_id)
        if leaf is None:
            raise NonDeterminismError(task_id, kind, name, "schedules nothing at that sequence number")
        actual_name = leaf.work.name if leaf.work.kind != TIMER else "timer"
        if leaf.work.kind != kind or actual_name != name:
            raise NonDeterminismError(task_id, kind, name, f"schedules {leaf.work.kind} '{actual_name}' there")


def replay(instance_id: str, history: Sequence[dict[str, Any]], actions: Sequence[dict[str, Any]]) -> ReplayOutcome:
    """Replay `actions` (the SDK's flat V2 list) against `history`; return the work not in the history yet.

    Raises NonDeterminismError when a scheduling event of the history has no matching action.
    """
    replayer = _Replayer(instance_id, actions)
    started = False
    known: set[int] = set()
    for event in history:
        started = replayer.deliver(event, started)
        if event["EventType"] in _SCHEDULING_EVENTS:
            known.add(int(event["EventId"]))
    if not started:
        replayer.advance()
    outcome = replayer.outcome
    for task_id in sorted(replayer.scheduled):
        if task_id not in known:
            outcome.new_work.append(replayer.scheduled[task_id].work)
    return outcome


def timer_due(fire_at: str) -> float:
    """Epoch seconds at which a timer's FireAt falls due."""
    return parse_time(fire_at).timestamp()
