"""A bounded fan-out: one activity per payload, at most `window` in flight, the next one started as soon as one
finishes, a `retry` or `wait` outcome called again after its durable timer.

A call waiting for the model's quota (`wait`) keeps its window place; one waiting to retry a failure does not.
The window bounds how many of a job's calls are out at once, running or queued at the quota scheduler: starting
another call while one waits would only buy an activity run to learn that it must wait too, behind the first (calls
of one priority go in arrival order), and would fill the shared queue with a big job's whole backlog. A failing
call, though, says nothing about the others, which may well succeed meanwhile. Neither kind of timer holds a worker.

How new work reaches the extension matters. The SDK records a task's action only the first time the task is
yielded (a task_any over tasks yielded before records nothing new), and the extension's out-of-proc shim awaits
the recorded top-level actions one after another. So a call started while others run must be yielded in an
action that ends at once, or the shim would start nothing more until that call finished — the fan-out would go
serial after its first window. `start_now` is that action: the new tasks in a WhenAny with a timer cancelled as it
is made (the shim cancels its token at once, which ends the WhenAny) and a task that has already ended (the SDK,
which knows nothing of the cancel, sees the WhenAny done at once: the orchestrator goes on in the same replay).
A hand-over costs one TimerCreated event, no episode. DurableTask.Core cancels the awaited timer task but keeps
its schedule, so the timer is due a day later, when the job is long over (a TimerFired then is ignored).
tests/orchestrators/test_fan_out_on_the_shim.py replays it the way the shim does and fails if it goes serial.

For the same reason a fan-out call is scheduled without Durable's own retry, and an activity that raised is called
again here, after a durable timer of the policy's interval, up to the policy's attempts. A host-side retry (a
timer, then a new task, both scheduled by the extension inside the window's WhenAny) takes sequence numbers the
orchestrator never sees: once the fan-out is over, a replay of the shim reaches the next step as soon as that first
WhenAny ends and gives it a number the history had given a retry — "non-deterministic", and the job failed
(tests/orchestrators/test_fan_out_raised_retry.py; found by tests/faults, a store that failed one call).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator, Sequence
from datetime import timedelta
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from orchestrators.job_run import JobRun
from orchestrators.retry_policies import StepPolicy
from shared.jobs.messages import Outcome, history_json
from shared.jobs.models import ProcessingStep

OutcomeT = TypeVar("OutcomeT", bound=Outcome)

FAN_OUT_WINDOW = 8
"""Calls in flight per job when nothing better is known: enough to keep a job moving, few enough that one big job
cannot take every worker slot or the model's rate limit away from the others. A comparison's or query's model calls
use the window their job's start sized from the deployment's quota (JobStarted.window); a job started before that
replays with this one."""


HAND_OVER_TIMER = timedelta(days=1)
"""When a hand-over's cancelled timer is due: after any job's end (its TimerFired is ignored even so)."""


def start_now(run: JobRun, tasks: Sequence[Any], ended: Any) -> Generator[Any, Any, None]:
    """Hand `tasks` (never yielded before) to the extension without waiting for them: their actions go out in a
    WhenAny with a cancelled timer, which the shim sees end at once; `ended` (a task that has already ended) makes
    the SDK see it end at once too."""
    if tasks:
        timer = run.context.create_timer(run.context.current_utc_datetime + HAND_OVER_TIMER)
        timer.cancel()
        yield run.context.task_any([*tasks, timer, ended])


class _Slot(Generic[OutcomeT]):
    def __init__(self, index: int, timer: bool = False, holds_place: bool = True) -> None:
        self.index = index
        self.timer = timer
        self.holds_place = holds_place  # counts against the window: a call, or a call waiting for quota


def fan_out(
    run: JobRun,
    step: ProcessingStep,
    name: str,
    policy: StepPolicy,
    payloads: Sequence[BaseModel],
    outcome: type[OutcomeT],
    *,
    window: int = FAN_OUT_WINDOW,
    sub_orchestrations: bool = False,
    first_key: int = 0,
) -> Generator[Any, Any, list[OutcomeT]]:
    """Run one activity per payload; returns their outcomes in payload order. Stops at the first failure (after
    its retries) or at a cancel. Progress is what each finished activity recorded (JobRun.show). With
    `sub_orchestrations`, `name` is an orchestrator and each payload starts one (instance `<job id>:<name>:<i>`, i
    counted from `first_key`: a job that continues as new goes on numbering its chunks)."""
    run.step = step
    results: list[OutcomeT | None] = [None] * len(payloads)
    retries = [0] * len(payloads)
    raised = [0] * len(payloads)
    waited_ms = [0] * len(payloads)
    queue = deque(range(len(payloads)))
    pending: dict[Any, _Slot[OutcomeT]] = {}  # task -> what it is, in scheduling order (replay-deterministic)

    def call(index: int) -> Any:
        payload = history_json(payloads[index])
        if sub_orchestrations:  # started once (a retry would reuse its instance id): its failure fails the job
            instance_id = f"{run.ref.job_id}:{name}:{first_key + index}"
            task = run.context.call_sub_orchestrator(name, payload, instance_id)
        else:  # no host-side retry: an activity that raised is called again below
            task = run.context.call_activity(name, payload)
        pending[task] = _Slot(index)
        return task

    def refill() -> list[Any]:
        calls = sum(1 for slot in pending.values() if slot.holds_place)
        return [call(queue.popleft()) for _ in range(min(window - calls, len(queue)))]

    refill()  # the first window goes out in the first task_any's WhenAny
    while pending:
        winner = yield run.context.task_any([*pending, run.cancel])
        if winner is run.cancel:
            run.accept(outcome, winner)  # raises JobCancelled
        slot = pending.pop(winner)
        if slot.timer:  # a wait is over: call again, ahead of the queue
            yield from start_now(run, [call(slot.index)], winner)
            continue
        if isinstance(winner.result, Exception) and not sub_orchestrations:
            raised[slot.index] += 1
            if raised[slot.index] < policy.raised.max_number_of_attempts:  # else accept() raises it below
                delay = timedelta(milliseconds=policy.raised.first_retry_interval_in_milliseconds)
                timer = run.context.create_timer(run.context.current_utc_datetime + delay)
                pending[timer] = _Slot(slot.index, timer=True, holds_place=False)
                yield from start_now(run, [timer, *refill()], winner)
                continue
        result = run.accept(outcome, winner)
        if result.status == "wait":  # no attempt counted; the wait keeps its window place
            timer, waited_ms[slot.index] = run.quota_timer(policy, waited_ms[slot.index], result)
            pending[timer] = _Slot(slot.index, timer=True)
            yield from start_now(run, [timer], winner)
            continue
        if result.status == "retry":  # the items' own count when they keep one (a group of records)
            retries[slot.index] = result.attempt or retries[slot.index] + 1
            timer = run.retry_timer(policy, retries[slot.index], result)
            pending[timer] = _Slot(slot.index, timer=True, holds_place=False)
            yield from start_now(run, [timer, *refill()], winner)
            continue
        results[slot.index] = result
        yield from start_now(run, refill(), winner)
    return [r for r in results if r is not None]
