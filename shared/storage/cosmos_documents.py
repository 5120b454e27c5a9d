"""Batch documents over Cosmos DB: metadata in `documents`, extracted texts in `document_texts` (a text larger
than one item is chunked, shared/storage/cosmos_chunks.py), both partitioned by /user_id.

Every query names the partition key. Orders are served by the composite index (folder, filename, id)
(index_policies/documents.json); the test server, like Cosmos, refuses a multi-field ORDER BY without it.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Sequence
from typing import Any

from azure.cosmos import ContainerProxy
from azure.cosmos.exceptions import CosmosResourceExistsError, CosmosResourceNotFoundError

from shared.documents.models import Document, DocumentText, FolderSummary
from shared.errors import ConflictError, NotFoundError
from shared.storage.base import Page
from shared.storage.common import check_item_id, check_limit, is_item_id, iso, keyset_page
from shared.storage.cosmos_chunks import delete_chunks, read_with_retry, write_head
from shared.storage.cosmos_common import ascending_keyset, params, strip

DOCUMENTS = "documents"
DOCUMENT_TEXTS = "document_texts"

TEXT_DOC_TYPE = "document_text"
_ORDER = " ORDER BY c.folder, c.filename, c.id"  # the composite index (folder, filename, id)


def _not_found(document_id: str, what: str = "document") -> NotFoundError:
    return NotFoundError(f"{what} {document_id!r} not found", details={"document_id": document_id})


def _document(row: dict[str, Any]) -> Document:
    return Document.model_validate(strip(row))


class CosmosDocumentRepository:
    def __init__(self, container: ContainerProxy, texts: ContainerProxy) -> None:
        self.container = container
        self.texts = texts

    def add(self, document: Document) -> None:
        check_item_id("document_id", document.document_id)
        doc = {**document.model_dump(mode="json"), "id": document.document_id}
        doc["created_at"] = iso(document.created_at)
        try:
            self.container.create_item(doc)
        except CosmosResourceExistsError as exc:
            raise ConflictError(
                f"document {document.document_id!r} already exists", details={"document_id": document.document_id}
            ) from exc

    def get(self, user_id: str, document_id: str) -> Document:
        if not is_item_id(document_id):
            raise _not_found(document_id)
        try:
            return _document(self.container.read_item(document_id, partition_key=user_id))
        except CosmosResourceNotFoundError as exc:
            raise _not_found(document_id) from exc

    def in_folders(self, user_id: str, folders: Sequence[str]) -> list[Document]:
        if not folders:
            return []
        rows = self.container.query_items(
            "SELECT * FROM c WHERE c.user_id = @user_id AND ARRAY_CONTAINS(@folders, c.folder)" + _ORDER,
            parameters=params(user_id=user_id, folders=list(dict.fromkeys(folders))),
            partition_key=user_id,
        )
        return [_document(row) for row in rows]

    def list_folder(
        self, user_id: str, folder: str, *, limit: int = 100, continuation: str | None = None
    ) -> Page[Document]:
        check_limit(limit)
        values: dict[str, Any] = {"user_id": user_id, "folder": folder, "top": limit + 1}
        sql = ascending_keyset(
            "SELECT TOP @top * FROM c WHERE c.user_id = @user_id AND c.folder = @folder",
            values,
            ("filename", "id"),
            continuation,
        )
        # ORDER BY folder first although it is fixed here: the one composite index then serves both queries.
        rows = list(self.container.query_items(sql + _ORDER, parameters=params(**values), partition_key=user_id))
        return keyset_page(rows, limit, _document, lambda row: (row["filename"], row["id"]))

    def folders(self, user_id: str) -> list[FolderSummary]:
        # No GROUP BY (the test server lacks it): one partition-scoped query of one field, counted here.
        names = self.container.query_items(
            "SELECT VALUE c.folder FROM c WHERE c.user_id = @user_id",
            parameters=params(user_id=user_id),
            partition_key=user_id,
        )
        counts = Counter(str(name) for name in names)
        return [FolderSummary(folder=name, document_count=counts[name]) for name in sorted(counts)]

    def count_in_folder(self, user_id: str, folder: str) -> int:
        values: list[Any] = list(
            self.container.query_items(
                "SELECT VALUE COUNT(1) FROM c WHERE c.user_id = @user_id AND c.folder = @folder",
                parameters=params(user_id=user_id, folder=folder),
                partition_key=user_id,
            )
        )
        return int(values[0]) if values else 0

    def delete(self, user_id: str, document_id: str) -> None:
        if not is_item_id(document_id):
            raise _not_found(document_id)
        # The text first: a crash in between leaves a document without text (staging extracts it again), never
        # a text nobody can reach.
        self._delete_text(user_id, document_id)
        try:
            self.container.delete_item(document_id, partition_key=user_id)
        except CosmosResourceNotFoundError as exc:
            raise _not_found(document_id) from exc

    def _delete_text(self, user_id: str, document_id: str) -> None:
        try:
            head = self.texts.read_item(document_id, partition_key=user_id)
        except CosmosResourceNotFoundError:
            return
        with contextlib.suppress(CosmosResourceNotFoundError):
            self.texts.delete_item(document_id, partition_key=user_id)
        delete_chunks(self.texts, head)

    def put_text(self, text: DocumentText) -> None:
        check_item_id("document_id", text.document_id)
        head = {**text.model_dump(mode="json", exclude={"text"}), "id": text.document_id, "doc_type": TEXT_DOC_TYPE}
        head["created_at"] = iso(text.created_at)
        try:
            previous: dict[str, Any] | None = self.texts.read_item(text.document_id, partition_key=text.user_id)
        except CosmosResourceNotFoundError:
            previous = None
        write_head(self.texts, head, {"text": text.text}, create=False, previous=previous)

    def get_text(self, user_id: str, document_id: str) -> DocumentText:
        if not is_item_id(document_id):
            raise _not_found(document_id, "text of document")
        head, body = read_with_retry(self.texts, document_id, user_id, f"text of document {document_id!r}")
        fields = {key: value for key, value in strip(head).items() if key not in ("body", "chunks", "doc_type")}
        return DocumentText.model_validate({**fields, "text": body["text"]})
