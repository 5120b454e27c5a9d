"""One source for the Cosmos DB containers: the code's definitions (shared/storage/setup.py, which
`python -m shared.storage.setup` creates for key-based accounts) and the Bicep's (infra/cosmos-containers.json, read
by infra/main.bicep with loadJsonContent) must not drift. Regenerate with `python scripts/cosmos_containers.py`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scripts.cosmos_containers import OUTPUT, render
from shared.settings import Settings
from shared.storage.setup import ensure_cosmos

ROOT = Path(__file__).resolve().parents[2]


class RecordingDatabase:
    def __init__(self) -> None:
        self.created: list[dict[str, Any]] = []

    def create_container(self, name: str, *, partition_key: Any, **options: Any) -> None:
        self.created.append({"name": name, "partition_key": partition_key, **options})


class RecordingClient:
    """What ensure_cosmos asks of a Cosmos client, recorded instead of sent."""

    def __init__(self) -> None:
        self.database = RecordingDatabase()

    def create_database(self, name: str) -> RecordingDatabase:
        self.database_name = name
        return self.database


def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(OUTPUT.read_text(encoding="utf-8"))
    return loaded


def test_the_json_file_is_what_the_code_generates() -> None:
    assert OUTPUT.read_text(encoding="utf-8") == render(), "run: python scripts/cosmos_containers.py"


def test_the_json_holds_exactly_what_setup_creates() -> None:
    defaults = Settings()
    client = RecordingClient()
    ensure_cosmos(client, defaults.cosmos_database, job_ttl_seconds=defaults.job_ttl_seconds)  # type: ignore[arg-type]

    created = {c["name"]: c for c in client.database.created}
    bicep = {c["id"]: c for c in spec()["containers"]}
    assert spec()["database"] == client.database_name == defaults.cosmos_database
    assert spec()["jobTtlSeconds"] == defaults.job_ttl_seconds
    assert list(bicep) == list(created)  # same containers, same order
    for name, made in created.items():
        container = bicep[name]
        assert container["partitionKey"]["paths"] == [made["partition_key"]["paths"][0]], name
        assert container["partitionKey"]["kind"] == "Hash", name
        assert container.get("defaultTtl") == made.get("default_ttl"), name
        assert container["indexingPolicy"] == made["indexing_policy"], name
    # What the app relies on: jobs expire after the job TTL, results and artifacts by their own ttl.
    assert bicep["jobs"]["defaultTtl"] == defaults.job_ttl_seconds
    assert bicep["analysis_results"]["defaultTtl"] == -1
    assert any(index for index in bicep["jobs"]["indexingPolicy"]["compositeIndexes"])


def test_the_bicep_creates_them_from_the_json() -> None:
    main = (ROOT / "infra" / "main.bicep").read_text()
    cosmos = (ROOT / "infra" / "modules" / "cosmos.bicep").read_text()
    assert "var cosmosSpec = loadJsonContent('cosmos-containers.json')" in main
    assert "containers: cosmosSpec.containers" in main
    assert "databaseName: cosmosSpec.database" in main
    # The app's settings come from the same file: the database it reads and the TTL it stamps on jobs.
    assert "COSMOS_DATABASE: cosmosSpec.database" in main
    assert "JOB_TTL_SECONDS: string(cosmosSpec.jobTtlSeconds)" in main
    assert "for container in containers:" in cosmos
    assert "resource: container" in cosmos
    assert OUTPUT == ROOT / "infra" / "cosmos-containers.json"
