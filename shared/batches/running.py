"""The evaluation job's steps: plan the run, evaluate one record, finish (summary and status), save.

Never pay twice: a record's answer is looked up in the answer cache under the key of everything that determines it
before any model call, and every answer paid for is put there first. Safe to run twice: a record this run already
answered or failed is left as it is; the plan keeps this job's list of records.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from pydantic import BaseModel, TypeAdapter

from shared import telemetry
from shared.analysis.base import Analyzer
from shared.analysis.token_usage import TokenUsage
from shared.batches import artifacts as names
from shared.batches import progress
from shared.batches.answer_cache import answer_key
from shared.batches.evaluation import EvaluationTask, settle
from shared.batches.messages import RunPlanned
from shared.batches.models import Batch, BatchSummary, ModelAnswer, RecordStatus, ResponseRecord
from shared.batches.request import EvaluationJobRequest
from shared.batches.scoring import ScoreInvalid, checks_refusal
from shared.batches.service import BatchService
from shared.batches.summary import summarize
from shared.errors import DomainError, NotFoundError
from shared.jobs.errors import PERMANENT_ERRORS, describe
from shared.jobs.messages import Outcome, ResultSaved
from shared.jobs.models import JobType, ProcessingStep, utcnow
from shared.jobs.progress import saving
from shared.jobs.scope import JobScope
from shared.jobs.steps import save_result
from shared.llm.calls import QuotaWait
from shared.llm.errors import LLMTransientError
from shared.llm.prices import prices_for
from shared.settings import get_settings
from shared.storage.unavailable import keep

log = logging.getLogger(__name__)

MAX_RECORD_ATTEMPTS = 3
"""Calls of one record in a run that the model answered with a transient failure before the record is marked F
(the orchestrator waits on a durable timer between them); the rest of the batch goes on."""
_IDS = TypeAdapter(list[str])
PAGE = 500
RECORD_FAILURES: tuple[type[Exception], ...] = (*PERMANENT_ERRORS, ScoreInvalid)


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
    BatchService(scope.repos.batches).begin_run(scope.user_id, request.batch_id, scope.job_id)
    ids = [r.record_id for r in records_of(scope, request.batch_id, [RecordStatus.QUEUED, RecordStatus.F])]
    # Records per sub-orchestration (BATCH_RUN_CHUNK): each instance's history stays small however large the batch.
    size = get_settings().batch_run_chunk
    for chunk, start in enumerate(range(0, len(ids), size)):
        scope.artifacts.put_text(chunk_name(chunk), _IDS.dump_json(ids[start : start + size]).decode())
    first = progress.evaluating(0, len(ids)) if ids else progress.scoring(0)
    return RunPlanned(
        batch_id=request.batch_id, records=len(ids), chunk_size=size, mode=request.mode, progress=scope.report(first)
    )


def evaluate_record(
    scope: JobScope, analyzer: Analyzer, batch_id: str, chunk: int, position: int, total: int
) -> Outcome:
    record_id = _IDS.validate_json(scope.artifacts.get_text(chunk_name(chunk)))[position]
    current = scope.repos.records.get(scope.user_id, record_id)
    record = current.item
    ran_here = record.run_job_id == scope.job_id
    if record.status is RecordStatus.S or (record.status is RecordStatus.F and ran_here):
        return Outcome()  # answered already, or this run already gave up on it: counted then
    batch = BatchService(scope.repos.batches).get(scope.user_id, batch_id)
    try:
        task, key = _task(scope, analyzer, batch, record)
    except NotFoundError as exc:
        return _close(scope, record, current.etag, total, error=f"the document's text is gone: {exc}")
    refusal = checks_refusal(task.prompt.scoring)  # a stored pattern RE2 cannot run: fail it before paying
    if refusal is not None:
        return _close(scope, record, current.etag, total, error=refusal)
    known = scope.repos.answers.get(scope.user_id, key)
    if known is not None:
        return _close(scope, record, current.etag, total, answer=known, reused=True)
    if scope.is_cancelled():
        return Outcome(status="skipped")
    attempts = (record.attempts if ran_here else 0) + 1
    spent = record.usage if ran_here else TokenUsage()  # what this run already paid for it (earlier attempts)
    record = record.model_copy(
        update={"attempts": attempts, "run_job_id": scope.job_id, "answer_key": key, "usage": spent}
    )
    etag = scope.repos.records.replace(record, current.etag)
    reply = None
    try:
        reply = analyzer.evaluate(task)
        evaluation = settle(task, reply.output)
    except QuotaWait:
        # Not an attempt: the call waits for its turn at the model's quota (a `wait` outcome, then called again).
        scope.repos.records.replace(record.model_copy(update={"attempts": attempts - 1}), etag)
        raise
    except LLMTransientError as exc:
        spent = spent + billed(exc)
        if attempts < MAX_RECORD_ATTEMPTS:
            # A retry outcome: the orchestrator calls again after a durable timer. What was paid for stays counted.
            scope.repos.records.replace(record.model_copy(update={"usage": spent}), etag)
            raise
        message = f"{describe('calling_llm', exc).message} ({attempts} attempts)"
        return _close(scope, record, etag, total, error=message, usage=spent)
    except RECORD_FAILURES as exc:  # this record failed: the others go on, and what it cost is counted
        paid = reply.usage if reply is not None else billed(exc)  # settle refused an answer it had paid for
        return _close(scope, record, etag, total, error=_reason(exc), usage=spent + paid)
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
    return _close(scope, record, etag, total, answer=answer, usage=spent + reply.usage)


def billed(exc: Exception) -> TokenUsage:
    """What the model calls behind a failure cost: the completions made before it (shared/llm/errors.py LLMError,
    shared/batches/llm.py DocumentTooLong); nothing for a failure no model call was made for."""
    usage = getattr(exc, "usage", None)
    return usage if isinstance(usage, TokenUsage) else TokenUsage()


def _task(scope: JobScope, analyzer: Analyzer, batch: Batch, record: ResponseRecord) -> tuple[EvaluationTask, str]:
    config = batch.snapshot or batch.config
    prompt = config.prompts[record.prompt_index]
    text = scope.repos.documents.get_text(scope.user_id, record.document_id)
    task = EvaluationTask(
        prompt=prompt, document_id=record.document_id, filename=record.filename, text=text.text, model=config.model
    )
    return task, answer_key(text.sha256, prompt, analyzer.model_name(config.model.modelSelection), config.model)


def _close(
    scope: JobScope,
    record: ResponseRecord,
    etag: str,
    total: int,
    *,
    answer: ModelAnswer | None = None,
    reused: bool = False,
    error: str | None = None,
    usage: TokenUsage | None = None,
) -> Outcome:
    """The record answered (S) or failed (F) in this run, and counted. `usage`: what this run's model calls for it
    cost, failed ones included (default: the answer's own, or nothing); a reused answer cost this run nothing."""
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
    done = scope.advance(ProcessingStep.CALLING_LLM, total, progress.evaluating, after=lambda: progress.scoring(total))
    return Outcome(progress=done)


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
