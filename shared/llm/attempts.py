"""One model request timed and reported to the observers of model calls (shared/llm/events.py), and traced as a
span of its own (shared/telemetry: `chat {model}`, a child of the step that makes it)."""

from __future__ import annotations

import time

from openai.types.chat import ChatCompletion

from shared import telemetry
from shared.jobs.models import ModelSelection
from shared.llm.admission import Ticket
from shared.llm.events import AttemptOutcome, ModelCallAttempt, emit


class AttemptReport:
    """Started just before a request goes out (after its quota was granted); `answered` or `refused` once."""

    def __init__(
        self,
        model: str,
        selection: ModelSelection,
        max_tokens: int,
        attempt: int,
        ticket: Ticket | None,
        waited_before: float,
        prompt: int,
    ) -> None:
        self.model = model
        self.selection = selection
        self.max_tokens = max_tokens
        self.attempt = attempt
        self.job_id = ticket.context.job_id if ticket is not None and ticket.context is not None else None
        self.queued = (ticket.waited_s - waited_before) if ticket is not None else 0.0
        self.prompt = prompt
        self._span = telemetry.model_call_span(model, selection, max_tokens, attempt, round(self.queued, 3))
        self._started = time.perf_counter()

    def answered(self, completion: ChatCompletion) -> None:
        usage = completion.usage
        prompt = usage.prompt_tokens if usage is not None else self.prompt
        self._emit("answered", None, prompt, usage.completion_tokens if usage is not None else 0)

    def refused(self, outcome: AttemptOutcome, status: int | None) -> None:
        self._emit(outcome, status, self.prompt, 0)

    def _emit(self, outcome: AttemptOutcome, status: int | None, prompt: int, completion: int) -> None:
        self._span.end(outcome, status, prompt, completion, self.job_id)
        emit(
            ModelCallAttempt(
                model=self.model,
                selection=self.selection,
                outcome=outcome,
                status=status,
                prompt_tokens=prompt,
                completion_tokens=completion,
                max_tokens=self.max_tokens,
                queue_wait_s=round(self.queued, 3),
                duration_s=round(time.perf_counter() - self._started, 3),
                attempt=self.attempt,
                job_id=self.job_id,
            )
        )
