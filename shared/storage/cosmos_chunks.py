"""Payloads larger than one Cosmos item (2 MB) are split across chunk items and reassembled, never truncated.

A head item carries the searchable fields and either the payload inline (`body`) or a reference to its chunks
(`chunks: {"generation", "count"}`). Chunk items live in the same partition as their head, with ids
`<head id>~<generation>~<index>`. Writes go chunks first, head last, so a reader that sees a head finds all its
chunks; a rewrite uses a new generation and deletes the old chunks only after the head points at the new ones.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

from azure.core import MatchConditions
from azure.cosmos import ContainerProxy
from azure.cosmos.exceptions import CosmosResourceNotFoundError

from shared.errors import NotFoundError

# Cosmos caps an item at 2 MB including system properties; 1.5 MB leaves room for the head's other fields.
MAX_INLINE_BYTES = 1_500_000
CHUNK_BYTES = 1_500_000

CHUNK_DOC_TYPE = "chunk"


def _encoded_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def split_text(text: str, max_bytes: int = CHUNK_BYTES) -> list[str]:
    """Split so each piece, JSON-encoded as a string, is at most max_bytes (escapes and UTF-8 widen text)."""
    pieces: list[str] = []
    start = 0
    while start < len(text):
        length = min(len(text) - start, max_bytes)
        while True:
            size = _encoded_size(text[start : start + length])
            if size <= max_bytes:
                break
            length = max(1, int(length * max_bytes / size * 0.98))
        pieces.append(text[start : start + length])
        start += length
    return pieces


def write_head(
    container: ContainerProxy,
    head: dict[str, Any],
    body: dict[str, Any],
    *,
    create: bool,
    previous: dict[str, Any] | None = None,
    etag: str | None = None,
) -> dict[str, Any]:
    """Store head + body (inline or chunked). `create` raises on an existing id (the caller maps 409); `etag`
    replaces the head only if it is unchanged (CosmosAccessConditionFailedError otherwise, with no chunk left
    behind); `previous` is the head being overwritten, whose old chunks are removed afterwards."""
    encoded = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    user_id = head["user_id"]
    written: list[str] = []
    if len(encoded.encode()) <= MAX_INLINE_BYTES:
        doc = {**head, "body": body, "chunks": None}
    else:
        generation = uuid.uuid4().hex[:12]
        pieces = split_text(encoded)
        for index, piece in enumerate(pieces):
            chunk_id = f"{head['id']}~{generation}~{index}"
            chunk: dict[str, Any] = {
                "id": chunk_id,
                "user_id": user_id,
                "doc_type": CHUNK_DOC_TYPE,
                "parent_id": head["id"],
                "index": index,
                "data": piece,
            }
            if head.get("ttl") is not None:
                chunk["ttl"] = head["ttl"]
            container.upsert_item(chunk)
            written.append(chunk_id)
        doc = {**head, "body": None, "chunks": {"generation": generation, "count": len(pieces)}}
    try:
        if etag is not None:
            stored = container.replace_item(doc["id"], doc, etag=etag, match_condition=MatchConditions.IfNotModified)
        else:
            stored = container.create_item(doc) if create else container.upsert_item(doc)
    except Exception:
        delete_chunk_ids(container, user_id, written)  # do not leave orphans behind a failed head write
        raise
    if previous is not None and previous.get("chunks"):
        delete_chunks(container, previous)
    return stored


def read_body(container: ContainerProxy, head: dict[str, Any]) -> dict[str, Any]:
    if head.get("chunks") is None:
        body: dict[str, Any] = head["body"]
        return body
    ref = head["chunks"]
    parts: list[str] = []
    for index in range(ref["count"]):
        chunk_id = f"{head['id']}~{ref['generation']}~{index}"
        try:
            parts.append(container.read_item(chunk_id, partition_key=head["user_id"])["data"])
        except CosmosResourceNotFoundError as exc:
            # The head was rewritten (or deleted) while we read; the caller re-reads the head once.
            raise StaleHead(chunk_id) from exc
    result: dict[str, Any] = json.loads("".join(parts))
    return result


class StaleHead(Exception):
    """A chunk of the head we read is gone: the item was rewritten meanwhile."""


def read_with_retry(container: ContainerProxy, item_id: str, user_id: str, what: str) -> tuple[dict[str, Any], Any]:
    """(head, body) of an item; NotFoundError naming `what` when it does not exist."""
    for _ in range(3):
        try:
            head = container.read_item(item_id, partition_key=user_id)
        except CosmosResourceNotFoundError as exc:
            raise NotFoundError(f"{what} not found", details={"id": item_id}) from exc
        try:
            return head, read_body(container, head)
        except StaleHead:
            continue
    raise NotFoundError(f"{what} kept changing while it was read", details={"id": item_id})


def delete_chunks(container: ContainerProxy, head: dict[str, Any]) -> None:
    ref = head.get("chunks")
    if not ref:
        return
    ids = [f"{head['id']}~{ref['generation']}~{index}" for index in range(ref["count"])]
    delete_chunk_ids(container, head["user_id"], ids)


def delete_chunk_ids(container: ContainerProxy, user_id: str, ids: list[str]) -> None:
    for chunk_id in ids:
        # Already gone (a concurrent rewrite, or TTL) is fine: the goal is reached.
        with contextlib.suppress(CosmosResourceNotFoundError):
            container.delete_item(chunk_id, partition_key=user_id)
