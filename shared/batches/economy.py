"""An economy run: the batch's records through the (Azure) OpenAI Batch API — half the price, answers within 24 h.
The evaluation orchestrator calls its steps between durable timers: submit (here), then poll, ingest and cancel
(shared/batches/economy_results.py).

submit  the run's records from a position on, as many as one request file takes (BATCH_API_MAX_REQUESTS, and
        MAX_FILE_BYTES): a record whose answer is in the answer cache is answered at once (S, reused), as in a standard
        run; one too long for one request fails (F, see TOO_LONG); the others become lines of the file. The file
        is uploaded and a remote batch created over it; both ids are kept on the batch (Batch.remote_batches) so
        that a crash or a cancel finds them.

Safe to run twice: a file already sent is found on the batch by its start position, the remote batch created
over it by its input file id (a lost answer to "create" never creates a second one), and a record this run
already settled is left as it is.
"""

from __future__ import annotations

import json
import tempfile
from collections import OrderedDict
from typing import IO

from pydantic import TypeAdapter

from shared.analysis.token_usage import TokenUsage
from shared.batches import progress
from shared.batches.answer_cache import answer_key
from shared.batches.batch_lines import prompt_tokens, request_line
from shared.batches.evaluation import EvaluationTask
from shared.batches.messages import Submitted
from shared.batches.models import Batch, BatchConfig, ModelAnswer, RecordStatus, RemoteBatch, ResponseRecord
from shared.batches.running import chunk_name
from shared.batches.scoring import checks_refusal
from shared.batches.service import BatchService
from shared.documents.models import DocumentText
from shared.errors import NotFoundError
from shared.hosting import get_hosting
from shared.jobs.models import utcnow
from shared.jobs.scope import JobScope
from shared.llm.batch_api import BatchAPI, RemoteStatus
from shared.settings import Settings, get_settings
from shared.text.tokens import encoding_for_model

IDS = TypeAdapter(list[str])
MAX_FILE_BYTES = 150 * 1024 * 1024
"""A request file's size: the Batch API takes up to 200 MB (OpenAI and Azure); a margin for what we cannot see."""
SPOOL_BYTES = 8 * 1024 * 1024  # a file in memory up to this, then on disk
AZURE_MIN_POLL_SECONDS = 60.0  # in Azure a remote batch is polled at most once a minute
TEXTS_KEPT = 16  # documents' texts held while building or reading a file (records of a document are adjacent)
TOO_LONG = (
    "{filename} is too long for one Batch API request ({needed} prompt tokens; the model allows {allowed} with "
    "max_tokens {max_tokens}): the standard mode evaluates it in parts, which one Batch API file cannot do. Run "
    "the batch again in mode 'standard': it evaluates only the failed records."
)
"""Why a document too long for one request fails instead of going the standard way: its evaluation is several
dependent calls (parts, then combine) and an economy run never pays the standard price unasked."""


def lines_name(start: int) -> str:
    """The artifact listing the record ids of the file that starts at `start`, in line order."""
    return f"economy/lines/{start}"


def poll_seconds(settings: Settings) -> float:
    seconds = settings.batch_api_poll_seconds
    return max(seconds, AZURE_MIN_POLL_SECONDS) if get_hosting().in_azure else seconds


def settled_here(record: ResponseRecord, job_id: str) -> bool:
    """Answered, or already failed by this run: nothing more to do for it."""
    return record.status is RecordStatus.S or (record.status is RecordStatus.F and record.run_job_id == job_id)


def settle_record(
    scope: JobScope,
    record: ResponseRecord,
    etag: str,
    *,
    answer: ModelAnswer | None = None,
    reused: bool = False,
    error: str | None = None,
    attempts: int | None = None,
    usage: TokenUsage | None = None,
) -> None:
    """The record answered (S) or failed (F) in this run; a failed one carries what its line cost (`usage`: a
    completion that could not be used was billed all the same), never an earlier run's figures."""
    update: dict[str, object] = {"run_job_id": scope.job_id, "updated_at": utcnow()}
    if attempts is not None:
        update["attempts"] = attempts
    if answer is not None:
        update |= {
            "status": RecordStatus.S,
            "response_text": answer.response_text,
            "score": answer.score,
            "evidence": answer.evidence,
            "model": answer.model,
            "usage": answer.usage,
            "answer_key": answer.key,
            "reused": reused,
            "error": None,
        }
    else:
        update |= {"status": RecordStatus.F, "error": error, "usage": usage or TokenUsage(), "reused": False}
    scope.repos.records.replace(record.model_copy(update=update), etag)


def task_of(config: BatchConfig, record: ResponseRecord, text: str) -> EvaluationTask:
    prompt = config.prompts[record.prompt_index]
    return EvaluationTask(
        prompt=prompt, document_id=record.document_id, filename=record.filename, text=text, model=config.model
    )


class Texts:
    """Documents' texts for one step, the last few kept (a document's records are next to each other)."""

    def __init__(self, scope: JobScope) -> None:
        self._scope = scope
        self._kept: OrderedDict[str, DocumentText] = OrderedDict()

    def get(self, document_id: str) -> DocumentText:  # NotFoundError: the document was deleted
        text = self._kept.pop(document_id, None) or self._scope.repos.documents.get_text(
            self._scope.user_id, document_id
        )
        self._kept[document_id] = text
        while len(self._kept) > TEXTS_KEPT:
            self._kept.popitem(last=False)
        return text


def remote_of(batch: Batch, job_id: str, start: int) -> RemoteBatch | None:
    return next((r for r in batch.remote_batches if r.run_job_id == job_id and r.start == start), None)


def keep_remote(scope: JobScope, batch_id: str, *entries: RemoteBatch) -> None:
    """Record `entries` on the batch (by start); entries of earlier runs go (the batch keeps its latest run's)."""

    def change(batch: Batch) -> Batch:
        starts = {e.start for e in entries}
        kept = [r for r in batch.remote_batches if r.run_job_id == scope.job_id and r.start not in starts]
        return batch.model_copy(update={"remote_batches": sorted([*kept, *entries], key=lambda r: r.start)})

    BatchService(scope.repos.batches).mutate(scope.user_id, batch_id, change)


def seen(entry: RemoteBatch, remote: RemoteStatus) -> RemoteBatch:
    """`entry` as the Batch API reports it now."""
    return entry.model_copy(
        update={
            "remote_id": remote.remote_id,
            "status": remote.status,
            "completed": remote.completed,
            "failed": remote.failed,
            "output_file_id": remote.output_file_id,
            "error_file_id": remote.error_file_id,
            "errors": remote.errors,
        }
    )


def submit(scope: JobScope, api: BatchAPI, batch_id: str, start: int, records: int, chunk_size: int) -> Submitted:
    settings = get_settings()
    wait = poll_seconds(settings)
    batch = BatchService(scope.repos.batches).get(scope.user_id, batch_id)
    sent = remote_of(batch, scope.job_id, start)
    if sent is None:
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as content:
            file = _File(scope, api, batch, chunk_size, settings.batch_api_max_requests, content)
            end = file.fill(start, records)
            shown = scope.report(progress.batch_api_prepared(end, records))
            if not file.ids:
                return Submitted(next=end, reused=file.reused, failed=file.failed, poll_seconds=wait, progress=shown)
            scope.artifacts.put_text(lines_name(start), IDS.dump_json(file.ids).decode())
            if scope.is_cancelled():
                return Submitted(status="skipped")
            input_file_id = api.upload(f"{batch_id}-{start}.jsonl", content)
        sent = RemoteBatch(
            run_job_id=scope.job_id, start=start, end=end, requests=len(file.ids), input_file_id=input_file_id
        )
        keep_remote(scope, batch_id, sent)  # before creating: a crash from here on finds the batch by its file
        reused, failed = file.reused, file.failed
    else:
        reused = failed = 0
    if sent.remote_id is None:
        if scope.is_cancelled():  # the cancel's activity may already have looked: create nothing it cannot see
            return Submitted(status="skipped")
        remote = api.find(sent.input_file_id) or api.create(sent.input_file_id)
        sent = seen(sent, remote)
        keep_remote(scope, batch_id, sent)
    return Submitted(next=sent.end, requests=sent.requests, reused=reused, failed=failed, poll_seconds=wait)


class _File:
    """One request file being filled from the run's list of records, settling what needs no line."""

    def __init__(
        self, scope: JobScope, api: BatchAPI, batch: Batch, chunk_size: int, limit: int, content: IO[bytes]
    ) -> None:
        self.scope, self.api, self.chunk_size, self.limit, self.content = scope, api, chunk_size, limit, content
        self.config = batch.snapshot or batch.config
        selection = self.config.model.modelSelection
        self.model_name = api.model_name(selection)
        self.line_model = api.line_model(selection)
        self.allowed = api.context_tokens(selection) - self.config.model.max_tokens
        self.encoding = encoding_for_model(self.model_name)
        self.document_tokens = {d.document_id: d.token_count for d in batch.documents}
        self.ids: list[str] = []
        self.size = self.reused = self.failed = 0
        self._texts = Texts(scope)
        self._chunk: tuple[int, list[str]] = (-1, [])

    def fill(self, start: int, records: int) -> int:
        """Lines for the records from `start` until the file is full; returns where the next file starts."""
        position = start
        while position < records and len(self.ids) < self.limit:
            record_id = self._record_id(position)
            line = self._line(record_id)
            if line is not None:
                if self.ids and self.size + len(line) > MAX_FILE_BYTES:
                    break  # this record starts the next file
                self.content.write(line)
                self.size += len(line)
                self.ids.append(record_id)
            position += 1
        return position

    def _record_id(self, position: int) -> str:
        chunk = position // self.chunk_size
        if self._chunk[0] != chunk:
            self._chunk = (chunk, IDS.validate_json(self.scope.artifacts.get_text(chunk_name(chunk))))
        return self._chunk[1][position % self.chunk_size]

    def _line(self, record_id: str) -> bytes | None:
        """The record's line, or None when it was settled without one (or already was)."""
        scope = self.scope
        current = scope.repos.records.get(scope.user_id, record_id)
        record = current.item
        if settled_here(record, scope.job_id):
            return None
        try:
            text = self._texts.get(record.document_id)
        except NotFoundError as exc:
            self.failed += 1
            settle_record(scope, record, current.etag, error=f"the document's text is gone: {exc}")
            return None
        task = task_of(self.config, record, text.text)
        refusal = checks_refusal(task.prompt.scoring)  # a stored pattern RE2 cannot run: no line, no cost
        if refusal is not None:
            self.failed += 1
            settle_record(scope, record, current.etag, error=refusal)
            return None
        key = answer_key(text.sha256, task.prompt, self.model_name, self.config.model)
        known = scope.repos.answers.get(scope.user_id, key)
        if known is not None:
            self.reused += 1
            settle_record(scope, record, current.etag, answer=known, reused=True)
            return None
        if not self._surely_fits(task, record.document_id):
            needed = prompt_tokens(task, self.encoding)
            if needed > self.allowed:
                self.failed += 1
                error = TOO_LONG.format(
                    filename=record.filename, needed=needed, allowed=self.allowed, max_tokens=task.model.max_tokens
                )
                settle_record(scope, record, current.etag, error=error)
                return None
        line = request_line(record_id, task, self.line_model, self.api.endpoint)
        return (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode()

    def _surely_fits(self, task: EvaluationTask, document_id: str) -> bool:
        """Far below the limit by the token count staging measured: no exact count needed. (Staging may count
        with another encoding: half again covers that; a token is at least one byte of the prompt or filename;
        2,000 covers the instructions, the schema and the framing.)"""
        tokens = self.document_tokens.get(document_id)
        if tokens is None:
            return False
        overhead = len(task.prompt.text.encode()) + len(task.filename.encode()) + 2_000
        return tokens * 1.5 + overhead < self.allowed
