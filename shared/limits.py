"""Per-user limits: what one user may hold at once, so that no tenant can stall the app or starve the others.

- Active jobs (queued + processing), MAX_ACTIVE_JOBS_PER_USER (20): checked in shared/jobs/submission.py, so by
  every HTTP starter, retry, the legacy endpoints and batch stage / reprocess / run. 429 `too_many_active_jobs`.
- Open streams, MAX_STREAMS_PER_USER (10): api/stream_slots.py, per worker process. 429 `too_many_streams`.
- Records per batch (documents x prompts), MAX_RECORDS_PER_BATCH (5,000): batch create and PUT (the documents in its
  folders now), stage and reprocess-staging, and the staging plan (the documents it finds then).
  422 `too_many_batch_records`.
- Documents per folder, MAX_DOCUMENTS_PER_FOLDER (1,000): document upload. 422 `too_many_documents_in_folder`.

Jobs and streams end by themselves, so their limit is a 429 to try again after; a batch or a folder is as big as the
user makes it, so its limit is a 422 naming the setting. The job-requests queue is not limited: only holders of the
storage account's credentials (trusted back ends) can write to it, and a refusal there could only poison a request
that back end already accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Sequence

from shared.errors import LimitReached, ValidationFailed
from shared.jobs.models import JobStatus
from shared.settings import Settings, get_settings
from shared.storage.base import Repositories

JOBS_RETRY_AFTER_SECONDS = 15
"""What a 429 for too many jobs suggests: about the time a short job takes to finish."""


class TooManyActiveJobs(LimitReached):
    code = "too_many_active_jobs"


class TooManyStreams(LimitReached):
    code = "too_many_streams"


class TooManyBatchRecords(ValidationFailed):
    code = "too_many_batch_records"


class FolderFull(ValidationFailed):
    code = "too_many_documents_in_folder"


# --- active jobs ---------------------------------------------------------------------------------------------

# One lock per user while a submission counts and creates, so a burst of one user's submissions on this worker
# cannot all pass the count before any of them is created. Weak: a user's lock goes when no submission holds it.
_admission_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def active_jobs(repos: Repositories, user_id: str) -> int:
    counts = repos.jobs.counts(user_id)
    return counts.get(JobStatus.QUEUED.value, 0) + counts.get(JobStatus.PROCESSING.value, 0)


def ensure_room_for_job(repos: Repositories, user_id: str, settings: Settings | None = None) -> None:
    limit = (settings or get_settings()).max_active_jobs_per_user
    active = active_jobs(repos, user_id)
    if active >= limit:
        raise TooManyActiveJobs(
            f"you have {active} jobs queued or running, the most one user may have at once "
            f"(MAX_ACTIVE_JOBS_PER_USER={limit}): wait for one to finish, or cancel one",
            {"limit": limit, "setting": "MAX_ACTIVE_JOBS_PER_USER", "active": active},
            retry_after=JOBS_RETRY_AFTER_SECONDS,
        )


@contextlib.asynccontextmanager
async def job_admission(repos: Repositories, user_id: str, *, enforce: bool = True) -> AsyncIterator[None]:
    """Hold this user's admission while the job is counted and created (TooManyActiveJobs when it is full).

    Per worker process: across scale-out instances a burst can pass on each instance at once, so a user may
    briefly hold up to one job more per instance than the limit; the next submission counts them all."""
    if not enforce:
        yield
        return
    lock = _admission_locks.get(user_id)
    if lock is None:
        lock = asyncio.Lock()
        _admission_locks[user_id] = lock
    async with lock:
        await asyncio.to_thread(ensure_room_for_job, repos, user_id)
        yield


# --- batches and folders ---------------------------------------------------------------------------------------


def documents_in_folders(repos: Repositories, user_id: str, folders: Sequence[str]) -> int:
    wanted = set(folders)
    return sum(f.document_count for f in repos.documents.folders(user_id) if f.folder in wanted)


def ensure_batch_records_fit(documents: int, prompts: int, settings: Settings | None = None) -> None:
    limit = (settings or get_settings()).max_records_per_batch
    records = documents * prompts
    if records > limit:
        raise TooManyBatchRecords(
            f"the batch would have {records} records ({documents} documents x {prompts} prompts), more than one "
            f"batch may have (MAX_RECORDS_PER_BATCH={limit}): use fewer folders, documents or prompts",
            {
                "limit": limit,
                "setting": "MAX_RECORDS_PER_BATCH",
                "records": records,
                "documents": documents,
                "prompts": prompts,
            },
        )


def ensure_batch_fits(repos: Repositories, user_id: str, folders: Sequence[str], prompts: int) -> None:
    """The records a batch of these folders and prompts would stage today fit MAX_RECORDS_PER_BATCH."""
    ensure_batch_records_fit(documents_in_folders(repos, user_id, folders), prompts)


def ensure_room_in_folder(repos: Repositories, user_id: str, folder: str, settings: Settings | None = None) -> None:
    limit = (settings or get_settings()).max_documents_per_folder
    held = repos.documents.count_in_folder(user_id, folder)
    if held >= limit:
        raise FolderFull(
            f"folder {folder!r} already holds {held} documents, the most one folder may hold "
            f"(MAX_DOCUMENTS_PER_FOLDER={limit}): upload into another folder",
            {"limit": limit, "setting": "MAX_DOCUMENTS_PER_FOLDER", "folder": folder, "documents": held},
        )
