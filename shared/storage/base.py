"""Repository interfaces. Two implementations: Cosmos DB (shared/storage/cosmos.py) and embedded SQLite
(shared/storage/sqlite/); one contract test suite (tests/shared/storage/) runs against both.

All methods are synchronous (the Cosmos and SQLite SDK calls block); async callers use asyncio.to_thread.
Every method takes the owner's user_id: it is the partition key, and another user's object is NotFound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from shared.batches.models import Batch, ModelAnswer, RecordStatus, ResponseRecord
from shared.contracts.models import Contract, ContractSummary
from shared.documents.models import Document, DocumentText, FolderSummary
from shared.jobs.document import Job
from shared.jobs.models import JobStatus, JobType
from shared.jobs.results import AnalysisResult
from shared.ops.usage_figures import ModelUsage

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    continuation: str | None = None


@dataclass(frozen=True)
class Versioned(Generic[T]):
    """An item and its ETag (Cosmos `_etag`, or a row version in SQLite) for optimistic concurrency."""

    item: T
    etag: str


class ContractRepository(Protocol):
    def add(self, contract: Contract) -> None: ...  # ConflictError if the id exists
    def get(self, user_id: str, contract_id: str) -> Contract: ...  # NotFoundError
    def get_many(self, user_id: str, contract_ids: Sequence[str]) -> list[Contract]:
        """In the order asked; NotFoundError names every missing id (details: {"missing": [...]})."""
        ...

    def missing(self, user_id: str, contract_ids: Sequence[str]) -> list[str]:
        """The ids not owned by user_id, cheaply (no texts read)."""
        ...

    def list(self, user_id: str, *, limit: int = 100, continuation: str | None = None) -> Page[ContractSummary]: ...
    def delete(self, user_id: str, contract_id: str) -> None: ...  # NotFoundError


class JobRepository(Protocol):
    def create(self, job: Job) -> None: ...  # ConflictError if the id exists
    def get(self, user_id: str, job_id: str) -> Versioned[Job]: ...  # NotFoundError
    def replace(self, job: Job, etag: str) -> str: ...  # returns the new etag; ConflictError if etag is stale
    def query(
        self,
        user_id: str,
        *,
        statuses: Sequence[JobStatus] | None = None,
        job_type: JobType | None = None,
        limit: int = 50,
        continuation: str | None = None,
    ) -> Page[Job]: ...  # newest first
    def counts(self, user_id: str) -> dict[str, int]: ...  # every JobStatus value as a key, zeros included
    def changed_since(self, user_id: str, since: datetime, *, limit: int = 100) -> list[Job]:
        """The user's jobs whose status or progress changed after `since` (progress.updated_at), oldest change
        first: one partition-scoped query, what a stream of the user's jobs reads."""
        ...

    # Across users, for the operations summary only: counts and a few projected fields, never whole documents.
    def counts_by_status_and_type(
        self, since: datetime, until: datetime
    ) -> dict[tuple[JobStatus, JobType], int]: ...  # jobs created in [since, until), every user's
    def oldest_running(self) -> RunningJobRow | None: ...  # the processing job created first, any user's
    def failed_between(self, since: datetime, until: datetime, *, limit: int = 20) -> list[FailedJobRow]:
        """Jobs that failed in [since, until) (to the second), any user's, the latest first."""
        ...


class ResultRepository(Protocol):
    def save(self, result: AnalysisResult) -> None: ...  # upsert (activities may run twice)
    def get(self, user_id: str, result_id: str) -> AnalysisResult: ...  # NotFoundError


class ArtifactRepository(Protocol):
    """Large job intermediates (contract texts, prompts, raw model output) keyed by job: history carries ids only.

    Items expire with the job (ttl). Content larger than one Cosmos item is split across items, never truncated.
    """

    def put(self, user_id: str, job_id: str, name: str, content: str, *, ttl: int | None = None) -> None:
        """Upsert."""
        ...

    def get(self, user_id: str, job_id: str, name: str) -> str: ...  # NotFoundError


class DocumentRepository(Protocol):
    """Batch documents' metadata (the bytes are in Blob Storage) and the text staging extracted from them."""

    def add(self, document: Document) -> None: ...  # ConflictError if the id exists
    def get(self, user_id: str, document_id: str) -> Document: ...  # NotFoundError
    def in_folders(self, user_id: str, folders: Sequence[str]) -> list[Document]:
        """Every document of the given folders (exact folder names), ordered by folder, filename, id."""
        ...

    def list_folder(
        self, user_id: str, folder: str, *, limit: int = 100, continuation: str | None = None
    ) -> Page[Document]: ...  # ordered by filename, document_id

    def folders(self, user_id: str) -> list[FolderSummary]: ...  # ordered by folder name
    def count_in_folder(self, user_id: str, folder: str) -> int: ...  # documents in exactly that folder
    def delete(self, user_id: str, document_id: str) -> None: ...  # NotFoundError; its text goes too
    def put_text(self, text: DocumentText) -> None:
        """Upsert; a text larger than one Cosmos item is split across items, never truncated."""
        ...

    def get_text(self, user_id: str, document_id: str) -> DocumentText: ...  # NotFoundError


class BatchRepository(Protocol):
    def create(self, batch: Batch) -> None: ...  # ConflictError if the id exists
    def get(self, user_id: str, batch_id: str) -> Versioned[Batch]: ...  # NotFoundError
    def replace(self, batch: Batch, etag: str) -> str: ...  # new etag; ConflictError if the etag is stale
    def list(
        self, user_id: str, *, limit: int = 50, continuation: str | None = None
    ) -> Page[Batch]: ...  # newest first


class RecordRepository(Protocol):
    """Response records of batches: one per document x prompt."""

    def upsert_many(self, records: Sequence[ResponseRecord]) -> None: ...
    def get(self, user_id: str, record_id: str) -> Versioned[ResponseRecord]: ...  # NotFoundError
    def replace(self, record: ResponseRecord, etag: str) -> str: ...  # ConflictError if the etag is stale
    def query(
        self,
        user_id: str,
        batch_id: str,
        *,
        statuses: Sequence[RecordStatus] | None = None,
        limit: int = 100,
        continuation: str | None = None,
    ) -> Page[ResponseRecord]: ...  # ordered by record_id (document, then prompt)

    def counts(self, user_id: str, batch_id: str) -> dict[str, int]: ...  # every RecordStatus value, zeros included


class AnswerRepository(Protocol):
    """The answer cache (model answers paid for once), by answer key (shared/batches/answer_cache.py)."""

    def get(self, user_id: str, key: str) -> ModelAnswer | None: ...
    def put(self, answer: ModelAnswer) -> None: ...  # upsert


class QuotaRepository(Protocol):
    """The budgets of model deployments (shared/llm/quota.py): one small item per deployment, shared by every job
    and every worker, replaced under its ETag. The state is opaque JSON text to storage."""

    def read(self, key: str) -> Versioned[str] | None: ...
    def write(self, key: str, state: str, etag: str | None) -> str:
        """Create (etag None) or replace (etag: the one read); returns the new etag. ConflictError when the item
        exists already (create) or was changed since it was read (replace)."""
        ...


@dataclass(frozen=True)
class Repositories:
    contracts: ContractRepository
    jobs: JobRepository
    results: ResultRepository
    artifacts: ArtifactRepository
    documents: DocumentRepository
    batches: BatchRepository
    records: RecordRepository
    answers: AnswerRepository
    quota: QuotaRepository
    usage: UsageRepository
    backend: str  # "cosmos" | "sqlite"


# --- the operations summary (shared/ops/) -------------------------------------------------------------------


@dataclass(frozen=True)
class RunningJobRow:
    """The fields of a running job the operations summary reads (the user id only to hash it)."""

    job_id: str
    user_id: str
    job_type: JobType
    created_at: datetime
    started_at: datetime | None
    step: str
    title: str = "Job"  # the job's title (shared/jobs/titles.py), or one from its request for an older job


@dataclass(frozen=True)
class FailedJobRow:
    job_id: str
    user_id: str
    job_type: JobType
    completed_at: datetime | None
    error: dict[str, Any] | None  # the job's error_details
    title: str = "Job"


class UsageRepository(Protocol):
    """Model-call figures per (deployment, time bucket, worker) (shared/ops/usage_figures.py). Each worker writes only
    its own items, whole (its running totals), so writers never contend; items expire two days after their last write.
    All in one system partition: they belong to the app, not to a user."""

    def put(self, items: Sequence[ModelUsage]) -> None: ...  # upsert each by (deployment, bucket, worker)
    def since(self, start: datetime) -> list[ModelUsage]: ...  # every item of a bucket starting at or after start
