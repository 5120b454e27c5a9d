"""Create the storage the app needs, idempotently: `python -m shared.storage.setup`.

With COSMOS_ENDPOINT set: the database and its containers (jobs and their results and artifacts, contracts, the
batch workflow's documents, texts, batches, records and model answers, the model deployments' budgets, and the
operations summary's model-call figures), partitioned by /user_id, with their index policies and TTLs (the
repositories never create containers: that would cost a request on every cold start).
Without it: the embedded SQLite file and its schema. Prints what it created and what it found. Needs COSMOS_KEY: a
keyless account (Azure, local auth off) gets its containers from infra/ instead (scripts/cosmos_containers.py).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from importlib import resources
from typing import Any

from azure.cosmos import CosmosClient, PartitionKey
from azure.cosmos.exceptions import CosmosResourceExistsError

from shared.ops.usage_figures import USAGE_TTL_SECONDS
from shared.settings import Settings, get_settings
from shared.storage.cosmos import ARTIFACTS, CONTRACTS, JOBS, RESULTS
from shared.storage.cosmos_batches import BATCHES, MODEL_ANSWERS
from shared.storage.cosmos_client import cosmos_client
from shared.storage.cosmos_documents import DOCUMENT_TEXTS, DOCUMENTS
from shared.storage.cosmos_quota import LLM_QUOTA
from shared.storage.cosmos_records import BATCH_RECORDS
from shared.storage.cosmos_usage_figures import LLM_USAGE
from shared.storage.sqlite import DB_FILENAME, SqliteStore

# -1 turns TTL on without a default: items carrying a `ttl` expire, others never do. Without it Cosmos
# ignores the per-item ttl of results and artifacts.
PER_ITEM_TTL = -1


@dataclass(frozen=True)
class ContainerSpec:
    name: str
    policy: str
    default_ttl: int | None  # None: TTL off


def container_specs(job_ttl_seconds: int) -> list[ContainerSpec]:
    return [
        ContainerSpec(CONTRACTS, "contracts.json", None),
        ContainerSpec(JOBS, "jobs.json", job_ttl_seconds),
        ContainerSpec(RESULTS, "payloads.json", PER_ITEM_TTL),
        ContainerSpec(ARTIFACTS, "payloads.json", PER_ITEM_TTL),
        # The batch workflow's data persists until the user deletes it: no TTL.
        ContainerSpec(DOCUMENTS, "documents.json", None),
        ContainerSpec(DOCUMENT_TEXTS, "payloads.json", None),
        ContainerSpec(BATCHES, "batches.json", None),
        ContainerSpec(BATCH_RECORDS, "batch_records.json", None),
        ContainerSpec(MODEL_ANSWERS, "model_answers.json", None),
        # One budget per model deployment, in a fixed system partition; point reads only.
        ContainerSpec(LLM_QUOTA, "llm_quota.json", None),
        # Model-call figures per deployment, five-minute bucket and worker (the operations summary reads a day back).
        ContainerSpec(LLM_USAGE, "llm_usage.json", USAGE_TTL_SECONDS),
    ]


def load_policy(filename: str) -> dict[str, Any]:
    text = resources.files("shared.storage").joinpath("index_policies", filename).read_text()
    policy: dict[str, Any] = json.loads(text)
    return policy


def ensure_cosmos(client: CosmosClient, database_name: str, *, job_ttl_seconds: int = 604_800) -> list[str]:
    """Create what is missing; returns one line per resource: 'created ...' or 'found ...'."""
    report: list[str] = []
    try:
        database = client.create_database(database_name)
        report.append(f"created database {database_name}")
    except CosmosResourceExistsError:
        database = client.get_database_client(database_name)
        report.append(f"found database {database_name}")
    for spec in container_specs(job_ttl_seconds):
        options: dict[str, Any] = {"indexing_policy": load_policy(spec.policy)}
        if spec.default_ttl is not None:
            options["default_ttl"] = spec.default_ttl
        try:
            database.create_container(spec.name, partition_key=PartitionKey(path="/user_id"), **options)
            report.append(f"created container {database_name}/{spec.name} (ttl {spec.default_ttl})")
        except CosmosResourceExistsError:
            report.append(f"found container {database_name}/{spec.name}")
    return report


def ensure_storage(settings: Settings) -> list[str]:
    if settings.cosmos_endpoint:
        client = cosmos_client(settings)
        return ensure_cosmos(client, settings.cosmos_database, job_ttl_seconds=settings.job_ttl_seconds)
    path = settings.data_dir / DB_FILENAME
    existed = path.exists()
    SqliteStore(path).close()
    return [f"{'found' if existed else 'created'} sqlite store {path}"]


# With Entra ID the data plane reads and writes items but cannot create databases or containers.
KEYLESS = (
    "COSMOS_KEY is not set: an account with local auth disabled gets its database and containers from infra/ "
    "(azd provision, infra/cosmos-containers.json); this command is for key-based accounts and emulators"
)


def main() -> int:
    settings = get_settings()
    if settings.cosmos_endpoint and not settings.cosmos_key:
        print(KEYLESS, file=sys.stderr)
        return 2
    for line in ensure_storage(settings):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
