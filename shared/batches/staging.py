"""The staging job's steps: plan (snapshot, find the documents), stage a chunk of documents, finish.

Safe to run twice: the plan keeps this job's snapshot, a document's text is kept with it (a re-run reuses it),
records are upserted under deterministic ids, the report merges by document id.
"""

from __future__ import annotations

import logging

from pydantic import TypeAdapter

from shared.batches import artifacts as names
from shared.batches import progress
from shared.batches.messages import StagingPlanned
from shared.batches.models import Batch, ResponseRecord, StagedDocument, StagingResult, record_id
from shared.batches.request import StagingJobRequest
from shared.batches.service import BatchService
from shared.documents.blobs import document_blobs
from shared.documents.models import Document, DocumentText
from shared.errors import NotFoundError
from shared.jobs.messages import Outcome, ResultSaved
from shared.jobs.models import JobType, ProcessingStep
from shared.jobs.progress import saving
from shared.jobs.scope import JobScope
from shared.jobs.steps import save_result
from shared.limits import ensure_batch_records_fit
from shared.settings import get_settings
from shared.text.extraction import ExtractionError, ReadingLimits, extract_text
from shared.text.tokens import count_tokens

log = logging.getLogger(__name__)

_IDS = TypeAdapter(list[str])


def plan(scope: JobScope) -> Outcome:
    request = scope.request(StagingJobRequest)
    batch = BatchService(scope.repos.batches).begin_staging(
        scope.user_id, request.batch_id, scope.job_id, reprocess=request.reprocess
    )
    assert batch.snapshot is not None
    found = scope.repos.documents.in_folders(scope.user_id, batch.snapshot.folders)
    # Documents uploaded since the stage was accepted count too: over MAX_RECORDS_PER_BATCH the job fails (422).
    ensure_batch_records_fit(len(found), len(batch.snapshot.prompts))
    done = {d.document_id for d in batch.documents if d.status == "staged"}
    todo = [d.document_id for d in found if d.document_id not in done]
    scope.artifacts.put_text(names.STAGING_DOCUMENTS, _IDS.dump_json(todo).decode())
    first = progress.staging(0, len(todo)) if todo else progress.checking_staged(len(done))
    return StagingPlanned(
        batch_id=request.batch_id,
        documents=len(todo),
        chunk_size=get_settings().batch_stage_chunk,
        progress=scope.report(first),
    )


def stage_chunk(scope: JobScope, batch_id: str, chunk: int, chunk_size: int, total: int) -> Outcome:
    ids = _IDS.validate_json(scope.artifacts.get_text(names.STAGING_DOCUMENTS))[
        chunk * chunk_size : (chunk + 1) * chunk_size
    ]
    service = BatchService(scope.repos.batches)
    batch = service.get(scope.user_id, batch_id)
    staged = [stage_document(scope, batch, document_id) for document_id in ids]
    service.record_staged(scope.user_id, batch_id, staged)
    done = scope.advance(
        ProcessingStep.RETRIEVING_DATA,
        total,
        progress.staging,
        weight=len(ids),
        after=lambda: progress.checking_staged(total),
    )
    return Outcome(progress=done)


def stage_document(scope: JobScope, batch: Batch, document_id: str) -> StagedDocument:
    """One document: its text (extracted once, kept with it), then one QUEUED record per prompt. A document that
    cannot be read is reported with the reason; the others go on."""
    repos, user_id = scope.repos, scope.user_id
    try:
        document = repos.documents.get(user_id, document_id)
    except NotFoundError:
        return StagedDocument(
            document_id=document_id, folder="", filename="", sha256="", status="failed", reason="document deleted"
        )
    try:
        text = document_text(scope, document)
    except (ExtractionError, NotFoundError) as exc:
        return _failed(document, str(exc))
    if not text.text.strip():
        return _failed(document, "no text could be extracted: the document is empty")
    assert batch.snapshot is not None
    repos.records.upsert_many(
        [
            ResponseRecord(
                record_id=record_id(batch.batch_id, document.document_id, index),
                user_id=user_id,
                batch_id=batch.batch_id,
                document_id=document.document_id,
                folder=document.folder,
                filename=document.filename,
                prompt_index=index,
                prompt_name=prompt.name,
            )
            for index, prompt in enumerate(batch.snapshot.prompts)
        ]
    )
    return StagedDocument(
        document_id=document.document_id,
        folder=document.folder,
        filename=document.filename,
        sha256=document.sha256,
        status="staged",
        token_count=text.token_count,
    )


def document_text(scope: JobScope, document: Document) -> DocumentText:
    """The document's text: kept from an earlier staging of the same bytes, else extracted from its blob now, within
    the reading limits (.docx and .pdf in a child process: shared/text/sandbox.py). OverReadingLimit (an
    ExtractionError) says which limit; a text kept from before a limit was lowered is held to it too."""
    repos = scope.repos
    limits = ReadingLimits.from_settings()
    try:
        known = repos.documents.get_text(scope.user_id, document.document_id)
        if known.sha256 == document.sha256:
            limits.check_text(document.filename, known.text)
            return known
    except NotFoundError:
        pass
    content = document_blobs().get(document.blob_name)
    text = extract_text(document.filename, content, limits)
    extracted = DocumentText(
        document_id=document.document_id,
        user_id=scope.user_id,
        sha256=document.sha256,
        text=text,
        token_count=count_tokens(text),
    )
    repos.documents.put_text(extracted)
    return extracted


def _failed(document: Document, reason: str) -> StagedDocument:
    log.info("document %s (%s) not staged: %s", document.document_id, document.filename, reason)
    return StagedDocument(
        document_id=document.document_id,
        folder=document.folder,
        filename=document.filename,
        sha256=document.sha256,
        status="failed",
        reason=reason,
    )


def finish(scope: JobScope, batch_id: str) -> Outcome:
    BatchService(scope.repos.batches).finish_staging(scope.user_id, batch_id)
    return Outcome(progress=scope.report(saving()))


def save(scope: JobScope, batch_id: str) -> ResultSaved:
    batch = BatchService(scope.repos.batches).get(scope.user_id, batch_id)
    staged = [d for d in batch.documents if d.status == "staged"]
    failed = [d for d in batch.documents if d.status == "failed"]
    found = len(batch.documents)
    result = StagingResult(
        batch_id=batch_id,
        status=batch.status.value,
        documents_prepared=len(staged),
        documents_found=found,
        message=f"Batch staging completed - {len(staged)}/{found} documents prepared",
        failed=[{"document_id": d.document_id, "filename": d.filename, "reason": d.reason or ""} for d in failed],
    )
    return ResultSaved(result_id=save_result(scope, JobType.BATCH_STAGING, result))
