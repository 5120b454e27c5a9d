"""The app's metric instruments: jobs by type and status, job duration, model calls, tokens and 429s per deployment,
the quota scheduler's queue and waits, batch records per status. Created once with the process's telemetry
(shared/telemetry/setup.py) and held in its state (state.py).

Model calls are heard from the LLM client's observer hook (shared/llm/events.py); jobs from the job service's status
transitions (shared/telemetry/jobs.py); the queue and batch records from metrics.py's instrumentation points.
Attributes are names and statuses only (a model/deployment name, a job type), so every series stays small.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from opentelemetry.metrics import CallbackOptions, Meter, Observation
from opentelemetry.trace import get_current_span

from shared.llm.events import ModelCallAttempt, ModelEvent, QuotaDeferred
from shared.telemetry import attributes as a

PREFIX = "contractjobs"


class Instruments:
    def __init__(self, meter: Meter, provider: str) -> None:
        self.provider = a.GENAI_PROVIDERS.get(provider, provider)
        self.jobs_submitted = meter.create_counter(f"{PREFIX}.jobs.submitted", "{job}", "Jobs created, by type")
        self.jobs_started = meter.create_counter(f"{PREFIX}.jobs.started", "{job}", "Jobs that began processing")
        self.jobs_finished = meter.create_counter(
            f"{PREFIX}.jobs.finished", "{job}", "Jobs that ended, by type and job.status (completed/failed/cancelled)"
        )
        self.job_duration = meter.create_histogram(
            f"{PREFIX}.job.duration", "s", "From submit to end, by type and job.status"
        )
        self.llm_calls = meter.create_counter(
            f"{PREFIX}.llm.calls", "{call}", "Model requests by deployment and llm.outcome (answered/throttled/failed)"
        )
        self.llm_tokens = meter.create_histogram(
            "gen_ai.client.token.usage", "{token}", "Tokens per model request, by gen_ai.token.type (input/output)"
        )
        self.llm_duration = meter.create_histogram("gen_ai.client.operation.duration", "s", "Model request duration")
        self.llm_wait = meter.create_histogram(
            f"{PREFIX}.llm.queue_wait", "s", "Waits for a deployment's quota: llm.wait in_process or durable_timer"
        )
        self.llm_deferrals = meter.create_counter(
            f"{PREFIX}.llm.deferrals", "{call}", "Model calls handed back to wait on a durable timer"
        )
        self.batch_records = meter.create_counter(
            f"{PREFIX}.batch.records", "{record}", "Records of finished batch runs, by batch.record.status"
        )
        self._queues: dict[str, int] = {}
        self._lock = threading.Lock()
        meter.create_observable_gauge(
            f"{PREFIX}.llm.queue_length",
            [self._observe_queues],
            "{call}",
            "Calls waiting for a deployment's quota, as this worker last saw the scheduler's queue",
        )

    # --- model calls (listener of shared/llm/events.py) ------------------------------------------------------

    def on_model_event(self, event: ModelEvent) -> None:
        if isinstance(event, ModelCallAttempt):
            self._attempt(event)
        elif isinstance(event, QuotaDeferred):
            self._deferred(event)

    def _attempt(self, event: ModelCallAttempt) -> None:
        labels: dict[str, str | int] = {
            a.GENAI_MODEL: event.model,
            a.GENAI_PROVIDER: self.provider,
            a.GENAI_OPERATION: "chat",
        }
        outcome = {**labels, a.LLM_SELECTION: event.selection, a.LLM_OUTCOME: event.outcome}
        if event.status is not None:
            outcome[a.HTTP_STATUS] = event.status
        self.llm_calls.add(1, outcome)
        timed = labels if event.outcome == "answered" else {**labels, a.ERROR_TYPE: _error_type(event)}
        self.llm_duration.record(event.duration_s, timed)
        if event.outcome == "answered":
            self.llm_tokens.record(event.prompt_tokens, {**labels, a.GENAI_TOKEN_TYPE: "input"})
            self.llm_tokens.record(event.completion_tokens, {**labels, a.GENAI_TOKEN_TYPE: "output"})
        if event.queue_wait_s > 0:
            self.llm_wait.record(event.queue_wait_s, {a.GENAI_MODEL: event.model, a.LLM_WAIT_KIND: "in_process"})

    def _deferred(self, event: QuotaDeferred) -> None:
        self.llm_deferrals.add(1, {a.GENAI_MODEL: event.model})
        self.llm_wait.record(event.wait_s, {a.GENAI_MODEL: event.model, a.LLM_WAIT_KIND: "durable_timer"})
        # The step that waits: its span (the activity's) says so; the step then ends with a `wait` outcome.
        get_current_span().add_event(
            "llm.quota_wait",
            {a.GENAI_MODEL: event.model, a.LLM_WAIT_S: event.wait_s, a.LLM_QUEUE_AHEAD: event.ahead},
        )

    # --- the scheduler's queue --------------------------------------------------------------------------------

    def queue_seen(self, model: str, waiting: int) -> None:
        with self._lock:
            self._queues[model] = waiting

    def _observe_queues(self, options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            seen = dict(self._queues)
        return [Observation(waiting, {a.GENAI_MODEL: model}) for model, waiting in seen.items()]


def _error_type(event: ModelCallAttempt) -> str:
    return str(event.status) if event.status is not None else "connection"
