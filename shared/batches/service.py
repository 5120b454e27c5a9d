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
from shared.errors import ConflictError, InvalidTransitionError
from shared.jobs.models import utcnow
from shared.storage.base import BatchRepository, Page

MAX_ATTEMPTS = 100
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


class BatchService:
    def __init__(self, repo: BatchRepository, clock: Callable[[], datetime] = utcnow) -> None:
        self._repo = repo
        self._clock = clock

    def create(self, user_id: str, config: BatchConfig) -> Batch:
        now = self._clock()
        batch = Batch(batch_id=new_batch_id(now), user_id=user_id, config=config, created_at=now, updated_at=now)
        self._repo.create(batch)
        return batch

    def get(self, user_id: str, batch_id: str) -> Batch:
        return self._repo.get(user_id, batch_id).item

    def list_batches(self, user_id: str, *, limit: int = 50, continuation: str | None = None) -> Page[Batch]:
        return self._repo.list(user_id, limit=limit, continuation=continuation)

    def update_config(self, user_id: str, batch_id: str, config: BatchConfig) -> Batch:
        """A new configuration; a staged batch keeps running its snapshot until it is staged again."""

        def change(batch: Batch) -> Batch:
            if batch.status in RUNNING:
                raise refuse(batch, "edited", set(BatchStatus) - RUNNING)
            return batch.model_copy(update={"config": config})

        return self.mutate(user_id, batch_id, change)

    def begin_staging(self, user_id: str, batch_id: str, job_id: str, *, reprocess: bool) -> Batch:
        def change(batch: Batch) -> Batch:
            if batch.status is BatchStatus.STAGING and batch.staging_job_id == job_id:
                return batch  # this job's plan ran twice
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
        def change(batch: Batch) -> Batch:
            if batch.status is not BatchStatus.STAGING:
                return batch  # finished (or failed) already: a re-run of the step
            staged = any(d.status == "staged" for d in batch.documents)
            return batch.model_copy(update={"status": BatchStatus.STAGED if staged else BatchStatus.FAILED_STAGING})

        return self.mutate(user_id, batch_id, change)

    def begin_run(self, user_id: str, batch_id: str, job_id: str) -> Batch:
        def change(batch: Batch) -> Batch:
            if batch.status is BatchStatus.PROCESSING and batch.run_job_id == job_id:
                return batch
            ensure_can(batch, "run", CAN_RUN)
            return batch.model_copy(update={"status": BatchStatus.PROCESSING, "run_job_id": job_id})

        return self.mutate(user_id, batch_id, change)

    def finish_run(self, user_id: str, batch_id: str, summary: BatchSummary, documents: list[StagedDocument]) -> Batch:
        def change(batch: Batch) -> Batch:
            if batch.status is not BatchStatus.PROCESSING:
                return batch
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

        def change(batch: Batch) -> Batch:
            owner = batch.staging_job_id if batch.status is BatchStatus.STAGING else batch.run_job_id
            if batch.status not in RUNNING or owner != job_id:
                return batch
            if batch.status is BatchStatus.STAGING:
                return batch.model_copy(update={"status": BatchStatus.FAILED_STAGING})
            return batch.model_copy(update={"status": status})

        return self.mutate(user_id, batch_id, change)

    def mutate(self, user_id: str, batch_id: str, change: Callable[[Batch], Batch]) -> Batch:
        for attempt in range(MAX_ATTEMPTS):
            current = self._repo.get(user_id, batch_id)
            updated = change(current.item)
            if updated is current.item:
                return updated
            updated = updated.model_copy(update={"updated_at": self._clock()})
            try:
                self._repo.replace(updated, current.etag)
            except ConflictError:
                time.sleep(random.uniform(0, 0.002 * min(attempt + 1, 10)))
                continue
            return updated
        raise ConflictError(f"batch {batch_id!r} kept changing; gave up after {MAX_ATTEMPTS} attempts")
