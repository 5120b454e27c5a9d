"""A fake Durable orchestration context that drives orchestrator generators the way the SDK replays them.

Activities run when the orchestrator waits on them (task_any picks the earliest scheduled one by default, as if
activities finished in order). Durable timers fire at once (the fake has no clock to wait on), so a task_any with a
timer returns without running an activity; a timer cancelled as it is made leaves `timers` for `cancelled_timers`.
Results cross a JSON round trip, as they cross history. It records what a test checks: activity calls with their
retry policy, timers with their fire time, custom statuses, in-flight counts (in all and per activity), and history
bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df

Handler = Callable[[dict[str, Any]], Any]


@dataclass(eq=False)
class FakeTask:
    kind: str  # "activity" | "event" | "any" | "timer"
    name: str = ""
    payload: Any = None
    retry: df.RetryOptions | None = None
    children: list[FakeTask] = field(default_factory=list)
    done: bool = False
    result: Any = None
    on_cancel: Callable[[], None] | None = None

    def cancel(self) -> None:
        if self.on_cancel is not None:
            self.on_cancel()


@dataclass
class Call:
    name: str
    payload: dict[str, Any]
    retry: df.RetryOptions | None
    output: Any = None


class FakeContext:
    def __init__(self, input_: Any, handlers: dict[str, Handler], instance_id: str = "job-1") -> None:
        self._input = input_
        self.handlers = handlers
        self.instance_id = instance_id
        self.current_utc_datetime = datetime(2026, 1, 1, tzinfo=UTC)
        self.is_replaying = False  # the fake runs each generator once: every line is the first execution
        self.calls: list[Call] = []
        self.timers: list[datetime] = []
        self.cancelled_timers: list[datetime] = []
        self.custom_statuses: list[dict[str, Any]] = []
        self.events: dict[str, FakeTask] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.in_flight_by_name: dict[str, int] = {}
        self.max_in_flight_by_name: dict[str, int] = {}
        self.history_bytes = 0
        self.before_wait: Callable[[FakeContext], None] | None = None

    # --- the context API the orchestrators use ----------------------------------------------------

    def get_input(self) -> Any:
        return self._input

    def call_activity_with_retry(self, name: str, retry: df.RetryOptions, input_: Any = None) -> FakeTask:
        payload = json.loads(json.dumps(input_))  # what history stores
        self.history_bytes += len(json.dumps(input_))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.in_flight_by_name[name] = self.in_flight_by_name.get(name, 0) + 1
        self.max_in_flight_by_name[name] = max(self.max_in_flight_by_name.get(name, 0), self.in_flight_by_name[name])
        task = FakeTask("activity", name, payload, retry)
        self.calls.append(Call(name, payload, retry))
        task.call = self.calls[-1]  # type: ignore[attr-defined]
        return task

    def call_activity(self, name: str, input_: Any = None) -> FakeTask:
        """A call without Durable's retry: fan-out calls, which apply their policy themselves (fan_out.py)."""
        return self.call_activity_with_retry(name, None, input_)  # type: ignore[arg-type]

    def wait_for_external_event(self, name: str) -> FakeTask:
        return self.events.setdefault(name, FakeTask("event", name))

    def create_timer(self, fire_at: datetime) -> FakeTask:
        self.timers.append(fire_at)

        def cancelled() -> None:  # a timer cancelled as it is made (a fan-out's hand-over) is no wait
            self.timers.remove(fire_at)
            self.cancelled_timers.append(fire_at)

        return FakeTask("timer", done=True, result=None, on_cancel=cancelled)

    def task_any(self, tasks: list[FakeTask]) -> FakeTask:
        return FakeTask("any", children=list(tasks))

    def set_custom_status(self, status: Any) -> None:
        self.custom_statuses.append(json.loads(json.dumps(status)))

    # --- test controls ------------------------------------------------------------------------------

    def raise_event(self, name: str, data: Any = None) -> None:
        event = self.wait_for_external_event(name)
        event.done, event.result = True, data

    def _run(self, task: FakeTask) -> None:
        if task.done:
            return
        try:
            output = self.handlers[task.name](task.payload)
            task.result = json.loads(json.dumps(output))
            self.history_bytes += len(json.dumps(output))
        except Exception as exc:  # as the SDK: a failed task's result is the exception
            task.result = exc
        task.call.output = task.result  # type: ignore[attr-defined]
        task.done = True
        self.in_flight -= 1
        self.in_flight_by_name[task.name] -= 1

    def resolve(self, task: FakeTask) -> tuple[Any, BaseException | None]:
        """What the orchestrator receives for the task it yielded: (value, None) or (None, exception)."""
        if self.before_wait is not None:
            self.before_wait(self)
        if task.kind == "activity":
            self._run(task)
            return (None, task.result) if isinstance(task.result, Exception) else (task.result, None)
        if task.kind == "any":
            # First already-completed child in list order (as the SDK's WhenAny), else the earliest scheduled.
            winner = next((c for c in task.children if c.done), None)
            if winner is None:
                winner = next(c for c in task.children if c.kind == "activity")
                self._run(winner)
            return winner, None
        if task.kind == "timer":
            return None, None
        raise AssertionError(f"orchestrator waited on a bare {task.kind} task")


def drive(generator: Generator[Any, Any, Any], context: FakeContext) -> Any:
    """Run an orchestrator generator to its end; its exception propagates."""
    try:
        task = next(generator)
        while True:
            value, error = context.resolve(task)
            task = generator.throw(error) if error is not None else generator.send(value)
    except StopIteration as stop:
        return stop.value


def activity_table(*blueprints: Any) -> dict[str, Handler]:
    """name -> user function of every activity in the blueprints, as the host indexes them."""
    app = df.DFApp()
    for bp in blueprints:
        app.register_functions(bp)
    return {f.get_function_name(): f.get_user_function() for f in app.get_functions()}
