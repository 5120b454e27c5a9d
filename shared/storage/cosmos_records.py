"""Response records over Cosmos DB: container `batch_records`, partitioned by /user_id, one item per
document x prompt (id: the record id, `{batch_id}:{document_id}:{prompt_index}`), no TTL.

Writes and deletes of many records run as point operations on a few threads. Queries name the partition key and
are served by composite indexes (index_policies/batch_records.json): (batch_id, record_id) for a batch's records,
(batch_id, status, record_id) for one status of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from azure.core import MatchConditions
from azure.cosmos import ContainerProxy
from azure.cosmos.exceptions import (
    CosmosAccessConditionFailedError,
    CosmosResourceNotFoundError,
)

from shared.batches.models import RecordStatus, ResponseRecord
from shared.errors import ConflictError, NotFoundError
from shared.storage.base import Page, Versioned
from shared.storage.common import check_item_id, check_limit, is_item_id, keyset_page
from shared.storage.cosmos_common import ascending_keyset, in_parallel, params, strip

BATCH_RECORDS = "batch_records"


def _not_found(record_id: str) -> NotFoundError:
    return NotFoundError(f"record {record_id!r} not found", details={"record_id": record_id})


def _doc(record: ResponseRecord) -> dict[str, Any]:
    return {**record.model_dump(mode="json"), "id": record.record_id}


def _record(row: dict[str, Any]) -> ResponseRecord:
    return ResponseRecord.model_validate(strip(row))


class CosmosRecordRepository:
    def __init__(self, container: ContainerProxy) -> None:
        self.container = container

    def upsert_many(self, records: Sequence[ResponseRecord]) -> None:
        for record in records:  # all valid, or nothing is written
            check_item_id("record_id", record.record_id)
        in_parallel(self.container.upsert_item, [_doc(record) for record in records])

    def get(self, user_id: str, record_id: str) -> Versioned[ResponseRecord]:
        if not is_item_id(record_id):
            raise _not_found(record_id)
        try:
            doc = self.container.read_item(record_id, partition_key=user_id)
        except CosmosResourceNotFoundError as exc:
            raise _not_found(record_id) from exc
        return Versioned(_record(doc), str(doc["_etag"]))

    def replace(self, record: ResponseRecord, etag: str) -> str:
        if not is_item_id(record.record_id):
            raise _not_found(record.record_id)
        try:
            doc = self.container.replace_item(
                record.record_id, _doc(record), etag=etag, match_condition=MatchConditions.IfNotModified
            )
        except CosmosAccessConditionFailedError as exc:
            raise ConflictError(
                f"record {record.record_id!r} was changed by someone else (etag {etag!r} is stale)",
                details={"record_id": record.record_id, "etag": etag},
            ) from exc
        except CosmosResourceNotFoundError as exc:
            raise _not_found(record.record_id) from exc
        return str(doc["_etag"])

    def query(
        self,
        user_id: str,
        batch_id: str,
        *,
        statuses: Sequence[RecordStatus] | None = None,
        limit: int = 100,
        continuation: str | None = None,
    ) -> Page[ResponseRecord]:
        check_limit(limit)
        values: dict[str, Any] = {"user_id": user_id, "batch_id": batch_id, "top": limit + 1}
        sql = "SELECT TOP @top * FROM c WHERE c.user_id = @user_id AND c.batch_id = @batch_id"
        wanted = list(dict.fromkeys(RecordStatus(status).value for status in statuses or ()))
        order = " ORDER BY c.batch_id, c.record_id"
        if len(wanted) == 1:
            # One status: an equality the (batch_id, status, record_id) index serves in record order.
            values["status"] = wanted[0]
            sql += " AND c.status = @status"
            order = " ORDER BY c.batch_id, c.status, c.record_id"
        elif wanted:
            values["statuses"] = wanted
            sql += " AND ARRAY_CONTAINS(@statuses, c.status)"
        sql = ascending_keyset(sql, values, ("record_id",), continuation)
        rows = list(self.container.query_items(sql + order, parameters=params(**values), partition_key=user_id))
        return keyset_page(rows, limit, _record, lambda row: (row["record_id"],))

    def counts(self, user_id: str, batch_id: str) -> dict[str, int]:
        # No GROUP BY (the test server lacks it): one COUNT per status, each an index scan in one partition.
        counts: dict[str, int] = {}
        for status in RecordStatus:
            values: list[Any] = list(
                self.container.query_items(
                    "SELECT VALUE COUNT(1) FROM c WHERE c.user_id = @user_id AND c.batch_id = @batch_id"
                    " AND c.status = @status",
                    parameters=params(user_id=user_id, batch_id=batch_id, status=status.value),
                    partition_key=user_id,
                )
            )
            counts[status.value] = int(values[0]) if values else 0
        return counts
