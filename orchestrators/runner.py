"""What both job orchestrators share: progress reporting, cancel-aware steps, a bounded fan-out, and the job's
terminal bookkeeping. Deterministic: it only schedules activities and reads the Durable context.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Sequence
from typing import Any, TypeVar

import azure.durable_functions as df
from pydantic import BaseModel

from activities import names
from orchestrators import progress
from orchestrators.names import CANCEL_EVENT
from orchestrators.retry_policies import JOB_BOOKKEEPING, STORAGE_STEP
from shared.models.jobs import JobRef, JobStatus, JobType, ProcessingStep
from shared.pipeline.messages import (
    FinalizeJobInput,
    FinalStatus,
    JobFinalized,
    JobStarted,
    Outcome,
    ProgressStatus,
    RecordProgressInput,
    ResultSaved,
    SaveResultInput,
    StartJobInput,
    StepError,
)

OutcomeT = TypeVar("OutcomeT", bound=Outcome)
Steps = Generator[Any, Any, Any]

FAN_OUT_WINDOW = 8
"""LLM calls in flight per job: enough to keep a job moving, few enough that one big job cannot take every
worker slot or the model's rate limit away from the others."""

# Activity exception text names the original exception class; these map it to the job's error type.
_KNOWN_FAILURES = {"LLMTransientError": "llm_unavailable", "LLMPermanentError": "llm_rejected"}
MAX_ERROR_CHARS = 1_000


class JobCancelled(Exception):
    """The user cancelled the job: stop scheduling work and end it `cancelled`."""


class StepFailed(Exception):
    """A step reported a failure retrying cannot fix."""

    def __init__(self, error: StepError) -> None:
        super().__init__(f"{error.step}: {error.message}")
        self.error = error


class JobRun:
    """One orchestration of one job."""

    def __init__(self, context: df.DurableOrchestrationContext, ref: JobRef) -> None:
        self.context = context
        self.ref = ref
        self.step = "start"
        self.last = progress.status(
            ref.job_id, progress.ProcessingStep.QUEUED, 0, "Job queued", job_status=JobStatus.QUEUED
        )
        # Waited on alongside every cancellable step; Durable buffers the event if it arrives in between.
        self.cancel = context.wait_for_external_event(CANCEL_EVENT)

    @property
    def ids(self) -> dict[str, str]:
        return {"job_id": self.ref.job_id, "user_id": self.ref.user_id}

    # --- the job's life ------------------------------------------------------------------------

    def execute(self, steps: Callable[[JobStarted], Steps]) -> Steps:
        """Run `steps` (which return the result id) between start and a terminal state: completed, cancelled,
        or failed with error_details. A failure is re-raised after bookkeeping, so the instance shows Failed too."""
        try:
            started = yield from self._start()
            if started.job_status is JobStatus.CANCELLED:
                raise JobCancelled()
            if started.job_status.is_terminal:  # finished by an earlier run of this instance: nothing to redo
                return self._output(started.job_status, None)
            result_id = yield from steps(started)
        except JobCancelled:
            return (yield from self._finish("cancelled", progress.ended(self.last, JobStatus.CANCELLED, "Cancelled")))
        except StepFailed as failure:
            yield from self._fail(failure.error)
            raise
        except Exception as exc:
            yield from self._fail(self._describe(exc))
            raise
        return (yield from self._finish("completed", progress.completed(self.ref.job_id, result_id), result_id))

    def _start(self) -> Generator[Any, Any, JobStarted]:
        payload = StartJobInput(
            **self.ids, instance_id=self.context.instance_id, started_at=self.context.current_utc_datetime
        )
        value = yield self.context.call_activity_with_retry(names.START_JOB, JOB_BOOKKEEPING, _dump(payload))
        return JobStarted.model_validate(value)

    def _fail(self, error: StepError) -> Steps:
        ended = progress.ended(self.last, JobStatus.FAILED, f"Failed at {error.step}: {error.message}"[:300])
        yield from self._finish("failed", ended, error=error)

    def _finish(
        self, status: FinalStatus, final: ProgressStatus, result_id: str | None = None, error: StepError | None = None
    ) -> Generator[Any, Any, dict[str, Any]]:
        self._set_status(final)
        payload = FinalizeJobInput(
            **self.ids,
            status=status,
            progress=final,
            result_id=result_id,
            error=error,
            finished_at=self.context.current_utc_datetime,
        )
        value = yield self.context.call_activity_with_retry(names.FINALIZE_JOB, JOB_BOOKKEEPING, _dump(payload))
        finalized = JobFinalized.model_validate(value)
        # A cancel that raced the save leaves the job cancelled: report what the job document says.
        return self._output(finalized.job_status, result_id if finalized.job_status is JobStatus.COMPLETED else None)

    def _output(self, status: JobStatus, result_id: str | None) -> dict[str, Any]:
        return {"job_id": self.ref.job_id, "status": status.value, "result_id": result_id}

    def _describe(self, exc: Exception) -> StepError:
        """error_details for a step that failed after its retries. The host's exception text is the activity's
        error message, then the details (the traceback, which names the exception class): keep the message,
        and take the error type from the class."""
        text = str(exc)
        reason = text.split("\n", 1)[0].strip() or exc.__class__.__name__
        kind = next((code for name, code in _KNOWN_FAILURES.items() if name in text), "step_failed")
        label = "LLM unavailable after retries" if kind == "llm_unavailable" else f"{self.step} failed after retries"
        message = f"{label}: {reason}"
        if len(message) > MAX_ERROR_CHARS:
            message = message[: MAX_ERROR_CHARS - 1] + "…"
        return StepError(step=self.step, message=message, type=kind)

    # --- progress ------------------------------------------------------------------------------

    def report(self, status: ProgressStatus, start_alongside: Callable[[], Sequence[Any]] | None = None) -> Steps:
        """Custom status now, mirrored into the job document (so job lists show it) by an activity.

        `start_alongside` creates tasks (never yielded before) right after the mirror (see `fan_out`). They are
        yielded together with the mirror in one task_any, so their actions reach the extension inside a WhenAny
        that the mirror completes: the extension's shim awaits each top-level action before it starts the next
        one, and this WhenAny must not make it wait for the tasks themselves."""
        self._set_status(status)
        payload = RecordProgressInput(**self.ids, progress=status, updated_at=self.context.current_utc_datetime)
        mirror = self.context.call_activity_with_retry(names.RECORD_PROGRESS, JOB_BOOKKEEPING, _dump(payload))
        alongside = start_alongside() if start_alongside is not None else ()
        if alongside:
            yield self.context.task_any([mirror, *alongside])  # a WhenAny never fails; the mirror is checked below
        # The mirror is best effort: the custom status already shows the progress, and the job's terminal state
        # is written by finalize, which does not depend on it.
        with contextlib.suppress(Exception):
            yield mirror

    def _set_status(self, status: ProgressStatus) -> None:
        self.last = status
        self.context.set_custom_status(status.model_dump(mode="json"))

    # --- steps ---------------------------------------------------------------------------------

    def call(
        self,
        step: str,
        name: str,
        retry: df.RetryOptions,
        payload: BaseModel,
        outcome: type[OutcomeT],
        *,
        cancellable: bool = True,
    ) -> Generator[Any, Any, OutcomeT]:
        """Run one step activity. A cancellable step races the cancel event: a cancel stops the job at once."""
        self.step = step
        task = self.context.call_activity_with_retry(name, retry, _dump(payload))
        if cancellable:
            winner = yield self.context.task_any([task, self.cancel])
            value = self._value(winner)
        else:
            value = yield task
        return self._check(outcome.model_validate(value))

    def fan_out(
        self,
        step: str,
        name: str,
        retry: df.RetryOptions,
        payloads: Sequence[BaseModel],
        outcome: type[OutcomeT],
        report: Callable[[int, int], ProgressStatus],
        *,
        weights: Sequence[int] | None = None,
        window: int = FAN_OUT_WINDOW,
    ) -> Generator[Any, Any, list[OutcomeT]]:
        """Run one activity per payload, at most `window` in flight, scheduling more as they finish. After each
        finishes, `report(done, total)` (weighted) is published. Stops at the first failure or at a cancel.

        How the calls reach the extension matters. The SDK records a task's action only the first time the task is
        yielded (a task_any over tasks yielded before lists only the new ones), and the extension's out-of-proc
        shim awaits the recorded top-level actions one after another. A task_any over the running calls plus a
        new one would record a WhenAny of the new call alone, and the shim would schedule nothing after it until
        that call finished: one call at a time after the first window. So a call that refills the window is
        yielded first with the progress mirror (`report(..., start_alongside=...)`), whose WhenAny ends as soon as the
        mirror does; the task_any over the running calls then records no action at all."""
        self.step = step
        weight = list(weights) if weights is not None else [1] * len(payloads)
        total, done = sum(weight), 0
        results: list[OutcomeT | None] = [None] * len(payloads)
        pending: dict[Any, int] = {}  # task -> payload index, in scheduling order (keeps replay deterministic)
        next_index = 0

        def refill() -> list[Any]:
            nonlocal next_index
            new = []
            while next_index < len(payloads) and len(pending) < window:
                task = self.context.call_activity_with_retry(name, retry, _dump(payloads[next_index]))
                pending[task] = next_index
                new.append(task)
                next_index += 1
            return new

        refill()  # the first window's actions go out in the first task_any's WhenAny
        while pending:
            winner = yield self.context.task_any([*pending, self.cancel])
            value = self._value(winner)
            index = pending.pop(winner)
            results[index] = self._check(outcome.model_validate(value))
            done += weight[index]
            if pending or next_index < len(payloads):  # the step after the fan-out reports its own end
                yield from self.report(report(done, total), start_alongside=refill)
        return [r for r in results if r is not None]

    def save(self, name: str, job_type: JobType) -> Generator[Any, Any, str]:
        """The last step, shared by every job type; returns the result id. Not cancellable: a cancel that
        arrives now is settled by finalize, which keeps whichever terminal state the job document got first."""
        yield from self.report(progress.saving(self.ref.job_id))
        saved = yield from self.call(
            ProcessingStep.SAVING_RESULTS, name, STORAGE_STEP, SaveResultInput(**self.ids, job_type=job_type),
            ResultSaved, cancellable=False,
        )  # fmt: skip
        return saved.result_id

    def _value(self, winner: Any) -> Any:
        if winner is self.cancel:
            raise JobCancelled()
        value = winner.result
        if isinstance(value, Exception):  # the activity failed after its retries
            raise value
        return value

    def _check(self, outcome: OutcomeT) -> OutcomeT:
        if outcome.status == "error":
            raise StepFailed(outcome.error or StepError(step=self.step, message=outcome.note, type="step_failed"))
        if outcome.status == "skipped":  # activities skip only when they find the job cancelled
            raise JobCancelled()
        return outcome


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")
