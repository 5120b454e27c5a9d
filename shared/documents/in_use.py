"""Whether a document may be deleted: the one place the document API asks before it removes one."""

from __future__ import annotations

from shared.batches.models import BatchStatus
from shared.errors import ConflictError
from shared.storage.base import Repositories

UNFINISHED = frozenset({BatchStatus.STAGING, BatchStatus.STAGED, BatchStatus.PROCESSING})
PAGE = 100


def ensure_not_in_use(repos: Repositories, user_id: str, document_id: str) -> None:
    """Raise ConflictError (409) while a staged, unfinished batch uses the document (its records still need the
    document's text); return when it may be deleted. DELETE /api/documents/{document_id} calls this after the
    ownership check and before anything is removed."""
    continuation: str | None = None
    while True:
        page = repos.batches.list(user_id, limit=PAGE, continuation=continuation)
        for batch in page.items:
            uses = any(d.document_id == document_id and d.status == "staged" for d in batch.documents)
            if uses and batch.status in UNFINISHED:
                raise ConflictError(
                    f"document {document_id!r} is used by batch {batch.batch_id!r} ({batch.name!r}, "
                    f"{batch.status.value}); finish or cancel that batch first",
                    {"document_id": document_id, "batch_id": batch.batch_id, "batch_status": batch.status.value},
                )
        if not page.continuation:
            return
        continuation = page.continuation
