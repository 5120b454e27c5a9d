"""Durable wire facts: history event types, action types, timestamps, event builders and instance id rules.

History events are kept as the PascalCase dicts the SDK parses, so they can be stored and replayed verbatim
(the SDK derives `current_utc_datetime` from the stored OrchestratorStarted timestamps).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

from dateutil.parser import isoparse

from devhost.durable.errors import InvalidInstanceIdError

MAX_INSTANCE_ID_LENGTH = 100


class EventType(IntEnum):
    EXECUTION_STARTED = 0
    EXECUTION_COMPLETED = 1
    EXECUTION_FAILED = 2
    EXECUTION_TERMINATED = 3
    TASK_SCHEDULED = 4
    TASK_COMPLETED = 5
    TASK_FAILED = 6
    SUB_ORCHESTRATION_CREATED = 7
    SUB_ORCHESTRATION_COMPLETED = 8
    SUB_ORCHESTRATION_FAILED = 9
    TIMER_CREATED = 10
    TIMER_FIRED = 11
    ORCHESTRATOR_STARTED = 12
    ORCHESTRATOR_COMPLETED = 13
    EVENT_SENT = 14
    EVENT_RAISED = 15
    CONTINUE_AS_NEW = 16
    EXECUTION_SUSPENDED = 19
    EXECUTION_RESUMED = 20


class ActionType(IntEnum):
    CALL_ACTIVITY = 0
    CALL_ACTIVITY_WITH_RETRY = 1
    CALL_SUB_ORCHESTRATOR = 2
    CALL_SUB_ORCHESTRATOR_WITH_RETRY = 3
    CONTINUE_AS_NEW = 4
    CREATE_TIMER = 5
    WAIT_FOR_EXTERNAL_EVENT = 6
    CALL_ENTITY = 7
    CALL_HTTP = 8
    SIGNAL_ENTITY = 9
    WHEN_ANY = 11
    WHEN_ALL = 12


class RuntimeStatus:
    PENDING = "Pending"
    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"
    TERMINATED = "Terminated"
    SUSPENDED = "Suspended"
    TERMINAL = frozenset({"Completed", "Failed", "Terminated", "Canceled"})


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_time(moment: datetime) -> str:
    """ISO 8601 with microseconds and a Z, the shape the SDK writes and parses."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_iso() -> str:
    return format_time(utc_now())


def parse_time(text: str) -> datetime:
    moment = isoparse(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def event(event_type: EventType, timestamp: str, event_id: int = -1, **fields: Any) -> dict[str, Any]:
    """One history event; IsPlayed is set per episode when the history is sent to the SDK."""
    return {"EventType": int(event_type), "EventId": event_id, "IsPlayed": False, "Timestamp": timestamp, **fields}


def validate_instance_id(instance_id: str) -> None:
    """The extension's rules: non-empty, at most 100 chars, no / \\ # ? and no control characters."""
    if not instance_id or not instance_id.strip():
        raise InvalidInstanceIdError(instance_id, "it must not be empty")
    if len(instance_id) > MAX_INSTANCE_ID_LENGTH:
        raise InvalidInstanceIdError(instance_id, f"it is longer than {MAX_INSTANCE_ID_LENGTH} characters")
    bad = next((c for c in instance_id if c in "/\\#?" or ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F), None)
    if bad is not None:
        raise InvalidInstanceIdError(instance_id, f"it contains the forbidden character {bad!r}")
