"""Model-call figures over Cosmos DB (container `llm_usage`, default TTL two days, every item in one fixed system
partition: one small item per deployment, five-minute bucket and worker, read by one partition-scoped query).

A worker upserts its own items whole (its running totals, shared/ops/usage_ledger.py): no other worker writes them, so
no ETag is needed and writers never contend."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from azure.cosmos import ContainerProxy

from shared.ops.usage_figures import ModelUsage
from shared.storage.common import iso
from shared.storage.cosmos_common import params
from shared.storage.cosmos_quota import SYSTEM_PARTITION

LLM_USAGE = "llm_usage"
_FIELDS = ", ".join(f"c.{name}" for name in ModelUsage.model_fields)


def usage_item_id(item: ModelUsage) -> str:
    # Deployment names and worker ids are not guaranteed id-safe: a digest of the three names the item.
    key = f"{iso(item.bucket)}|{item.deployment}|{item.worker}"
    return "u:" + hashlib.sha256(key.encode()).hexdigest()


class CosmosUsageRepository:
    def __init__(self, container: ContainerProxy) -> None:
        self.container = container

    def put(self, items: Sequence[ModelUsage]) -> None:
        for item in items:
            doc = item.model_dump(mode="json")
            doc.update(id=usage_item_id(item), user_id=SYSTEM_PARTITION, bucket=iso(item.bucket))
            self.container.upsert_item(doc)

    def since(self, start: datetime) -> list[ModelUsage]:
        rows = self.container.query_items(
            f"SELECT {_FIELDS} FROM c WHERE c.user_id = @partition AND c.bucket >= @start",
            parameters=params(partition=SYSTEM_PARTITION, start=iso(start)),
            partition_key=SYSTEM_PARTITION,
        )
        return [ModelUsage.model_validate(row) for row in rows]
