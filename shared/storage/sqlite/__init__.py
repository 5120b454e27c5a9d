"""Embedded storage: the repository interfaces over one SQLite file (`<data_dir>/contractjobs.sqlite3`).

Used when COSMOS_ENDPOINT is unset, so the app runs locally with no service. Documents are stored as JSON with
the columns queries filter and sort on beside them.

Modules: database (the file, its schema, connections, transactions and TTL), then one per repository:
contracts, jobs, results, artifacts, the batch workflow's documents, batches, records and answers, the model
deployments' budgets (quota), and the operations summary's model-call figures (usage) and cross-user job queries
(job_overview).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from shared.storage.base import Repositories
from shared.storage.sqlite.answers import SqliteAnswerRepository
from shared.storage.sqlite.artifacts import SqliteArtifactRepository
from shared.storage.sqlite.batches import SqliteBatchRepository
from shared.storage.sqlite.contracts import SqliteContractRepository
from shared.storage.sqlite.database import DB_FILENAME, SqliteStore
from shared.storage.sqlite.documents import SqliteDocumentRepository
from shared.storage.sqlite.jobs import SqliteJobRepository
from shared.storage.sqlite.quota import SqliteQuotaRepository
from shared.storage.sqlite.records import SqliteRecordRepository
from shared.storage.sqlite.results import SqliteResultRepository
from shared.storage.sqlite.usage_figures import SqliteUsageRepository

__all__ = [
    "DB_FILENAME",
    "SqliteAnswerRepository",
    "SqliteArtifactRepository",
    "SqliteBatchRepository",
    "SqliteContractRepository",
    "SqliteDocumentRepository",
    "SqliteJobRepository",
    "SqliteQuotaRepository",
    "SqliteRecordRepository",
    "SqliteResultRepository",
    "SqliteStore",
    "SqliteUsageRepository",
    "sqlite_repositories",
]


def sqlite_repositories(
    data_dir: Path, *, job_ttl_seconds: int = 604_800, clock: Callable[[], float] = time.time
) -> Repositories:
    store = SqliteStore(Path(data_dir) / DB_FILENAME, clock=clock)
    return Repositories(
        contracts=SqliteContractRepository(store),
        jobs=SqliteJobRepository(store),
        results=SqliteResultRepository(store),
        artifacts=SqliteArtifactRepository(store, default_ttl=job_ttl_seconds),
        documents=SqliteDocumentRepository(store),
        batches=SqliteBatchRepository(store),
        records=SqliteRecordRepository(store),
        answers=SqliteAnswerRepository(store),
        quota=SqliteQuotaRepository(store),
        usage=SqliteUsageRepository(store),
        backend="sqlite",
    )
