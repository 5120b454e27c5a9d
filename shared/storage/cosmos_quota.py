"""Model deployments' budgets over Cosmos DB (container `llm_quota`, partitioned by /user_id like every other
container, all in one fixed system partition: the items are few, one per deployment, and read by point reads).

A budget is replaced with If-Match on its `_etag`: two workers that reserve at the same moment cannot both win,
the loser reads again (shared/llm/quota.py)."""

from __future__ import annotations

import hashlib

from azure.core import MatchConditions
from azure.cosmos import ContainerProxy
from azure.cosmos.exceptions import (
    CosmosAccessConditionFailedError,
    CosmosResourceExistsError,
    CosmosResourceNotFoundError,
)

from shared.errors import ConflictError
from shared.storage.base import Versioned

LLM_QUOTA = "llm_quota"
SYSTEM_PARTITION = "_system"
"""The partition key value of the budgets: they belong to the app, not to a user."""


def quota_item_id(key: str) -> str:
    # Deployment keys hold URLs ("/" is not allowed in an id): a digest names one key.
    return "q:" + hashlib.sha256(key.encode()).hexdigest()


def _stale(key: str, etag: str | None) -> ConflictError:
    what = "exists already" if etag is None else f"was changed since it was read (etag {etag!r} is stale)"
    return ConflictError(f"quota {key!r} {what}", details={"key": key, "etag": etag})


class CosmosQuotaRepository:
    def __init__(self, container: ContainerProxy) -> None:
        self.container = container

    def read(self, key: str) -> Versioned[str] | None:
        try:
            doc = self.container.read_item(quota_item_id(key), partition_key=SYSTEM_PARTITION)
        except CosmosResourceNotFoundError:
            return None
        if doc.get("key") != key:  # a digest names one key: this guards the impossible collision
            return None
        return Versioned(str(doc["state"]), str(doc["_etag"]))

    def write(self, key: str, state: str, etag: str | None) -> str:
        item = {"id": quota_item_id(key), "user_id": SYSTEM_PARTITION, "key": key, "state": state}
        try:
            if etag is None:
                stored = self.container.create_item(item)
            else:
                stored = self.container.replace_item(
                    item["id"], item, etag=etag, match_condition=MatchConditions.IfNotModified
                )
        except (CosmosResourceExistsError, CosmosAccessConditionFailedError, CosmosResourceNotFoundError) as exc:
            raise _stale(key, etag) from exc
        return str(stored["_etag"])
