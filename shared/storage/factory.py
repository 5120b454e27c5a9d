"""One set of repositories per process: Cosmos DB when COSMOS_ENDPOINT is set, else embedded SQLite."""

from __future__ import annotations

from shared.settings import Settings, get_settings
from shared.singletons import ProcessSingleton
from shared.storage.base import Repositories
from shared.storage.cosmos import cosmos_repositories
from shared.storage.cosmos_client import cosmos_client
from shared.storage.sqlite import sqlite_repositories


def build_repositories(settings: Settings) -> Repositories:
    """A fresh set (tests); the app uses get_repositories."""
    if settings.cosmos_endpoint:
        # One client per process: it holds the connection pool and the partition-key-range cache.
        client = cosmos_client(settings)
        database = client.get_database_client(settings.cosmos_database)
        return cosmos_repositories(database, job_ttl_seconds=settings.job_ttl_seconds)
    return sqlite_repositories(settings.data_dir, job_ttl_seconds=settings.job_ttl_seconds)


_repositories = ProcessSingleton(lambda: build_repositories(get_settings()))


def get_repositories() -> Repositories:
    """The process-wide repositories, built on first use from the process settings."""
    return _repositories.get()


def reset_repositories() -> None:
    """Forget the cached set (tests switch settings between cases)."""
    _repositories.reset()
