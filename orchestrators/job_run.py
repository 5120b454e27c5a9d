"""One orchestration of one job: its start and terminal bookkeeping, its steps (each racing the cancel event,
with transient failures retried on durable timers), and its custom status. Deterministic: it only schedules
activities and timers and reads the Durable context.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from datetime import timedelta
from typing import Any, TypeVar

import azure.durable_functions as df
from pydantic import BaseModel

from orchestrators.retry_policies import JOB_BOOKKEEPING, STORAGE_STEP, StepPolicy
from shared.jobs.messages import (
    FinalizeJobInput,
    FinalStatus,
    JobFinalized,
    JobStarted,
    Outcome,
    ResultSaved,
    StartJobInput,
    StepError,
    history_json,
)
from shared.jobs.models import JobProgress, JobRef, JobStatus, ProcessingStep
from shared.jobs.names import CANCEL_EVENT, FINALIZE_JOB, START_JOB

OutcomeT = TypeVar("OutcomeT", bound=Outcome)
Steps = Generator[Any, Any, Any]

MAX_ERROR_CHARS = 1_000
logger = logging.getLogger(__name__)


class JobCancelled(Exception):
    """The user cancelled the job: stop scheduling work and end it `cancelled`."""


class ContinuedAsNew:
    """What a job's steps return when the job goes on in a new execution of its instance (JobRun.continue_as_new):
    this execution ends without bookkeeping, the next one takes over."""


class StepFailed(Exception):
    """A step reported a failure retrying cannot fix, or one that outlasted its retries."""

    def __init__(self, error: StepError) -> None:
        super().__init__(f"{error.step}: {error.message}")
        self.error = error


class JobRun:
    def __init__(self, context: df.DurableOrchestrationContext, ref: JobRef) -> None:
        self.context = context
        self.ref = ref
        self.step = "start"
        self._shown: JobProgress | None = None
        # Waited on alongside every cancellable step; Durable buffers the event if it arrives in between.
        self.cancel = context.wait_for_external_event(CANCEL_EVENT)

    @property
    def ids(self) -> dict[str, str]:
        return {"job_id": self.ref.job_id, "user_id": self.ref.user_id}

    # --- the job's life ------------------------------------------------------------------------

    def execute(self, steps: Callable[[JobStarted], Steps]) -> Steps:
        """Run `steps` (which return the result id) between start and a terminal state: completed, cancelled,
        or failed with error_details. A failure is re-raised after bookkeeping, so the instance shows Failed too.
        Steps that continue as new (ContinuedAsNew) end this execution with no bookkeeping: see `resume`."""

        def started_then_steps() -> Steps:
            started = yield from self._start()
            if started.job_status is JobStatus.CANCELLED:
                raise JobCancelled()
            if started.job_status.is_terminal:  # finished by an earlier run of this instance: nothing to redo
                return _Ended(self._output(started.job_status, None))
            return (yield from steps(started))

        return (yield from self._run(started_then_steps))

    def resume(self, steps: Callable[[], Steps], shown: JobProgress | None) -> Steps:
        """A later execution of a job that continued as new: `steps` go on where the last one stopped (the job was
        started then), with its last progress shown again at once, so the custom status carries on and its seq
        never goes back; the end is the same as `execute`'s."""
        self.show(shown)
        return (yield from self._run(steps))

    def continue_as_new(self, state: BaseModel) -> ContinuedAsNew:
        """Start a new execution of this instance with `state` as its input (ids and counts: the history starts
        empty again). The caller returns what this gives at once."""
        self.context.continue_as_new(history_json(state))
        return ContinuedAsNew()

    @property
    def shown(self) -> JobProgress | None:
        """The progress last copied into the custom status."""
        return self._shown

    def _run(self, steps: Callable[[], Steps]) -> Steps:
        try:
            result_id = yield from steps()
            if isinstance(result_id, _Ended):
                return result_id.output
            if isinstance(result_id, ContinuedAsNew):
                return self._output(JobStatus.PROCESSING, None)
        except JobCancelled:
            return (yield from self._finish("cancelled"))
        except StepFailed as failure:
            yield from self._finish("failed", error=failure.error)
            raise
        except Exception as exc:
            yield from self._finish("failed", error=self._describe(exc))
            raise
        return (yield from self._finish("completed", result_id=result_id))

    def _start(self) -> Generator[Any, Any, JobStarted]:
        payload = StartJobInput(
            **self.ids, instance_id=self.context.instance_id, started_at=self.context.current_utc_datetime
        )
        value = yield self.context.call_activity_with_retry(START_JOB, JOB_BOOKKEEPING, history_json(payload))
        started = JobStarted.model_validate(value)
        self.show(started.progress)
        return started

    def _finish(
        self, status: FinalStatus, result_id: str | None = None, error: StepError | None = None
    ) -> Generator[Any, Any, dict[str, Any]]:
        payload = FinalizeJobInput(
            **self.ids, status=status, result_id=result_id, error=error, finished_at=self.context.current_utc_datetime
        )
        value = yield self.context.call_activity_with_retry(FINALIZE_JOB, JOB_BOOKKEEPING, history_json(payload))
        finalized = JobFinalized.model_validate(value)
        self.show(finalized.progress)
        # A cancel that raced the save leaves the job cancelled: report what the job document says.
        return self._output(finalized.job_status, result_id if finalized.job_status is JobStatus.COMPLETED else None)

    def _output(self, status: JobStatus, result_id: str | None) -> dict[str, Any]:
        return {"job_id": self.ref.job_id, "status": status.value, "result_id": result_id}

    def _describe(self, exc: Exception) -> StepError:
        """error_details for a step whose activity kept raising something no step classifies: a stable code and a
        plain message for the user; the exception's text (the first line of the host's exception text: an SDK's
        message can name hosts, containers or keys) goes to the log with the job id."""
        reason = str(exc).split("\n", 1)[0].strip() or exc.__class__.__name__
        if not self.context.is_replaying:
            logger.error(
                "job %s: step %s failed after retries: %s", self.ref.job_id, self.step, reason[:MAX_ERROR_CHARS]
            )
        message = f"{self.step} failed after retries: an unexpected error (logged with the job id)"
        return StepError(step=self.step, message=message, type="step_failed")

    # --- progress ------------------------------------------------------------------------------

    def show(self, progress: JobProgress | None) -> None:
        """Copy the progress an activity recorded on the job into the custom status: newest seq wins, as fan-out
        outcomes may arrive out of order."""
        if progress is not None and (self._shown is None or progress.seq > self._shown.seq):
            self._shown = progress
            self.context.set_custom_status(progress.model_dump(mode="json"))

    # --- steps ---------------------------------------------------------------------------------

    def schedule(self, name: str, policy: StepPolicy, payload: BaseModel) -> Any:
        return self.context.call_activity_with_retry(name, policy.raised, history_json(payload))

    def call(
        self,
        step: ProcessingStep,
        name: str,
        payload: BaseModel,
        outcome: type[OutcomeT],
        policy: StepPolicy = STORAGE_STEP,
        *,
        cancellable: bool = True,
    ) -> Generator[Any, Any, OutcomeT]:
        """Run one step activity; a `retry` outcome is called again after a durable timer, and so is a `wait`
        (the model's quota has no room yet), which counts no attempt. A cancellable step races the cancel event:
        a cancel stops the job at once."""
        self.step = step
        retries = waited_ms = 0
        while True:
            task = self.schedule(name, policy, payload)
            winner = (yield self.context.task_any([task, self.cancel])) if cancellable else (yield task)
            result = self.accept(outcome, winner if cancellable else _Done(winner))
            if result.status == "wait":
                timer, waited_ms = self.quota_timer(policy, waited_ms, result)
                yield from self.wait_on(timer, cancellable)
                continue
            if result.status != "retry":
                return result
            retries = result.attempt or retries + 1
            yield from self.wait_on(self.retry_timer(policy, retries, result), cancellable)

    def accept(self, outcome: type[OutcomeT], winner: Any) -> OutcomeT:
        """The outcome of a finished activity task: raises JobCancelled, StepFailed or the activity's failure;
        shows its progress. A `retry` or `wait` outcome is returned for the caller to schedule."""
        if winner is self.cancel:
            raise JobCancelled()
        value = winner.result
        if isinstance(value, Exception):  # the activity kept raising after its Durable retries
            raise value
        result = outcome.model_validate(value)
        if result.status == "error":
            raise StepFailed(result.error or StepError(step=self.step, message="failed", type="step_failed"))
        if result.status == "skipped":  # activities skip only when they find the job cancelled
            raise JobCancelled()
        self.show(result.progress)
        return result

    def retry_timer(self, policy: StepPolicy, retries: int, result: Outcome) -> Any:
        """The durable timer before retry number `retries`, or StepFailed when the policy has none left."""
        plan = policy.transient
        error = result.error or StepError(step=self.step, message="transient failure", type="step_failed")
        if plan is None or retries >= plan.attempts:
            attempts = 1 if plan is None else plan.attempts
            raise StepFailed(error.model_copy(update={"message": f"{error.message} (after {attempts} attempts)"}))
        delay = timedelta(milliseconds=plan.delay_ms(retries, result.retry_after_ms))
        return self.context.create_timer(self.context.current_utc_datetime + delay)

    def quota_timer(self, policy: StepPolicy, waited_ms: int, result: Outcome) -> tuple[Any, int]:
        """The durable timer of a `wait` outcome and the call's total wait with it, or StepFailed past the
        policy's limit (the deployment never had room)."""
        limit = policy.waits
        delay = max(result.retry_after_ms or 0, limit.min_delay_ms)
        total = waited_ms + delay
        if total > limit.max_total_ms:
            reason = result.error.message if result.error is not None else "waiting for the model's quota"
            message = (
                f"gave up after waiting {waited_ms / 60_000:.1f} min in all for the model's quota, the limit being "
                f"{limit.max_total_ms / 60_000:.0f} min (last: {reason})"
            )
            raise StepFailed(StepError(step=self.step, message=message, type="llm_quota_exhausted"))
        return self.context.create_timer(self.context.current_utc_datetime + timedelta(milliseconds=delay)), total

    def wait_on(self, timer: Any, cancellable: bool) -> Steps:
        """Wait for a durable timer; a cancellable step's wait ends at a cancel (JobCancelled)."""
        if not cancellable:
            yield timer
            return
        winner = yield self.context.task_any([timer, self.cancel])
        if winner is self.cancel:
            raise JobCancelled()

    def save(self, name: str) -> Generator[Any, Any, str]:
        """The last step of every workflow; returns the result id. Not cancellable: a cancel that arrives now
        is settled by finalize, which keeps whichever terminal state the job document got first."""
        saved = yield from self.call(
            ProcessingStep.SAVING_RESULTS, name, JobRef(**self.ids), ResultSaved, cancellable=False
        )
        return saved.result_id


class _Ended:
    """The job had ended before this execution began: its output, with no bookkeeping to do."""

    def __init__(self, output: dict[str, Any]) -> None:
        self.output = output


class _Done:
    """A task's value when it was awaited alone (not raced with the cancel event)."""

    def __init__(self, value: Any) -> None:
        self.result = value
