"""What the Cosmos repositories share: item <-> model field mapping, query parameters, keyset conditions and
parallel point operations."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from shared.storage.common import after_clause, decode_continuation, decode_keys

R = TypeVar("R")
T = TypeVar("T")

SYSTEM_FIELDS = ("_rid", "_self", "_etag", "_attachments", "_ts", "id")

# Concurrent point operations of one call: below the SDK's connection pool (10 per host), which would otherwise
# open and drop connections.
PARALLEL_OPERATIONS = 8


def strip(doc: dict[str, Any]) -> dict[str, Any]:
    """An item without Cosmos' system fields (and our `id`, which repeats the model's own id field)."""
    return {key: value for key, value in doc.items() if key not in SYSTEM_FIELDS}


def params(**values: Any) -> list[dict[str, Any]]:
    return [{"name": f"@{name}", "value": value} for name, value in values.items()]


def newest_position(row: dict[str, Any]) -> tuple[str, str]:
    return row["created_at"], row["id"]


def newest_keyset(sql: str, values: dict[str, Any], continuation: str | None) -> str:
    """`sql` narrowed to the items after a (created_at DESC, id DESC) continuation token."""
    after = decode_continuation(continuation)
    if after is None:
        return sql
    values.update(after_created=after.created_at, after_id=after.id)
    return sql + " AND (c.created_at < @after_created OR (c.created_at = @after_created AND c.id < @after_id))"


def ascending_keyset(sql: str, values: dict[str, Any], fields: Sequence[str], continuation: str | None) -> str:
    """`sql` narrowed to the items after a continuation token of an ascending order on `fields`."""
    keys = decode_keys(continuation, len(fields))
    if keys is None:
        return sql
    marks = [f"@after{index}" for index in range(len(fields))]
    values.update({mark[1:]: key for mark, key in zip(marks, keys, strict=True)})
    return sql + " AND " + after_clause([f"c.{field}" for field in fields], marks)


def in_parallel(action: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """Run a point operation per item on a few threads: each is one round trip, so ten thousand in a row would
    take minutes. (Transactional batches would need fewer requests, but the test server cannot read the
    partition key of a batch the Python SDK sends, so that path could not be tested.) The first error is raised
    once every operation has finished."""
    if len(items) <= 1:
        return [action(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(PARALLEL_OPERATIONS, len(items))) as pool:
        return list(pool.map(action, items))
