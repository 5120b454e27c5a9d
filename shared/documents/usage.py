"""Whether a document may be deleted: the one place the document API asks before it removes one."""

from __future__ import annotations

from shared.storage.base import Repositories


def ensure_not_in_use(repos: Repositories, user_id: str, document_id: str) -> None:
    """Raise ConflictError (409) when the document may not be deleted now; return when it may.

    The batches workflow plugs its check in here: a document used by a staged, unfinished batch is refused (its
    records still need the document's text and bytes). Until that check lands, every document may be deleted.
    DELETE /api/documents/{document_id} calls this after the ownership check and before anything is removed.
    """
