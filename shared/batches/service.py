"""A batch's life over its repository: created SAVED, its configuration edited while no job runs it, staged,
run, finished — every change a read-modify-write under the batch's ETag, checked against the allowed moves.

SAVED -> STAGING -> STAGED | FAILED_STAGING; staged or finished -> STAGING (reprocess: what is missing or failed);
staged or finished -> PROCESSING -> COMPLETED | COMPLETED_WITH_ERRORS | FAILED | CANCELLED.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime

from shared.batches.models import Batch, BatchConfig, BatchStatus, BatchSummary, StagedDocument
from shared.errors import InvalidTransitionError, ValidationFailed
from shared.jobs.models import utcnow
from shared.storage import optimistic
from shared.storage.base import BatchRepository, DocumentRepository, Page

RUNNING = frozenset({BatchStatus.STAGING, BatchStatus.PROCESSING})
FINISHED = frozenset(
    {BatchStatus.COMPLETED, BatchStatus.COMPLETED_WITH_ERRORS, BatchStatus.FAILED, BatchStatus.CANCELLED}
)
CAN_STAGE = frozenset({BatchStatus.SAVED, BatchStatus.FAILED_STAGING})
CAN_RESTAGE = frozenset({BatchStatus.SAVED, BatchStatus.STAGED, BatchStatus.FAILED_STAGING, *FINISHED})
CAN_RUN = frozenset({BatchStatus.STAGED, *FINISHED})


def new_batch_id(now: datetime) -> str:
    return f"bat_{int(now.timestamp())}_{uuid.uuid4().hex[:12]}"


def refuse(batch: Batch, action: str, allowed: Iterable[BatchStatus]) -> InvalidTransitionError:
    names = ", ".join(sorted(s.value for s in allowed))
    return InvalidTransitionError(
        f"batch {batch.batch_id!r} is {batch.status.value}: it can be {action} only when {names}",
        {"batch_id": batch.batch_id, "status": batch.status.value, "allowed": sorted(s.value for s in allowed)},
    )


def ensure_can(batch: Batch, action: str, allowed: frozenset[BatchStatus]) -> None:
    if batch.status not in allowed:
        raise refuse(batch, action, allowed)


class UnknownFolders(ValidationFailed):
    """A configuration naming folders the user has no documents in (422, nothing saved): staging would find
    nothing there, and a typo would silently shrink the batch."""

    code = "unknown_folders"

    def __init__(self, unknown: list[str], known: list[str]) -> None:
        names = ", ".join(repr(folder) for folder in unknown)
        super().__init__(
            f"folders names folders you have no documents in: {names}; upload documents into them first",
            {"field": "folders", "unknown": unknown, "folders": known},
        )
        self.unknown = unknown


def check_folders(documents: DocumentRepository, user_id: str, config: BatchConfig) -> None:
    """Every folder of `config` holds at least one of the user's documents, or UnknownFolders names the others."""
    known = [f.folder for f in documents.folders(user_id)]
    unknown = [folder for folder in config.folders if folder not in known]
    if unknown:
        raise UnknownFolders(unknown, known)


class BatchService:
    def __init__(
        self,
        repo: BatchRepository,
        clock: Callable[[], datetime] = utcnow,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
        documents: DocumentRepository | None = None,
    ) -> None:
        """With `documents` (the API's service), a configuration is checked against the user's folders when it is
        created or replaced (UnknownFolders); the workflow's steps only read and move batches."""
        self._repo = repo
        self._clock = clock
        self._sleep = sleep  # the pauses after lost ETag races
        self._rand = rand
        self._documents = documents

    def _check(self, user_id: str, config: BatchConfig) -> None:
        if self._documents is not None:
            check_folders(self._documents, user_id, config)

    def create(self, user_id: str, config: BatchConfig) -> Batch:
        self._check(user_id, config)
        now = self._clock()
        batch = Batch(batch_id=new_batch_id(now), user_id=user_id, config=config, created_at=now, updated_at=now)
        self._repo.create(batch)
        return batch

    def get(self, user_id: str, batch_id: str) -> Batch:
        return self._repo.get(user_id, batch_id).item

    def list_batches(self, user_id: str, *, limit: int = 50, continuation: str | None = None) -> Page[Batch]:
        return self._repo.list(user_id, limit=limit, continuation=continuation)

    def update_config(self, user_id: str, batch_id: str, config: BatchConfig) -> Batch:
        """A new configuration; a staged batch keeps running its snapshot until it is staged again. Its folders are
        checked like a new batch's, once the batch is known to be the caller's (another user's is a 404)."""
        if self._documents is not None:
            self.get(user_id, batch_id)
            self._check(user_id, config)

        def change(batch: Batch) -> Batch:
            if batch.status in RUNNING:
                raise refuse(batch, "edited", set(BatchStatus) - RUNNING)
            return batch.model_copy(update={"config": config})

        return self.mutate(user_id, batch_id, change)

    def begin_staging(self, user_id: str, batch_id: str, job_id: str, *, reprocess: bool) -> Batch:
        def change(batch: Batch) -> Batch | None:
            if batch.status is BatchStatus.STAGING and batch.staging_job_id == job_id:
                return None  # this job's plan ran twice
            ensure_can(batch, "re-staged" if reprocess else "staged", CAN_RESTAGE if reprocess else CAN_STAGE)
            fresh = not reprocess or batch.snapshot is None
            return batch.model_copy(
                update={
                    "status": BatchStatus.STAGING,
                    "staging_job_id": job_id,
                    "snapshot": batch.config if fresh else batch.snapshot,
                    "documents": [] if fresh else batch.documents,
                }
            )

        return self.mutate(user_id, batch_id, change)

    def record_staged(self, user_id: str, batch_id: str, staged: list[StagedDocument]) -> Batch:
        """Merge documents staging just looked at into the batch's report (by document id)."""

        def change(batch: Batch) -> Batch:
            report = {d.document_id: d for d in batch.documents}
            report.update({d.document_id: d for d in staged})
            ordered = sorted(report.values(), key=lambda d: (d.folder, d.filename, d.document_id))
            return batch.model_copy(update={"documents": ordered})

        return self.mutate(user_id, batch_id, change)

    def finish_staging(self, user_id: str, batch_id: str) -> Batch:
        def change(batch: Batch) -> Batch | None:
            if batch.status is not BatchStatus.STAGING:
                return None  # finished (or failed) already: a re-run of the step
            staged = any(d.status == "staged" for d in batch.documents)
            return batch.model_copy(update={"status": BatchStatus.STAGED if staged else BatchStatus.FAILED_STAGING})

        return self.mutate(user_id, batch_id, change)

    def begin_run(self, user_id: str, batch_id: str, job_id: str) -> Batch:
        def change(batch: Batch) -> Batch | None:
            if batch.status is BatchStatus.PROCESSING and batch.run_job_id == job_id:
                return None
            ensure_can(batch, "run", CAN_RUN)
            return batch.model_copy(update={"status": BatchStatus.PROCESSING, "run_job_id": job_id})

        return self.mutate(user_id, batch_id, change)

    def finish_run(self, user_id: str, batch_id: str, summary: BatchSummary, documents: list[StagedDocument]) -> Batch:
        def change(batch: Batch) -> Batch | None:
            if batch.status is not BatchStatus.PROCESSING:
                return None
            by_status = summary.by_status
            if by_status.get("F", 0) == 0:
                status = BatchStatus.COMPLETED
            elif by_status.get("S", 0) > 0:
                status = BatchStatus.COMPLETED_WITH_ERRORS
            else:
                status = BatchStatus.FAILED
            return batch.model_copy(update={"status": status, "summary": summary, "documents": documents})

        return self.mutate(user_id, batch_id, change)

    def end_unfinished(self, user_id: str, batch_id: str, job_id: str, status: BatchStatus) -> Batch:
        """A batch job that ended without finishing (cancelled, failed): the batch says so, if that job still
        runs it."""

        def change(batch: Batch) -> Batch | None:
            owner = batch.staging_job_id if batch.status is BatchStatus.STAGING else batch.run_job_id
            if batch.status not in RUNNING or owner != job_id:
                return None
            if batch.status is BatchStatus.STAGING:
                return batch.model_copy(update={"status": BatchStatus.FAILED_STAGING})
            return batch.model_copy(update={"status": status})

        return self.mutate(user_id, batch_id, change)

    def mutate(self, user_id: str, batch_id: str, change: Callable[[Batch], Batch | None]) -> Batch:
        """Apply `change` to the current batch and write it If-Match, again on a lost race (shared.storage.optimistic);
        `change` returns None for "nothing to do" (the batch as it is), and raises for "not allowed"."""

        def stamped(batch: Batch) -> Batch | None:
            updated = change(batch)
            return None if updated is None else updated.model_copy(update={"updated_at": self._clock()})

        return optimistic.update(
            lambda: self._repo.get(user_id, batch_id),
            stamped,
            self._repo.replace,
            name=f"batch {batch_id!r}",
            details={"batch_id": batch_id},
            contention=optimistic.MUST_LAND,
            sleep=self._sleep,
            rand=self._rand,
        ).item
