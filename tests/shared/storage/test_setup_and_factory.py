"""The setup command and the repository factory."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.cosmos import CosmosClient, PartitionKey

from shared.settings import Settings, use_settings
from shared.storage.factory import get_repositories, reset_repositories
from shared.storage.setup import ensure_cosmos, ensure_storage
from shared.storage.sqlite import DB_FILENAME

pytestmark = pytest.mark.filterwarnings("ignore:Unverified HTTPS request")


@pytest.fixture(autouse=True)
def _fresh_factory() -> Iterator[None]:
    reset_repositories()
    yield
    use_settings(None)
    reset_repositories()


@pytest.mark.cosmos
def test_setup_creates_then_finds_containers_with_policies(cosmos_client: CosmosClient) -> None:
    name = f"setup_{uuid.uuid4().hex[:8]}"
    first = ensure_cosmos(cosmos_client, name, job_ttl_seconds=604_800)
    assert all(line.startswith("created") for line in first) and len(first) == 12
    second = ensure_cosmos(cosmos_client, name)
    assert all(line.startswith("found") for line in second) and len(second) == 12

    database = cosmos_client.get_database_client(name)
    jobs = database.get_container_client("jobs").read()
    assert jobs["partitionKey"]["paths"] == ["/user_id"]
    assert jobs["defaultTtl"] == 604_800
    excluded = {entry["path"] for entry in jobs["indexingPolicy"]["excludedPaths"]}
    assert {"/request/*", "/progress/*", "/error_details/*"} <= excluded
    composites = [[(p["path"], p["order"]) for p in index] for index in jobs["indexingPolicy"]["compositeIndexes"]]
    assert [("/user_id", "ascending"), ("/status", "ascending"), ("/created_at", "descending")] in composites
    assert [("/user_id", "ascending"), ("/job_type", "ascending"), ("/created_at", "descending")] in composites
    for container in ("contracts", "analysis_results", "job_artifacts"):
        assert database.get_container_client(container).read()["partitionKey"]["paths"] == ["/user_id"]
    assert database.get_container_client("job_artifacts").read()["defaultTtl"] == -1  # per-item TTL honoured
    assert "defaultTtl" not in database.get_container_client("contracts").read()
    quota = database.get_container_client("llm_quota").read()  # budgets: point reads, nothing indexed, no TTL
    assert quota["partitionKey"]["paths"] == ["/user_id"] and "defaultTtl" not in quota
    assert {entry["path"] for entry in quota["indexingPolicy"]["excludedPaths"]} >= {"/*"}
    usage = database.get_container_client("llm_usage").read()  # model-call figures: two days, read by bucket
    assert usage["partitionKey"]["paths"] == ["/user_id"] and usage["defaultTtl"] == 172_800
    assert [entry["path"] for entry in usage["indexingPolicy"]["includedPaths"]] == ["/bucket/?"]
    cosmos_client.delete_database(name)


BATCH_CONTAINERS = ["documents", "document_texts", "batches", "batch_records", "model_answers"]
NEWER_CONTAINERS = [*BATCH_CONTAINERS, "llm_quota"]


def _composites(properties: dict[str, Any]) -> list[list[tuple[str, str]]]:
    return [
        [(p["path"], p["order"]) for p in index] for index in properties["indexingPolicy"].get("compositeIndexes", [])
    ]


@pytest.mark.cosmos
def test_setup_creates_the_batch_containers_without_ttl_with_their_indexes(cosmos_client: CosmosClient) -> None:
    name = f"setup_{uuid.uuid4().hex[:8]}"
    ensure_cosmos(cosmos_client, name)
    database = cosmos_client.get_database_client(name)
    read = {container: database.get_container_client(container).read() for container in BATCH_CONTAINERS}
    for container, properties in read.items():
        assert properties["partitionKey"]["paths"] == ["/user_id"], container
        assert "defaultTtl" not in properties, container  # batches and their documents persist
    excluded = {c: {e["path"] for e in p["indexingPolicy"]["excludedPaths"]} for c, p in read.items()}
    assert {"/response_text/?", "/evidence/*"} <= excluded["batch_records"]
    assert {"/response_text/?", "/evidence/*"} <= excluded["model_answers"]
    assert {"/body/*", "/data/?"} <= excluded["batches"]  # config, snapshot, documents, summary live in the body
    assert {"/body/*", "/data/?"} <= excluded["document_texts"]  # the text, inline or in chunks
    assert _composites(read["documents"]) == [
        [("/folder", "ascending"), ("/filename", "ascending"), ("/id", "ascending")]
    ]
    assert _composites(read["batches"]) == [[("/created_at", "descending"), ("/id", "descending")]]
    assert _composites(read["batch_records"]) == [
        [("/batch_id", "ascending"), ("/record_id", "ascending")],
        [("/batch_id", "ascending"), ("/status", "ascending"), ("/record_id", "ascending")],
    ]
    cosmos_client.delete_database(name)


@pytest.mark.cosmos
def test_setup_adds_the_batch_containers_to_an_older_database(cosmos_client: CosmosClient) -> None:
    name = f"setup_{uuid.uuid4().hex[:8]}"
    older = cosmos_client.create_database(name)
    for container in ("contracts", "jobs", "analysis_results", "job_artifacts"):
        older.create_container(container, partition_key=PartitionKey(path="/user_id"))
    report = ensure_cosmos(cosmos_client, name)
    assert [line for line in report if line.startswith("created")] == [
        *(f"created container {name}/{container} (ttl None)" for container in NEWER_CONTAINERS),
        f"created container {name}/llm_usage (ttl 172800)",
    ]
    assert len([line for line in report if line.startswith("found")]) == 5  # the database and the four
    cosmos_client.delete_database(name)


def test_setup_creates_the_sqlite_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert ensure_storage(settings) == [f"created sqlite store {tmp_path / DB_FILENAME}"]
    assert ensure_storage(settings) == [f"found sqlite store {tmp_path / DB_FILENAME}"]


def test_factory_uses_sqlite_without_an_endpoint_and_caches(tmp_path: Path) -> None:
    use_settings(Settings(data_dir=tmp_path))
    repos = get_repositories()
    assert repos.backend == "sqlite"
    assert get_repositories() is repos
    assert (tmp_path / DB_FILENAME).exists()
    reset_repositories()
    assert get_repositories() is not repos


@pytest.mark.cosmos
def test_factory_uses_cosmos_with_an_endpoint(cosmos_server: tuple[str, str], cosmos_database: object) -> None:
    endpoint, key = cosmos_server
    settings = Settings(
        cosmos_endpoint=endpoint, cosmos_key=key, cosmos_database="contractjobs_tests", cosmos_verify_tls=False
    )
    use_settings(settings)
    repos = get_repositories()
    assert repos.backend == "cosmos"
    assert repos.jobs.counts("nobody")["queued"] == 0  # it really talks to the server
    reset_repositories()
