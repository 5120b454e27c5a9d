"""The evaluation job's steps: plan the run, evaluate a group of records (or one), finish (summary and status), save.

Never pay twice: a record's answer is looked up in the answer cache under the key of everything that determines it
before any model call, and every answer paid for is put there first. Safe to run twice: a record this run already
answered or failed is left as it is; the plan keeps this job's list of records.

One activity call evaluates a group of consecutive records of a chunk (RECORDS_PER_CALL), so orchestration costs
(history events, replays, activity dispatch, progress writes) are paid once per group, not once per record. Each
record stays its own unit: its answer cached the moment it is paid for, its close written the moment it is settled,
its attempts and quota waits its own. The group's outcome says what is left: `wait` (a record's first model call
waits for its turn at the quota: the call is made again later, the settled records are skipped then) or `retry` (a
record failed transiently with attempts left; `attempt` is its count, which the orchestrator's backoff follows).
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel, TypeAdapter

from shared import telemetry
from shared.analysis.base import Analyzer
from shared.analysis.token_usage import TokenUsage
from shared.batches import artifacts as names
from shared.batches import progress
from shared.batches.answer_cache import answer_key
from shared.batches.evaluation import EvaluationTask, settle
from shared.batches.messages import RunPlanned
from shared.batches.models import BatchConfig, BatchSummary, ModelAnswer, RecordStatus, ResponseRecord
from shared.batches.request import EvaluationJobRequest
from shared.batches.scoring import ScoreInvalid, checks_refusal
from shared.batches.service import BatchService
from shared.batches.summary import summarize
from shared.documents.models import DocumentText
from shared.errors import DomainError, NotFoundError
from shared.jobs.errors import PERMANENT_ERRORS, describe, outcome_of_failure
from shared.jobs.messages import Outcome, ResultSaved
from shared.jobs.models import JobProgress, JobType, ProcessingStep, utcnow
from shared.jobs.progress import saving
from shared.jobs.scope import JobScope
from shared.jobs.steps import save_result
from shared.llm.calls import QuotaWait, call_key, current_call, item_call_context
from shared.llm.errors import LLMTransientError
from shared.llm.prices import prices_for
from shared.settings import get_settings
from shared.storage.unavailable import keep

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_RECORD_ATTEMPTS = 3
"""Calls of one record in a run that the model answered with a transient failure before the record is marked F
(the orchestrator waits on a durable timer between them); the rest of the batch goes on."""
_IDS = TypeAdapter(list[str])
PAGE = 500
RECORD_FAILURES: tuple[type[Exception], ...] = (*PERMANENT_ERRORS, ScoreInvalid)
RECORDS_PER_CALL = 8
"""Records one activity call evaluates. A chunk keeps one such call in flight, so a job has as many records in flight
as before groups (CHUNKS_IN_FLIGHT x 8), and the orchestration's cost per record is an eighth: one pair of history
events and about two replays of the chunk per eight records, one progress write per call."""


def _reason(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        return describe("calling_llm", exc).message
    return f"the model's answer was not used: {exc}"


class RunResult(BaseModel):
    batch_id: str
    status: str
    summary: BatchSummary


def chunk_name(chunk: int) -> str:
    return f"{names.RUN_RECORDS}/{chunk}"


def records_of(scope: JobScope, batch_id: str, statuses: list[RecordStatus] | None = None) -> Iterator[ResponseRecord]:
    continuation: str | None = None
    while True:
        page = scope.repos.records.query(
            scope.user_id, batch_id, statuses=statuses, limit=PAGE, continuation=continuation
        )
        yield from page.items
        if not page.continuation:
            return
        continuation = page.continuation


def plan(scope: JobScope) -> RunPlanned:
    """The records to evaluate: QUEUED and F ones (a finished batch re-runs only its failures), in chunks."""
    request = scope.request(EvaluationJobRequest)
    batch = BatchService(scope.repos.batches).begin_run(scope.user_id, request.batch_id, scope.job_id)
    # What every record call needs of the batch, apart: the batch document itself holds the staging report, one
    # entry a document (MBs at 10,000 documents), which no record call should read.
    scope.artifacts.put(names.RUN_CONFIG, batch.snapshot or batch.config)
    ids = [r.record_id for r in records_of(scope, request.batch_id, [RecordStatus.QUEUED, RecordStatus.F])]
    # Records per sub-orchestration (BATCH_RUN_CHUNK): each instance's history stays small however large the batch.
    size = get_settings().batch_run_chunk
    for chunk, start in enumerate(range(0, len(ids), size)):
        scope.artifacts.put_text(chunk_name(chunk), _IDS.dump_json(ids[start : start + size]).decode())
    first = progress.evaluating(0, len(ids)) if ids else progress.scoring(0)
    return RunPlanned(
        batch_id=request.batch_id,
        records=len(ids),
        chunk_size=size,
        mode=request.mode,
        records_per_call=RECORDS_PER_CALL,
        generations=True,
        progress=scope.report(first),
    )


def evaluate_record(
    scope: JobScope, analyzer: Analyzer, batch_id: str, chunk: int, position: int, total: int
) -> Outcome:
    """Record `position` of chunk `chunk`, alone. Raises QuotaWait while its first model call waits for its turn and
    LLMTransientError while a transient failure has attempts left: the step's `wait` and `retry` outcomes."""
    settled = _Group(scope, analyzer, batch_id).evaluate(_chunk_ids(scope, chunk)[position])
    if settled.failure is not None:
        raise settled.failure
    if settled.skipped:
        return Outcome(status="skipped")
    return Outcome(progress=_count(scope, total, 1)) if settled.closed else Outcome()


def evaluate_records(
    scope: JobScope, analyzer: Analyzer, batch_id: str, chunk: int, start: int, count: int, total: int
) -> Outcome:
    """Records `start` to `start + count` of chunk `chunk`: concurrently when the model is a service (its calls wait
    on the network), one after another offline (the analyzer is bound by CPU). Every record is settled, cached and
    closed on its own; the progress counts the records this call closed, in one write. What is left decides the
    outcome: `skipped` (the job was cancelled), `retry` (a transient failure with attempts left: `attempt` is its
    count), `wait` (a first model call waits for quota: `retry_after_ms` is the soonest turn), or ok."""
    ids = _chunk_ids(scope, chunk)[start : start + count]
    group = _Group(scope, analyzer, batch_id)
    outer = current_call()

    def one(record_id: str) -> _Settled:
        if outer is None:
            return group.evaluate(record_id)
        # Each record's model calls are its own in the quota queue: its first call may wait without a worker,
        # and a record that waited keeps its place when the group is called again (the key is the same then).
        key = call_key(outer.key, record_id)
        with item_call_context(outer, key):
            return group.evaluate(record_id)

    if analyzer.provider == "offline" or len(ids) <= 1:
        settled = [one(record_id) for record_id in ids]
    else:
        with ThreadPoolExecutor(len(ids), thread_name_prefix="batch-record") as pool:
            # Each thread runs in a copy of this call's context (its span, its quota context).
            futures = [pool.submit(contextvars.copy_context().run, one, record_id) for record_id in ids]
            settled = [f.result() for f in futures]
    counted = sum(1 for s in settled if s.closed)
    shown = _count(scope, total, counted) if counted else None
    if any(s.skipped for s in settled):
        return Outcome(status="skipped", progress=shown)
    retrying = [s for s in settled if isinstance(s.failure, LLMTransientError)]
    if retrying:
        worst = max(retrying, key=lambda s: s.attempt)
        hints = [_failure_outcome(s).retry_after_ms for s in retrying]
        hint = max((h for h in hints if h is not None), default=None)  # what the model asked of any of them
        outcome = _failure_outcome(worst)
        return outcome.model_copy(update={"attempt": worst.attempt, "retry_after_ms": hint, "progress": shown})
    waiting = [s for s in settled if isinstance(s.failure, QuotaWait)]
    if waiting:
        soonest = min(waiting, key=lambda s: s.failure.retry_after_ms if isinstance(s.failure, QuotaWait) else 0)
        return _failure_outcome(soonest).model_copy(update={"progress": shown})
    return Outcome(progress=shown)


def billed(exc: Exception) -> TokenUsage:
    """What the model calls behind a failure cost: the completions made before it (shared/llm/errors.py LLMError,
    shared/batches/llm.py DocumentTooLong); nothing for a failure no model call was made for."""
    usage = getattr(exc, "usage", None)
    return usage if isinstance(usage, TokenUsage) else TokenUsage()


def _chunk_ids(scope: JobScope, chunk: int) -> list[str]:
    return _IDS.validate_json(scope.artifacts.get_text(chunk_name(chunk)))


def _count(scope: JobScope, total: int, done: int) -> JobProgress:
    """`done` more records of the run closed: the job's progress, as stored."""
    return scope.advance(
        ProcessingStep.CALLING_LLM, total, progress.evaluating, weight=done, after=lambda: progress.scoring(total)
    )


def _failure_outcome(settled: _Settled) -> Outcome:
    assert settled.failure is not None
    outcome = outcome_of_failure(ProcessingStep.CALLING_LLM, settled.failure)
    assert outcome is not None  # QuotaWait and LLMTransientError are classified
    return outcome


@dataclass
class _Settled:
    """What evaluating one record came to."""

    closed: bool = False  # answered (S) or failed (F) by this call: one more record done
    skipped: bool = False  # the job is cancelled: no model call was made
    failure: QuotaWait | LLMTransientError | None = None  # not settled yet: call again (after a durable timer)
    attempt: int = 0  # the record's attempts in this run, with a transient failure


class _Group:
    """What the records of one call share, read once: the run's configuration, the documents' texts, whether the job is
    cancelled (checked before the first model call; a cancel after it is seen by the group after)."""

    def __init__(self, scope: JobScope, analyzer: Analyzer, batch_id: str) -> None:
        self.scope = scope
        self.analyzer = analyzer
        self.batch_id = batch_id
        self._lock = threading.Lock()
        self._config: BatchConfig | None = None
        self._texts: dict[str, DocumentText] = {}
        self._cancelled: bool | None = None

    def _once(self, read: Callable[[], T]) -> T:
        with self._lock:
            return read()

    def config(self) -> BatchConfig:
        """The configuration the run evaluates with, as its plan kept it (a plan from before: the batch's)."""

        def read() -> BatchConfig:
            if self._config is None:
                self._config = self.scope.artifacts.find(names.RUN_CONFIG, BatchConfig)
                if self._config is None:
                    batch = BatchService(self.scope.repos.batches).get(self.scope.user_id, self.batch_id)
                    self._config = batch.snapshot or batch.config
            return self._config

        return self._once(read)

    def text(self, document_id: str) -> DocumentText:
        def read() -> DocumentText:
            if document_id not in self._texts:
                self._texts[document_id] = self.scope.repos.documents.get_text(self.scope.user_id, document_id)
            return self._texts[document_id]

        return self._once(read)

    def cancelled(self) -> bool:
        def read() -> bool:
            if self._cancelled is None:
                self._cancelled = self.scope.is_cancelled()
            return self._cancelled

        return self._once(read)

    def evaluate(self, record_id: str) -> _Settled:
        scope = self.scope
        current = scope.repos.records.get(scope.user_id, record_id)
        record = current.item
        ran_here = record.run_job_id == scope.job_id
        if record.status is RecordStatus.S or (record.status is RecordStatus.F and ran_here):
            return _Settled()  # answered already, or this run already gave up on it: counted then
        try:
            task, key = self._task(record)
        except NotFoundError as exc:
            _close(scope, record, current.etag, error=f"the document's text is gone: {exc}")
            return _Settled(closed=True)
        refusal = checks_refusal(task.prompt.scoring)  # a stored pattern RE2 cannot run: fail it before paying
        if refusal is not None:
            _close(scope, record, current.etag, error=refusal)
            return _Settled(closed=True)
        known = scope.repos.answers.get(scope.user_id, key)
        if known is not None:
            _close(scope, record, current.etag, answer=known, reused=True)
            return _Settled(closed=True)
        if self.cancelled():
            return _Settled(skipped=True)
        attempts = (record.attempts if ran_here else 0) + 1
        spent = record.usage if ran_here else TokenUsage()  # what this run already paid for it (earlier attempts)
        record = record.model_copy(
            update={"attempts": attempts, "run_job_id": scope.job_id, "answer_key": key, "usage": spent}
        )
        etag = scope.repos.records.replace(record, current.etag)
        reply = None
        try:
            reply = self.analyzer.evaluate(task)
            evaluation = settle(task, reply.output)
        except QuotaWait as wait:
            # Not an attempt: the call waits for its turn at the model's quota (a `wait` outcome, then called again).
            scope.repos.records.replace(record.model_copy(update={"attempts": attempts - 1}), etag)
            return _Settled(failure=wait)
        except LLMTransientError as exc:
            spent = spent + billed(exc)
            if attempts < MAX_RECORD_ATTEMPTS:
                # Called again after a durable timer. What was paid for stays counted.
                scope.repos.records.replace(record.model_copy(update={"usage": spent}), etag)
                return _Settled(failure=exc, attempt=attempts)
            message = f"{describe('calling_llm', exc).message} ({attempts} attempts)"
            _close(scope, record, etag, error=message, usage=spent)
            return _Settled(closed=True)
        except RECORD_FAILURES as exc:  # this record failed: the others go on, and what it cost is counted
            paid = reply.usage if reply is not None else billed(exc)  # settle refused an answer it had paid for
            _close(scope, record, etag, error=_reason(exc), usage=spent + paid)
            return _Settled(closed=True)
        answer = ModelAnswer(
            key=key,
            user_id=scope.user_id,
            response_text=evaluation.response_text,
            score=evaluation.score,
            evidence=evaluation.evidence,
            model=reply.model,
            usage=reply.usage,
        )
        keep(lambda: scope.repos.answers.put(answer), f"answer {answer.key!r}")  # paid for: kept first, in place
        _close(scope, record, etag, answer=answer, usage=spent + reply.usage)
        return _Settled(closed=True)

    def _task(self, record: ResponseRecord) -> tuple[EvaluationTask, str]:
        config = self.config()
        prompt = config.prompts[record.prompt_index]
        text = self.text(record.document_id)
        task = EvaluationTask(
            prompt=prompt, document_id=record.document_id, filename=record.filename, text=text.text, model=config.model
        )
        model = self.analyzer.model_name(config.model.modelSelection)
        return task, answer_key(text.sha256, prompt, model, config.model)


def _close(
    scope: JobScope,
    record: ResponseRecord,
    etag: str,
    *,
    answer: ModelAnswer | None = None,
    reused: bool = False,
    error: str | None = None,
    usage: TokenUsage | None = None,
) -> None:
    """The record answered (S) or failed (F) in this run (counted by the caller). `usage`: what this run's model calls
    for it cost, failed ones included (default: the answer's own, or nothing); a reused answer cost this run nothing."""
    update: dict[str, object] = {"run_job_id": scope.job_id, "updated_at": utcnow()}
    if answer is not None:
        update |= {
            "status": RecordStatus.S,
            "response_text": answer.response_text,
            "score": answer.score,
            "evidence": answer.evidence,
            "model": answer.model,
            "usage": answer.usage if usage is None else usage,
            "answer_key": answer.key,
            "reused": reused,
            "error": None,
        }
    else:
        log.info("record %s failed: %s", record.record_id, error)
        update |= {"status": RecordStatus.F, "error": error, "usage": usage or TokenUsage(), "reused": False}
    scope.repos.records.replace(record.model_copy(update=update), etag)


def finish(scope: JobScope, batch_id: str) -> Outcome:
    service = BatchService(scope.repos.batches)
    batch = service.get(scope.user_id, batch_id)
    config = batch.snapshot or batch.config
    mode = scope.request(EvaluationJobRequest).mode
    prices = prices_for(get_settings(), config.model.modelSelection)
    summary, documents = summarize(
        config, records_of(scope, batch_id), batch.documents, scope.job_id, mode=mode, prices=prices
    )
    service.finish_run(scope.user_id, batch_id, summary, documents)
    telemetry.batch_finished(summary.by_status, mode)
    return Outcome(progress=scope.report(saving()))


def save(scope: JobScope, batch_id: str) -> ResultSaved:
    batch = BatchService(scope.repos.batches).get(scope.user_id, batch_id)
    assert batch.summary is not None
    result = RunResult(batch_id=batch_id, status=batch.status.value, summary=batch.summary)
    return ResultSaved(result_id=save_result(scope, JobType.BATCH_EVALUATION, result))
