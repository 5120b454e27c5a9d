"""Fixtures for the storage contract suite and the job service: `repos` yields the same interface over SQLite and
over Cosmos (the Cosmos-compatible test server, set up once per session with `shared.storage.setup`). Imported by
the conftest of each folder that runs against both backends."""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from azure.cosmos import CosmosClient, DatabaseProxy

from shared.storage.base import Repositories
from shared.storage.cosmos import cosmos_repositories
from shared.storage.setup import ensure_cosmos
from shared.storage.sqlite import sqlite_repositories

TEST_DATABASE = "contractjobs_tests"


@pytest.fixture(scope="session")
def cosmos_client(cosmos_server: tuple[str, str]) -> CosmosClient:
    endpoint, key = cosmos_server
    return CosmosClient(endpoint, credential=key, connection_verify=False)


@pytest.fixture(scope="session")
def cosmos_database(cosmos_client: CosmosClient) -> DatabaseProxy:
    ensure_cosmos(cosmos_client, TEST_DATABASE)
    return cosmos_client.get_database_client(TEST_DATABASE)


@pytest.fixture(params=["sqlite", pytest.param("cosmos", marks=pytest.mark.cosmos)])
def repos(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Repositories]:
    if request.param == "sqlite":
        yield sqlite_repositories(tmp_path)
    else:
        yield cosmos_repositories(request.getfixturevalue("cosmos_database"))


@pytest.fixture
def user() -> str:
    # The Cosmos database is shared by the session: a fresh partition per test keeps tests independent.
    return f"user-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def other_user() -> str:
    return f"other-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """A clock that moves 1 ms per reading: distinct, increasing created_at values without sleeping."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    ticks = itertools.count()
    return lambda: start + timedelta(milliseconds=next(ticks))


def race(*actions: Callable[[], object]) -> list[BaseException]:
    """Run the actions at the same moment in threads; returns what they raised."""
    barrier = threading.Barrier(len(actions))
    errors: list[BaseException] = []

    def run(action: Callable[[], object]) -> None:
        barrier.wait()
        try:
            action()
        except BaseException as exc:  # collected and asserted by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def race_rounds(repos: Repositories) -> int:
    """How many times a race test repeats its race on this backend."""
    return 25 if repos.backend == "sqlite" else 10  # HTTP round trips make Cosmos rounds slower
