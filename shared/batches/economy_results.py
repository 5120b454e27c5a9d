"""An economy run's remote batches once sent (shared/batches/economy.py sends them):

poll    their status and counts, kept on the batch; returned small (through history).
ingest  one remote batch's output and error files: every answer checked and settled exactly like a standard
        answer (shared/batches/batch_lines.py), put in the answer cache, its record S; a failed or invalid line F with
        the reason; a record in neither file F "not answered by the Batch API (status ...)" — except after the
        user's cancel, when what the Batch API never reached stays QUEUED, as in a cancelled standard run.
cancel  ask the Batch API to stop them; what they answered before stopping is still ingested.

Safe to run twice: a record this run already settled is left as it is, the answer cache is an upsert, and an ingested
remote batch is marked so.
"""

from __future__ import annotations

from shared.batches import progress
from shared.batches.answer_cache import answer_key
from shared.batches.batch_lines import ANSWER_FAILURES, LineResult, answer_of, line_usage, read_result, reason
from shared.batches.economy import (
    IDS,
    Texts,
    keep_remote,
    lines_name,
    remote_of,
    seen,
    settle_record,
    settled_here,
    task_of,
)
from shared.batches.messages import Polled
from shared.batches.models import BatchConfig, ModelAnswer, RemoteBatch
from shared.batches.service import BatchService
from shared.errors import NotFoundError
from shared.jobs.messages import Outcome
from shared.jobs.scope import JobScope
from shared.llm.batch_api import TERMINAL, BatchAPI

STOPPED_BY_CANCEL = frozenset({"cancelled", "cancelling"})


def _ours(scope: JobScope, batch_id: str) -> list[RemoteBatch]:
    batch = BatchService(scope.repos.batches).get(scope.user_id, batch_id)
    return [r for r in batch.remote_batches if r.run_job_id == scope.job_id and r.remote_id is not None]


def _polled(entries: list[RemoteBatch], report: bool, scope: JobScope) -> Polled:
    requests = sum(e.requests for e in entries)
    completed = sum(e.completed for e in entries)
    failed = sum(e.failed for e in entries)
    status = ", ".join(sorted({e.status for e in entries})) or "completed"
    shown = scope.report(progress.batch_api_waiting(status, completed, failed, requests)) if report else None
    return Polled(
        done=all(e.status in TERMINAL for e in entries),
        remote_status=status,
        requests=requests,
        completed=completed,
        failed=failed,
        starts=[e.start for e in entries],
        progress=shown,
    )


def poll(scope: JobScope, api: BatchAPI, batch_id: str, after_cancel: bool = False) -> Polled:
    if not after_cancel and scope.is_cancelled():
        return Polled(status="skipped")  # the cancel event may not have reached the orchestrator
    entries = _ours(scope, batch_id)
    current = [e if e.status in TERMINAL else seen(e, api.retrieve(str(e.remote_id))) for e in entries]
    if current != entries:
        keep_remote(scope, batch_id, *current)
    return _polled(current, not after_cancel, scope)


def cancel(scope: JobScope, api: BatchAPI, batch_id: str) -> Polled:
    entries = _ours(scope, batch_id)
    current = [e if e.status in TERMINAL else seen(e, api.cancel(str(e.remote_id))) for e in entries]
    if current != entries:
        keep_remote(scope, batch_id, *current)
    return _polled(current, False, scope)


def ingest(scope: JobScope, api: BatchAPI, batch_id: str, start: int, cancelled: bool = False) -> Outcome:
    service = BatchService(scope.repos.batches)
    batch = service.get(scope.user_id, batch_id)
    entry = remote_of(batch, scope.job_id, start)
    if entry is None or entry.remote_id is None or entry.ingested:
        return Outcome()
    remote = api.retrieve(entry.remote_id)
    entry = seen(entry, remote)
    ids = IDS.validate_json(scope.artifacts.get_text(lines_name(start)))
    config = batch.snapshot or batch.config
    reader = _Reader(scope, config, api.model_name(config.model.modelSelection))
    wanted = set(ids)
    for file_id in (entry.output_file_id, entry.error_file_id):
        for line in api.lines(file_id) if file_id else ():
            result = read_result(line)
            if result is not None and result.custom_id in wanted:
                reader.take(result)
    status = entry.status + (f": {entry.errors}" if entry.errors else "")
    for record_id in ids:
        current = scope.repos.records.get(scope.user_id, record_id)
        if settled_here(current.item, scope.job_id) or (cancelled and entry.status in STOPPED_BY_CANCEL):
            continue
        settle_record(scope, current.item, current.etag, error=f"not answered by the Batch API (status {status})")
    keep_remote(scope, batch_id, entry.model_copy(update={"ingested": True}))
    return Outcome(progress=scope.report(progress.batch_api_reading()))


class _Reader:
    """Settles the records of one remote batch from its lines."""

    def __init__(self, scope: JobScope, config: BatchConfig, model_name: str) -> None:
        self.scope, self.config, self.model_name = scope, config, model_name
        self.texts = Texts(scope)

    def take(self, result: LineResult) -> None:
        scope = self.scope
        current = scope.repos.records.get(scope.user_id, result.custom_id)
        record = current.item
        if settled_here(record, scope.job_id):
            return
        if result.error is not None or result.completion is None:
            settle_record(scope, record, current.etag, error=result.error or "no answer", attempts=1)
            return
        try:
            text = self.texts.get(record.document_id)
        except NotFoundError as exc:
            settle_record(scope, record, current.etag, error=f"the document's text is gone: {exc}", attempts=1)
            return
        task = task_of(self.config, record, text.text)
        try:
            reply = answer_of(task, result.completion, self.model_name)
        except ANSWER_FAILURES as exc:  # billed all the same: the failed record counts what its line cost
            usage = line_usage(result.completion)
            settle_record(scope, record, current.etag, error=reason(exc), attempts=1, usage=usage)
            return
        answer = ModelAnswer(
            key=answer_key(text.sha256, task.prompt, self.model_name, self.config.model),
            user_id=scope.user_id,
            response_text=reply.output.response_text,
            score=reply.output.score,
            evidence=reply.output.evidence,
            model=reply.model,
            usage=reply.usage,
        )
        scope.repos.answers.put(answer)  # paid for: kept before anything else can fail
        settle_record(scope, record, current.etag, answer=answer, attempts=1)
