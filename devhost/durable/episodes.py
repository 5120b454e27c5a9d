"""One orchestrator episode: pick the inbox messages to apply, build the SDK context, turn its state into a commit."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from devhost.durable.errors import DurableEngineError
from devhost.durable.invoke import warn_if_large
from devhost.durable.protocol import EventType, RuntimeStatus, event
from devhost.durable.records import (
    EVENT,
    RESUME,
    SUSPEND,
    TERMINATE,
    EpisodeCommit,
    Instance,
    Message,
    NewInstance,
    OutgoingMessage,
    WorkItem,
)
from devhost.durable.replay import ACTIVITY, SUB_ORCHESTRATION, TIMER, NewWork, replay, timer_due

OUT_OF_PROC_MARKER = "\n\n$OutOfProcData$:"
CUSTOM_STATUS_LIMIT_BYTES = 16 * 1024
"""Azure Storage limits custom status to 16 KB of UTF-16; enforced here so an app that passes locally passes there."""

SCHEMA_V2 = 1
"""upperSchemaVersion we announce: ReplaySchema.V2 (one cumulative action list, compound WhenAll/WhenAny)."""


@dataclass
class Intake:
    """What the inbox asks of this episode."""

    consumed: list[int] = field(default_factory=list)
    control_history: list[dict[str, Any]] = field(default_factory=list)
    status: str = RuntimeStatus.PENDING
    events: list[dict[str, Any]] = field(default_factory=list)
    terminate_reason: str | None = None


def take_messages(instance: Instance, messages: Sequence[Message], now: str) -> Intake:
    intake = Intake(status=instance.status)
    for m in messages:
        if m.kind == TERMINATE:
            intake.consumed = [msg.id for msg in messages]
            intake.terminate_reason = str(m.event.get("reason", ""))
            return intake
        if m.kind == SUSPEND:
            intake.consumed.append(m.id)
            if intake.status in (RuntimeStatus.RUNNING, RuntimeStatus.PENDING):
                intake.status = RuntimeStatus.SUSPENDED
                intake.control_history.append(event(EventType.EXECUTION_SUSPENDED, now, Reason=m.event.get("reason")))
        elif m.kind == RESUME:
            intake.consumed.append(m.id)
            if intake.status == RuntimeStatus.SUSPENDED:
                intake.status = RuntimeStatus.RUNNING
                intake.control_history.append(event(EventType.EXECUTION_RESUMED, now, Reason=m.event.get("reason")))
        elif intake.status == RuntimeStatus.SUSPENDED:
            continue  # stays in the inbox until the instance is resumed
        elif m.execution_id and m.execution_id != instance.execution_id:
            intake.consumed.append(m.id)  # a result for a generation that continued as new
        else:
            intake.consumed.append(m.id)
            intake.events.append(m.event)
    # An execution's history starts with its ExecutionStarted, even when an event raised to the instance while it
    # continued as new came into the inbox before it (it is kept for the new execution).
    intake.events.sort(key=lambda e: e["EventType"] != EventType.EXECUTION_STARTED)
    return intake


def context_json(instance: Instance, history: Sequence[dict[str, Any]], new_events: Sequence[dict[str, Any]]) -> str:
    played = [{**e, "IsPlayed": True} for e in history]
    started = next((e for e in [*history, *new_events] if e["EventType"] == EventType.EXECUTION_STARTED), None)
    return json.dumps(
        {
            "history": [*played, *new_events],
            "input": started.get("Input") if started else None,
            "instanceId": instance.instance_id,
            "isReplaying": False,
            "parentInstanceId": instance.parent_instance_id,
            "upperSchemaVersion": SCHEMA_V2,
        }
    )


@dataclass
class SdkResult:
    state: dict[str, Any]
    error: str | None


def parse_sdk_result(returned: Any, raised: BaseException | None) -> SdkResult:
    """The handle returns the state JSON, or raises "<msg>\\n\\n$OutOfProcData$:<state json>"."""
    if raised is None:
        return SdkResult(json.loads(returned) if isinstance(returned, str) else dict(returned), None)
    text = str(raised)
    if OUT_OF_PROC_MARKER in text:
        message, data = text.split(OUT_OF_PROC_MARKER, 1)
        return SdkResult(json.loads(data), message)
    return SdkResult({"isDone": False, "actions": [[]]}, text or type(raised).__name__)


def custom_status_error(custom_status: Any) -> str | None:
    if custom_status is None:
        return None
    size = len(json.dumps(custom_status).encode("utf-16-le"))
    if size > CUSTOM_STATUS_LIMIT_BYTES:
        return (
            f"Custom status is {size} bytes (UTF-16); Azure Storage allows at most {CUSTOM_STATUS_LIMIT_BYTES} bytes "
            "(16 KB). Keep custom status small and put large data in the output or in storage."
        )
    return None


class EpisodeBuilder:
    """Builds the commit of an episode that ran the orchestrator."""

    def __init__(
        self,
        instance: Instance,
        intake: Intake,
        history: list[dict[str, Any]],
        new_events: list[dict[str, Any]],
        now: str,
        orchestrators: Mapping[str, Any],
    ) -> None:
        self.instance = instance
        self.intake = intake
        self.history = history
        self.new_events = new_events
        self.now = now
        self.orchestrators = orchestrators
        self.commit = EpisodeCommit(instance.instance_id, intake.consumed)
        self.commit.history_append = [*intake.control_history, *new_events]

    def build(self, result: SdkResult) -> EpisodeCommit:
        state = result.state
        custom_status = state.get("customStatus")
        actions_lists = state.get("actions") or [[]]
        actions = [a for group in actions_lists for a in group]
        try:
            outcome = replay(self.instance.instance_id, [*self.history, *self.new_events], actions)
        except DurableEngineError as exc:
            return self.fail(str(exc), custom_status)
        if result.error is not None:
            return self.fail(f"Orchestrator function '{self.instance.name}' failed: {result.error}", custom_status)
        too_big = custom_status_error(custom_status)
        if too_big is not None:
            return self.fail(f"Orchestrator function '{self.instance.name}' failed: {too_big}", None)
        self.commit.updates["custom_status"] = None if custom_status is None else json.dumps(custom_status)
        if outcome.continued_as_new:
            return self.continue_as_new(outcome.continue_as_new_input)
        if state.get("isDone"):
            return self.complete(state.get("output"))
        for work in outcome.new_work:
            self.schedule(work)
        self._close(RuntimeStatus.RUNNING)
        return self.commit

    # -- endings -----------------------------------------------------------------------------------------
    def _close(self, status: str, finished: bool = False) -> None:
        self.commit.history_append.append(event(EventType.ORCHESTRATOR_COMPLETED, self.now))
        self.commit.updates.update(status=status, last_updated_time=self.now)
        self.commit.drop_pending = finished

    def complete(self, output: Any) -> EpisodeCommit:
        text = json.dumps(output)
        self.commit.history_append.append(
            event(EventType.EXECUTION_COMPLETED, self.now, OrchestrationStatus="Completed", Result=text)
        )
        self.commit.updates["output"] = text
        self._close(RuntimeStatus.COMPLETED, finished=True)
        self._notify_parent(event(EventType.SUB_ORCHESTRATION_COMPLETED, self.now, TaskScheduledId=-1, Result=text))
        return self.commit

    def fail(self, message: str, custom_status: Any) -> EpisodeCommit:
        self.commit.history_append.append(
            event(EventType.EXECUTION_COMPLETED, self.now, OrchestrationStatus="Failed", Result=message)
        )
        self.commit.updates["output"] = json.dumps(message)
        if custom_status is not None and custom_status_error(custom_status) is None:
            self.commit.updates["custom_status"] = json.dumps(custom_status)
        self._close(RuntimeStatus.FAILED, finished=True)
        self._notify_parent(
            event(EventType.SUB_ORCHESTRATION_FAILED, self.now, TaskScheduledId=-1, Reason=message, Details=None)
        )
        return self.commit

    def continue_as_new(self, new_input: str | None) -> EpisodeCommit:
        execution_id = uuid.uuid4().hex
        self.commit.reset_history = True
        self.commit.history_append = []
        self.commit.drop_pending = True
        self.commit.keep_raised = True
        self.commit.updates.update(
            execution_id=execution_id, input=new_input, status=RuntimeStatus.RUNNING, last_updated_time=self.now
        )
        started = event(EventType.EXECUTION_STARTED, self.now, Name=self.instance.name, Version="", Input=new_input)
        self.commit.messages.append(OutgoingMessage(self.instance.instance_id, execution_id, EVENT, started))
        return self.commit

    def _notify_parent(self, result: dict[str, Any]) -> None:
        inst = self.instance
        if inst.parent_instance_id is None or inst.parent_task_id is None:
            return
        result["TaskScheduledId"] = inst.parent_task_id
        self.commit.messages.append(OutgoingMessage(inst.parent_instance_id, inst.parent_execution_id, EVENT, result))

    # -- new work ----------------------------------------------------------------------------------------
    def schedule(self, work: NewWork) -> None:
        inst, now = self.instance, self.now
        if work.kind == ACTIVITY:
            warn_if_large("input", work.name, inst.instance_id, work.input)
            self.commit.history_append.append(
                event(EventType.TASK_SCHEDULED, now, work.task_id, Name=work.name, Version="", Input=work.input)
            )
            self.commit.work.append(
                WorkItem(0, inst.instance_id, inst.execution_id, work.task_id, work.name, work.input)
            )
        elif work.kind == TIMER:
            self.commit.history_append.append(event(EventType.TIMER_CREATED, now, work.task_id, FireAt=work.fire_at))
            # Even a timer cancelled at once fires at its time: DurableTask.Core's CreateTimer cancels the awaited
            # task, not the timer's schedule, so a running instance gets its TimerFired (and ignores it).
            fired = event(EventType.TIMER_FIRED, work.fire_at, TimerId=work.task_id, FireAt=work.fire_at)
            self.commit.messages.append(
                OutgoingMessage(inst.instance_id, inst.execution_id, EVENT, fired, timer_due(work.fire_at))
            )
        elif work.kind == SUB_ORCHESTRATION:
            self.commit.history_append.append(
                event(
                    EventType.SUB_ORCHESTRATION_CREATED,
                    now,
                    work.task_id,
                    Name=work.name,
                    Version="",
                    InstanceId=work.instance_id,
                    Input=work.input,
                )
            )
            self._start_child(work)

    def _start_child(self, work: NewWork) -> None:
        inst, now = self.instance, self.now
        if work.name not in self.orchestrators:
            failed = event(
                EventType.SUB_ORCHESTRATION_FAILED,
                now,
                TaskScheduledId=work.task_id,
                Reason=f"The function '{work.name}' doesn't exist, is disabled, or is not an orchestrator function.",
                Details=None,
            )
            self.commit.messages.append(OutgoingMessage(inst.instance_id, inst.execution_id, EVENT, failed))
            return
        execution_id = uuid.uuid4().hex
        started = event(EventType.EXECUTION_STARTED, now, Name=work.name, Version="", Input=work.input)
        started["ParentInstance"] = {
            "OrchestrationInstance": {"InstanceId": inst.instance_id},
            "TaskScheduleId": work.task_id,
        }
        self.commit.children.append(
            NewInstance(
                work.instance_id,
                work.name,
                execution_id,
                work.input,
                now,
                started,
                parent_instance_id=inst.instance_id,
                parent_execution_id=inst.execution_id,
                parent_task_id=work.task_id,
            )
        )


def terminate_commit(instance: Instance, intake: Intake, now: str) -> EpisodeCommit:
    reason = intake.terminate_reason or ""
    commit = EpisodeCommit(instance.instance_id, intake.consumed, drop_pending=True)
    commit.history_append = [event(EventType.EXECUTION_TERMINATED, now, Input=reason)]
    commit.updates = {"status": RuntimeStatus.TERMINATED, "output": json.dumps(reason), "last_updated_time": now}
    if instance.parent_instance_id is not None and instance.parent_task_id is not None:
        failed = event(
            EventType.SUB_ORCHESTRATION_FAILED,
            now,
            TaskScheduledId=instance.parent_task_id,
            Reason=f"Sub-orchestration '{instance.instance_id}' was terminated: {reason}",
            Details=None,
        )
        commit.messages.append(
            OutgoingMessage(instance.parent_instance_id, instance.parent_execution_id, EVENT, failed)
        )
    return commit
