"""Several records in one activity call (running.evaluate_records): each record stays exact on its own. Its answer is
paid for once and cached, its close and its count happen once however often the group is called again, its
transient failures and quota waits are its own, and a group waits or retries only for what it has left."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from shared.analysis.base import AnalyzerReply
from shared.batches import running
from shared.batches.evaluation import Evaluation, EvaluationTask
from shared.batches.models import BatchConfig, RecordStatus
from shared.batches.request import EvaluationJobRequest
from shared.batches.service import BatchService
from shared.jobs.document import BatchEvaluationJob
from shared.jobs.models import JobStatus
from shared.jobs.scope import JobScope
from shared.llm.calls import CallContext, QuotaWait, call_context, current_call
from shared.llm.errors import LLMTransientError
from shared.storage.base import Repositories
from tests.shared.batches.test_workflow import CONFIG, SAMPLES, USER, Counting, records, repos, stage, upload
from tests.support.jobs import job_scope

__all__ = ["repos"]


class Scripted(Counting):
    """The offline analyzer, with failures scripted per record (filename/prompt): raised in order, then answers."""

    def __init__(self, script: dict[str, list[Exception]] | None = None, provider: str = "offline") -> None:
        super().__init__()
        self.provider = provider
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.keys: list[str] = []
        self.contexts: list[CallContext] = []
        self._lock = threading.Lock()

    def evaluate(self, task: EvaluationTask) -> AnalyzerReply[Evaluation]:
        name = f"{task.filename}/{task.prompt.name}"
        with self._lock:
            self.calls.append(name)
            context = current_call()
            self.keys.append(context.key if context is not None else "")
            if context is not None:
                self.contexts.append(context)
            queued = self.script.get(name)
            failure = queued.pop(0) if queued else None
        if failure is not None:
            raise failure
        return self.inner.evaluate(task)


def planned(repos: Repositories, config: BatchConfig = CONFIG) -> tuple[JobScope, str, int]:
    """Two documents x the config's prompts, staged and planned for a run: (scope, batch id, records)."""
    upload(repos, "Suppliers", "nda_a.md", (SAMPLES / "nda_mutual_variant_a.md").read_bytes())
    upload(repos, "Suppliers", "msa.txt", (SAMPLES / "msa_standard.txt").read_bytes())
    batch = BatchService(repos.batches).create(USER, config)
    stage(repos, batch.batch_id, "job-stage")
    repos.jobs.create(
        BatchEvaluationJob(job_id="job-run", user_id=USER, request=EvaluationJobRequest(batch_id=batch.batch_id))
    )
    scope = job_scope(repos, "job-run")
    scope.jobs.update_status(USER, "job-run", JobStatus.PROCESSING)
    plan = running.plan(scope)
    assert plan.records_per_call == running.RECORDS_PER_CALL
    return scope, batch.batch_id, plan.records


def group(scope: JobScope, analyzer: Any, batch_id: str, total: int, key: str = "activity-call") -> Any:
    """The whole run as one group (one chunk), called the way the activity calls it (in its call context)."""
    with call_context(key, job_id=scope.job_id):
        return running.evaluate_records(scope, analyzer, batch_id, 0, 0, total, total)


def test_each_records_calls_are_the_steps_own_user_priority_and_job_type_with_a_key_of_their_own(
    repos: Repositories,
) -> None:
    """The quota's fair share and priority read the call context: a record's calls must be its job's user's, at its
    job's priority (a merge once gave them no user, so a batch and its owner's urgent comparison shared the quota as
    two users, and the urgent job waited behind the batch)."""
    scope, batch_id, total = planned(repos)
    analyzer = Scripted(provider="openai")  # concurrently, each record in a thread of its own
    step = dict(job_id=scope.job_id, user_id=USER, priority=lambda: 3, job_type=lambda: "batch_evaluation")
    with call_context("activity-call", defer=False, **step):  # type: ignore[arg-type]
        assert running.evaluate_records(scope, analyzer, batch_id, 0, 0, total, total).status == "ok"
    assert len(analyzer.contexts) == total
    for context in analyzer.contexts:
        assert (context.job_id, context.user_id, context.priority, context.job_type) == (
            scope.job_id,
            USER,
            3,
            "batch_evaluation",
        )
        assert context.defer is False
    assert len({c.key for c in analyzer.contexts}) == total  # each its own place in the quota queue


def done_count(scope: JobScope) -> tuple[int, int]:
    progress = scope.job().progress
    return progress.items_done, progress.seq


def test_a_group_settles_every_record_and_counts_them_in_one_progress_write(repos: Repositories) -> None:
    scope, batch_id, total = planned(repos)
    analyzer = Scripted()
    _, seq_before = done_count(scope)
    outcome = group(scope, analyzer, batch_id, total)
    assert outcome.status == "ok"
    assert outcome.progress is not None and outcome.progress.items_done == total
    assert outcome.progress.seq == seq_before + 1  # one write for the group, not one per record
    assert all(r.status is RecordStatus.S for r in records(repos, batch_id).values())
    assert len(analyzer.calls) == total


def test_a_transient_failure_retries_that_record_alone_and_nothing_is_counted_twice(repos: Repositories) -> None:
    scope, batch_id, total = planned(repos)
    analyzer = Scripted({"msa.txt/Governing law": [LLMTransientError("HTTP 503"), LLMTransientError("HTTP 503")]})
    first = group(scope, analyzer, batch_id, total)
    assert (first.status, first.attempt) == ("retry", 1)
    assert first.progress is not None and first.progress.items_done == total - 1  # the others are closed and counted
    paid = len(analyzer.calls)
    second = group(scope, analyzer, batch_id, total)  # the orchestrator's durable timer, then the same call
    assert (second.status, second.attempt) == ("retry", 2)
    assert second.progress is None  # nothing new was closed
    third = group(scope, analyzer, batch_id, total)
    assert third.status == "ok"
    assert analyzer.calls[paid:] == ["msa.txt/Governing law"] * 2  # the others' answers were not bought again
    assert done_count(scope)[0] == total
    found = records(repos, batch_id)
    assert all(r.status is RecordStatus.S for r in found.values())
    assert found[("msa.txt", "Governing law")].attempts == 3


def test_a_record_out_of_attempts_fails_alone_and_the_group_completes(repos: Repositories) -> None:
    scope, batch_id, total = planned(repos)
    failures: list[Exception] = [LLMTransientError("HTTP 503")] * running.MAX_RECORD_ATTEMPTS
    analyzer = Scripted({"nda_a.md/Duration": failures})
    outcomes = [group(scope, analyzer, batch_id, total) for _ in range(running.MAX_RECORD_ATTEMPTS)]
    assert [o.status for o in outcomes] == ["retry"] * (running.MAX_RECORD_ATTEMPTS - 1) + ["ok"]
    found = records(repos, batch_id)
    assert found[("nda_a.md", "Duration")].status is RecordStatus.F
    assert "3 attempts" in (found[("nda_a.md", "Duration")].error or "")
    assert sum(r.status is RecordStatus.S for r in found.values()) == total - 1
    assert done_count(scope)[0] == total


def test_a_quota_wait_is_no_attempt_and_the_group_waits_only_for_that_record(repos: Repositories) -> None:
    scope, batch_id, total = planned(repos)
    waits: list[Exception] = [QuotaWait("gpt-4o", 7_000), QuotaWait("gpt-4o", 3_000)]
    analyzer = Scripted({"msa.txt/Basics": waits, "nda_a.md/Basics": [QuotaWait("gpt-4o", 5_000)]})
    first = group(scope, analyzer, batch_id, total)
    assert (first.status, first.retry_after_ms) == ("wait", 5_000)  # the soonest turn of those waiting
    assert first.progress is not None and first.progress.items_done == total - 2
    second = group(scope, analyzer, batch_id, total)
    assert (second.status, second.retry_after_ms) == ("wait", 3_000)
    assert group(scope, analyzer, batch_id, total).status == "ok"
    found = records(repos, batch_id)
    assert found[("msa.txt", "Basics")].attempts == 1  # three calls, two of them waits: one attempt
    assert done_count(scope)[0] == total


def test_a_cancelled_job_makes_no_model_call(repos: Repositories) -> None:
    scope, batch_id, total = planned(repos)
    scope.jobs.cancel(USER, scope.job_id)
    analyzer = Scripted()
    assert group(scope, analyzer, batch_id, total).status == "skipped"
    assert analyzer.calls == []
    assert all(r.status is RecordStatus.QUEUED for r in records(repos, batch_id).values())


class Slow(Scripted):
    """A model behind a network: each call takes `seconds`."""

    def __init__(self, seconds: float, script: dict[str, list[Exception]] | None = None) -> None:
        super().__init__(script, provider="openai")
        self.seconds = seconds

    def evaluate(self, task: EvaluationTask) -> AnalyzerReply[Evaluation]:
        time.sleep(self.seconds)
        return super().evaluate(task)


def test_a_model_behind_a_network_is_called_for_the_records_of_a_group_at_once(repos: Repositories) -> None:
    scope, batch_id, total = planned(repos)
    analyzer = Slow(0.3, {"nda_a.md/Governing law": [QuotaWait("gpt-4o", 1_000)]})
    started = time.perf_counter()
    assert group(scope, analyzer, batch_id, total).status == "wait"
    assert time.perf_counter() - started < 0.3 * total / 2  # concurrently, not one after another
    assert group(scope, analyzer, batch_id, total).status == "ok"
    # Each record's calls are its own in the quota queue, under a key that stays the same when the group is called
    # again: the record that waited comes back to its place.
    keys = dict(zip(analyzer.calls, analyzer.keys, strict=True))
    assert len(set(analyzer.keys[:total])) == total and "" not in analyzer.keys
    assert analyzer.calls[total:] == ["nda_a.md/Governing law"]
    assert analyzer.keys[total] == analyzer.keys[analyzer.calls.index("nda_a.md/Governing law")]
    assert keys["nda_a.md/Governing law"] == analyzer.keys[total]


def test_a_record_call_reads_the_runs_configuration_not_the_batch_document(
    repos: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch document holds the staging report (an entry a document: MBs for a large batch); the plan keeps
    the configuration the run evaluates with, and a record call reads that."""
    scope, batch_id, total = planned(repos)
    reads: list[str] = []
    original = BatchService.get

    def counted(self: BatchService, user_id: str, batch: str) -> Any:
        reads.append(batch)
        return original(self, user_id, batch)

    monkeypatch.setattr(BatchService, "get", counted)
    assert group(scope, Scripted(), batch_id, total).status == "ok"
    assert reads == []
