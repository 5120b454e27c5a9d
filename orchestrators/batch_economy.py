"""The economy path of the batch evaluation orchestrator: the run's records through the (Azure) OpenAI Batch API,
half the price, answers within 24 h. The steps are shared/batches/economy.py and economy_results.py, reached
through activities/batches.py.

submit one request file per call until every record of the plan is sent or settled → poll at once, then on
durable timers (which hold no worker) racing the cancel event, until every remote batch has stopped → ingest each
file's answers. The history stays small: a few events per poll, and polls space out as a long batch runs.

A cancel cancels the remote batches, watches them on timers no cancel can end until they stop (answers already
made are paid for: they are read into the records), and the job ends cancelled. A failed step cancels them too:
nobody would read their answers.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from typing import Any

from orchestrators.job_run import JobCancelled, JobRun, StepFailed
from orchestrators.retry_policies import LLM_CALL
from shared.batches import names
from shared.batches.messages import BatchStepInput, IngestInput, Polled, PollInput, RunPlanned, SubmitInput, Submitted
from shared.jobs.messages import Outcome
from shared.jobs.models import ProcessingStep

DEFAULT_POLL_SECONDS = 60.0  # until a submit has said what BATCH_API_POLL_SECONDS is
POLLS_PER_PACE = 10
"""Polls at each pace: every BATCH_API_POLL_SECONDS for the first ten, then twice as long for ten, ..."""
SLOWEST_PACE = 10  # ... up to ten times BATCH_API_POLL_SECONDS (10 min in Azure): ~170 polls over 24 h
POLLS_AFTER_CANCEL = 15
"""How long a cancelled run waits for its remote batches to stop (cancelling can take minutes) to read what they
answered; after that the answers are left unread."""

Steps = Generator[Any, Any, Any]


def poll_delay(poll_seconds: float, polls: int) -> float:
    """Seconds before the next poll after `polls` polls."""
    return poll_seconds * min(2 ** (polls // POLLS_PER_PACE), SLOWEST_PACE)


def economy_steps(run: JobRun, plan: RunPlanned) -> Steps:
    ids = run.ids
    batch = BatchStepInput(**ids, batch_id=plan.batch_id)
    wait = DEFAULT_POLL_SECONDS
    try:
        files: list[int] = []
        start = 0
        while start < plan.records:
            piece = SubmitInput(
                **ids, batch_id=plan.batch_id, start=start, records=plan.records, chunk_size=plan.chunk_size
            )
            sent = yield from run.call(ProcessingStep.CALLING_LLM, names.ECONOMY_SUBMIT, piece, Submitted, LLM_CALL)
            wait = sent.poll_seconds
            if sent.requests:
                files.append(start)
            start = max(sent.next, start + 1)
        if files:
            yield from _watch(run, batch, wait)
        for start in files:
            ingest = IngestInput(**batch.model_dump(), start=start)
            yield from run.call(ProcessingStep.PROCESSING_RESULTS, names.ECONOMY_INGEST, ingest, Outcome, LLM_CALL)
    except JobCancelled:
        yield from _after_cancel(run, batch, wait)
        raise
    except StepFailed:
        yield from _stop(run, batch)
        raise


def _watch(run: JobRun, batch: BatchStepInput, wait: float) -> Steps:
    """Poll now, then after each timer, until every remote batch has stopped."""
    poll = PollInput(**batch.model_dump())
    polls = 0
    polled = yield from run.call(ProcessingStep.CALLING_LLM, names.ECONOMY_POLL, poll, Polled, LLM_CALL)
    while not polled.done:
        yield from _sleep(run, poll_delay(wait, polls), cancellable=True)
        polls += 1
        polled = yield from run.call(ProcessingStep.CALLING_LLM, names.ECONOMY_POLL, poll, Polled, LLM_CALL)


def _sleep(run: JobRun, seconds: float, *, cancellable: bool) -> Steps:
    timer = run.context.create_timer(run.context.current_utc_datetime + timedelta(seconds=seconds))
    if not cancellable:
        yield timer
        return
    winner = yield run.context.task_any([timer, run.cancel])
    if winner is run.cancel:
        raise JobCancelled()


def _after_cancel(run: JobRun, batch: BatchStepInput, wait: float) -> Steps:
    """Cancel the remote batches, wait for them to stop, read what they answered. The job ends cancelled whatever
    happens here (its document already says so)."""
    step = ProcessingStep.CALLING_LLM
    try:
        polled = yield from run.call(step, names.ECONOMY_CANCEL, batch, Polled, LLM_CALL, cancellable=False)
        poll = PollInput(**batch.model_dump(), after_cancel=True)
        for _ in range(POLLS_AFTER_CANCEL):
            if polled.done:
                break
            yield from _sleep(run, wait, cancellable=False)
            polled = yield from run.call(step, names.ECONOMY_POLL, poll, Polled, LLM_CALL, cancellable=False)
        if polled.done:
            for start in polled.starts:
                ingest = IngestInput(**batch.model_dump(), start=start, cancelled=True)
                yield from run.call(
                    ProcessingStep.PROCESSING_RESULTS, names.ECONOMY_INGEST, ingest, Outcome, LLM_CALL,
                    cancellable=False,
                )  # fmt: skip
    except StepFailed:
        return


def _stop(run: JobRun, batch: BatchStepInput) -> Steps:
    """The job failed: stop paying for remote batches whose answers nobody will read (best effort)."""
    try:
        yield from run.call(
            ProcessingStep.CALLING_LLM, names.ECONOMY_CANCEL, batch, Polled, LLM_CALL, cancellable=False
        )
    except StepFailed:
        return
