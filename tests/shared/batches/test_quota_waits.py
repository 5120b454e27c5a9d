"""A batch record whose model call waits for quota: not an attempt. Waiting any number of times neither fails the
record nor uses up the attempts its transient failures are allowed."""

from __future__ import annotations

from typing import Any

import pytest

from shared.analysis.base import AnalyzerReply
from shared.batches import running
from shared.batches.evaluation import Evaluation, EvaluationTask
from shared.batches.models import RecordStatus
from shared.batches.service import BatchService
from shared.llm.calls import QuotaWait
from shared.llm.errors import LLMTransientError
from shared.storage.base import Repositories
from tests.shared.batches.test_workflow import CONFIG, SAMPLES, USER, Counting, records, repos, run, stage, upload

__all__ = ["repos"]


class WaitsThenFails(Counting):
    """Waits for quota `waits` times, then fails transiently `fails` times, then answers."""

    def __init__(self, waits: int, fails: int) -> None:
        super().__init__()
        self.script: list[Exception] = [QuotaWait("gpt-4o", 5_000)] * waits + [LLMTransientError("HTTP 503")] * fails

    def evaluate(self, task: EvaluationTask) -> AnalyzerReply[Evaluation]:
        self.calls.append(task.filename)
        if self.script:
            raise self.script.pop(0)
        return self.inner.evaluate(task)


def run_waiting(repos: Repositories, analyzer: WaitsThenFails, monkeypatch: pytest.MonkeyPatch) -> str:
    upload(repos, "Suppliers", "nda_a.md", (SAMPLES / "nda_mutual_variant_a.md").read_bytes())
    config = CONFIG.model_copy(update={"prompts": CONFIG.prompts[:1]})
    batch = BatchService(repos.batches).create(USER, config)
    stage(repos, batch.batch_id, "job-stage")
    evaluate_record = running.evaluate_record

    def until_not_waiting(*args: Any) -> Any:
        while True:  # a `wait` outcome: the orchestrator's durable timer, then the same call again
            try:
                return evaluate_record(*args)
            except QuotaWait:
                continue

    monkeypatch.setattr(running, "evaluate_record", until_not_waiting)
    run(repos, batch.batch_id, "job-run", analyzer)
    return batch.batch_id


def test_waits_are_not_attempts(repos: Repositories, monkeypatch: pytest.MonkeyPatch) -> None:
    analyzer = WaitsThenFails(waits=running.MAX_RECORD_ATTEMPTS + 2, fails=running.MAX_RECORD_ATTEMPTS - 1)
    batch_id = run_waiting(repos, analyzer, monkeypatch)
    (record,) = records(repos, batch_id).values()
    assert record.status is RecordStatus.S  # its last transient failure was still within its attempts
    assert record.attempts == running.MAX_RECORD_ATTEMPTS  # the waits counted none
    assert len(analyzer.calls) == 2 * running.MAX_RECORD_ATTEMPTS + 2
