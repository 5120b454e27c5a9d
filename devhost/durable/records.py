"""What the Durable store reads and writes: instance rows, inbox messages, activity work items, and the
commit one orchestrator episode hands to the store to apply atomically."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Inbox message kinds: history events to append, and control requests handled by the episode runner.
EVENT = "event"
TERMINATE = "terminate"
SUSPEND = "suspend"
RESUME = "resume"


@dataclass
class Instance:
    instance_id: str
    name: str
    execution_id: str
    status: str
    input: str | None
    output: str | None
    custom_status: str | None
    created_time: str
    last_updated_time: str
    parent_instance_id: str | None
    parent_execution_id: str | None
    parent_task_id: int | None


@dataclass
class Message:
    id: int
    instance_id: str
    execution_id: str | None
    kind: str
    event: dict[str, Any]
    visible_at: float


@dataclass
class WorkItem:
    id: int
    instance_id: str
    execution_id: str
    task_id: int
    name: str
    input: str | None


@dataclass
class NewInstance:
    instance_id: str
    name: str
    execution_id: str
    input: str | None
    now: str
    start_event: dict[str, Any]
    parent_instance_id: str | None = None
    parent_execution_id: str | None = None
    parent_task_id: int | None = None


@dataclass
class OutgoingMessage:
    instance_id: str
    execution_id: str | None
    kind: str
    event: dict[str, Any]
    visible_at: float = 0.0


@dataclass
class EpisodeCommit:
    """Everything one orchestrator episode changes, written atomically."""

    instance_id: str
    consumed: list[int]
    history_append: list[dict[str, Any]] = field(default_factory=list)
    reset_history: bool = False
    updates: dict[str, Any] = field(default_factory=dict)
    work: list[WorkItem] = field(default_factory=list)
    messages: list[OutgoingMessage] = field(default_factory=list)
    children: list[NewInstance] = field(default_factory=list)
    drop_pending: bool = False
    """Delete the instance's remaining work and inbox (it finished, or continued as new)."""
    keep_raised: bool = False
    """With drop_pending: keep the events raised to the instance (no execution id) for its next execution, which
    the extension delivers them to (continue-as-new); results of the old execution's work are dropped."""
