"""Batches and the answer cache (model answers paid for once) over Cosmos DB (containers `batches` and
`model_answers`, partitioned by /user_id, no TTL).

A batch item is a head (status, job ids, times: what lists filter and sort on) and a body (configuration,
snapshot, staged documents, summary) that is chunked when it outgrows one item: a batch of many thousand
documents does (shared/storage/cosmos_chunks.py). Replacing a batch needs the ETag of its head (If-Match).
"""

from __future__ import annotations

from typing import Any

from azure.cosmos import ContainerProxy
from azure.cosmos.exceptions import (
    CosmosAccessConditionFailedError,
    CosmosResourceExistsError,
    CosmosResourceNotFoundError,
)

from shared.batches.models import Batch, ModelAnswer
from shared.errors import ConflictError, NotFoundError
from shared.storage.base import Page, Versioned
from shared.storage.common import answer_item_id, check_item_id, check_limit, is_item_id, iso, keyset_page
from shared.storage.cosmos_chunks import StaleHead, read_body, read_with_retry, write_head
from shared.storage.cosmos_common import newest_keyset, newest_position, params, strip

BATCHES = "batches"
MODEL_ANSWERS = "model_answers"

BATCH_DOC_TYPE = "batch"
_BODY_FIELDS = {"config", "snapshot", "documents", "summary"}


def _not_found(batch_id: str) -> NotFoundError:
    return NotFoundError(f"batch {batch_id!r} not found", details={"batch_id": batch_id})


def _split(batch: Batch) -> tuple[dict[str, Any], dict[str, Any]]:
    doc = batch.model_dump(mode="json")
    body = {key: doc.pop(key) for key in _BODY_FIELDS}
    head = {**doc, "id": batch.batch_id, "doc_type": BATCH_DOC_TYPE}
    head.update(created_at=iso(batch.created_at), updated_at=iso(batch.updated_at))
    return head, body


def _batch(head: dict[str, Any], body: dict[str, Any]) -> Batch:
    fields = {key: value for key, value in strip(head).items() if key not in ("body", "chunks", "doc_type")}
    return Batch.model_validate({**fields, **body})


class CosmosBatchRepository:
    def __init__(self, container: ContainerProxy) -> None:
        self.container = container

    def create(self, batch: Batch) -> None:
        check_item_id("batch_id", batch.batch_id)
        head, body = _split(batch)
        try:
            write_head(self.container, head, body, create=True)
        except CosmosResourceExistsError as exc:
            raise ConflictError(
                f"batch {batch.batch_id!r} already exists", details={"batch_id": batch.batch_id}
            ) from exc

    def get(self, user_id: str, batch_id: str) -> Versioned[Batch]:
        if not is_item_id(batch_id):
            raise _not_found(batch_id)
        head, body = read_with_retry(self.container, batch_id, user_id, f"batch {batch_id!r}")
        if head.get("doc_type") != BATCH_DOC_TYPE:
            raise _not_found(batch_id)
        return Versioned(_batch(head, body), str(head["_etag"]))

    def replace(self, batch: Batch, etag: str) -> str:
        def stale() -> ConflictError:
            return ConflictError(
                f"batch {batch.batch_id!r} was changed by someone else (etag {etag!r} is stale)",
                details={"batch_id": batch.batch_id, "etag": etag},
            )

        if not is_item_id(batch.batch_id):
            raise _not_found(batch.batch_id)
        # The current head names the chunks to remove once the new head is in; reading it first (1 RU) also
        # turns a stale etag away before any chunk is written.
        try:
            previous = self.container.read_item(batch.batch_id, partition_key=batch.user_id)
        except CosmosResourceNotFoundError as exc:
            raise _not_found(batch.batch_id) from exc
        if previous.get("doc_type") != BATCH_DOC_TYPE:
            raise _not_found(batch.batch_id)
        if previous["_etag"] != etag:
            raise stale()
        head, body = _split(batch)
        try:
            stored = write_head(self.container, head, body, create=False, previous=previous, etag=etag)
        except CosmosAccessConditionFailedError as exc:
            raise stale() from exc
        except CosmosResourceNotFoundError as exc:
            raise _not_found(batch.batch_id) from exc
        return str(stored["_etag"])

    def list(self, user_id: str, *, limit: int = 50, continuation: str | None = None) -> Page[Batch]:
        check_limit(limit)
        values: dict[str, Any] = {"user_id": user_id, "doc_type": BATCH_DOC_TYPE, "top": limit + 1}
        sql = newest_keyset(
            "SELECT TOP @top * FROM c WHERE c.user_id = @user_id AND c.doc_type = @doc_type", values, continuation
        )
        rows = list(
            self.container.query_items(
                sql + " ORDER BY c.created_at DESC, c.id DESC", parameters=params(**values), partition_key=user_id
            )
        )
        return keyset_page(rows, limit, self._loaded, newest_position)

    def _loaded(self, head: dict[str, Any]) -> Batch:
        try:
            return _batch(head, read_body(self.container, head))
        except StaleHead:  # rewritten since the query saw it: read it again
            return self.get(head["user_id"], head["id"]).item


class CosmosAnswerRepository:
    """Point reads and upserts only, by answer key (index_policies/model_answers.json indexes little)."""

    def __init__(self, container: ContainerProxy) -> None:
        self.container = container

    def get(self, user_id: str, key: str) -> ModelAnswer | None:
        try:
            doc = self.container.read_item(answer_item_id(key), partition_key=user_id)
        except CosmosResourceNotFoundError:
            return None
        if doc.get("key") != key:  # a digest id names one key only; this guards the impossible collision
            return None
        return ModelAnswer.model_validate(strip(doc))

    def put(self, answer: ModelAnswer) -> None:
        self.container.upsert_item({**answer.model_dump(mode="json"), "id": answer_item_id(answer.key)})
