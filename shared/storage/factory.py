"""One set of repositories per process: Cosmos DB when COSMOS_ENDPOINT is set, else embedded SQLite."""

from __future__ import annotations

import threading

from azure.cosmos import CosmosClient

from shared.settings import Settings, get_settings
from shared.storage.base import Repositories
from shared.storage.cosmos import cosmos_repositories
from shared.storage.sqlite import sqlite_repositories

_lock = threading.Lock()
_repositories: Repositories | None = None


def build_repositories(settings: Settings) -> Repositories:
    """A fresh set (tests); the app uses get_repositories."""
    if settings.cosmos_endpoint:
        # One client per process: it holds the connection pool and the partition-key-range cache.
        client = CosmosClient(
            settings.cosmos_endpoint,
            credential=settings.cosmos_key or "",
            connection_verify=settings.cosmos_verify_tls,
        )
        database = client.get_database_client(settings.cosmos_database)
        return cosmos_repositories(database, job_ttl_seconds=settings.job_ttl_seconds)
    return sqlite_repositories(settings.data_dir, job_ttl_seconds=settings.job_ttl_seconds)


def get_repositories(settings: Settings | None = None) -> Repositories:
    """The process-wide repositories, built on first use from `settings` (default: get_settings())."""
    global _repositories
    with _lock:
        if _repositories is None:
            _repositories = build_repositories(settings or get_settings())
        return _repositories


def reset_repositories() -> None:
    """Forget the cached set (tests switch settings between cases)."""
    global _repositories
    with _lock:
        _repositories = None
