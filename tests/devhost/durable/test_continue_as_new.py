"""Continue-as-new in the store, as the extension does it: the old execution's pending results are dropped, an event
raised to the instance that the old execution never took is kept for the new one (the extension delivers raised
events to the latest execution), and the new execution's history starts with its ExecutionStarted."""

from __future__ import annotations

from pathlib import Path

from devhost.durable.episodes import take_messages
from devhost.durable.protocol import EventType, RuntimeStatus, event
from devhost.durable.records import EVENT, EpisodeCommit, NewInstance, OutgoingMessage
from devhost.durable.store import Store

T0 = "2026-01-01T00:00:00.000000Z"


def test_continue_as_new_keeps_raised_events_and_drops_the_old_executions_results(tmp_path: Path) -> None:
    store = Store(tmp_path / "durable.sqlite3")
    started = event(EventType.EXECUTION_STARTED, T0, Name="o", Version="", Input="0")
    store.create_instance(NewInstance("i", "o", "exec-1", "0", T0, started))
    store.commit_episode(EpisodeCommit("i", [m.id for m in store.messages("i", 1e12)]))
    fired = event(EventType.TIMER_FIRED, T0, TimerId=3, FireAt=T0)
    store.send(OutgoingMessage("i", "exec-1", EVENT, fired))  # a result of the old execution's work
    raised = event(EventType.EVENT_RAISED, T0, Name="cancel", Input="{}")
    store.send(OutgoingMessage("i", None, EVENT, raised))  # raised to the instance, not taken yet

    restarted = event(EventType.EXECUTION_STARTED, T0, Name="o", Version="", Input="1")
    commit = EpisodeCommit("i", [], reset_history=True, drop_pending=True, keep_raised=True)
    commit.updates = {"execution_id": "exec-2", "input": "1", "status": RuntimeStatus.RUNNING}
    commit.messages.append(OutgoingMessage("i", "exec-2", EVENT, restarted))
    store.commit_episode(commit)

    left = store.messages("i", 1e12)
    assert [m.event["EventType"] for m in left] == [EventType.EVENT_RAISED, EventType.EXECUTION_STARTED]
    instance = store.get_instance("i")
    assert instance is not None and instance.execution_id == "exec-2"
    # The new execution's first episode: ExecutionStarted first, then the event it now waits for.
    intake = take_messages(instance, left, T0)
    assert [e["EventType"] for e in intake.events] == [EventType.EXECUTION_STARTED, EventType.EVENT_RAISED]
    store.close()


def test_an_instance_that_ends_drops_everything_still_pending(tmp_path: Path) -> None:
    store = Store(tmp_path / "durable.sqlite3")
    started = event(EventType.EXECUTION_STARTED, T0, Name="o", Version="", Input="0")
    store.create_instance(NewInstance("i", "o", "exec-1", "0", T0, started))
    store.commit_episode(EpisodeCommit("i", [m.id for m in store.messages("i", 1e12)]))
    store.send(OutgoingMessage("i", None, EVENT, event(EventType.EVENT_RAISED, T0, Name="late", Input="{}")))
    store.commit_episode(EpisodeCommit("i", [], drop_pending=True, updates={"status": RuntimeStatus.COMPLETED}))
    assert store.messages("i", 1e12) == []
    store.close()
