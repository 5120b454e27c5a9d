"""What only the embedded store does itself: TTL on read and purge, persistence, schema upgrades, threads."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from shared.batches.models import RecordStatus
from shared.comparison.request import ComparisonJobRequest
from shared.errors import NotFoundError
from shared.jobs.models import JobStatus, JobType
from shared.jobs.service import JobService
from shared.query.request import QueryJobRequest
from shared.storage.sqlite import DB_FILENAME, database, sqlite_repositories
from shared.storage.unavailable import is_unavailable
from tests.shared.storage.helpers import answered, make_document, make_record

REQUEST = QueryJobRequest(question="Which law governs?", contract_ids=["c1"])
COMPARISON = ComparisonJobRequest(standardContractId="s1", compareContractIds=["c1"])


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def test_expired_jobs_and_artifacts_are_invisible_then_purged(tmp_path: Path) -> None:
    clock = FakeClock()
    repos = sqlite_repositories(tmp_path, job_ttl_seconds=100, clock=clock)
    service = JobService(repos.jobs, ttl_seconds=100)
    job = service.create_job("u", JobType.QUERY, REQUEST)
    repos.artifacts.put("u", job.job_id, "texts", "content")
    repos.artifacts.put("u", job.job_id, "forever", "content", ttl=-1)
    clock.now += 99
    assert service.get_job("u", job.job_id).status == JobStatus.QUEUED
    assert repos.artifacts.get("u", job.job_id, "texts") == "content"
    service.update_status("u", job.job_id, JobStatus.PROCESSING)  # a write restarts the TTL, as in Cosmos
    clock.now += 2
    with pytest.raises(NotFoundError):
        repos.artifacts.get("u", job.job_id, "texts")  # 101 s old
    assert service.get_job("u", job.job_id).status == JobStatus.PROCESSING  # written 2 s ago
    clock.now += 100
    with pytest.raises(NotFoundError):
        service.get_job("u", job.job_id)
    assert service.list_user_jobs("u").items == []
    assert sum(service.counts("u").values()) == 0
    assert repos.artifacts.get("u", job.job_id, "forever") == "content"
    store = repos.jobs._store  # type: ignore[attr-defined]
    assert store.purge_expired() == 2
    service.create_job("u", JobType.QUERY, REQUEST, job_id=job.job_id)  # an expired id is free again


def test_data_survives_reopening_the_file(tmp_path: Path) -> None:
    first = sqlite_repositories(tmp_path)
    job = JobService(first.jobs).create_job("u", JobType.COMPARISON, COMPARISON)
    first.jobs._store.close()  # type: ignore[attr-defined]
    assert (tmp_path / DB_FILENAME).exists()
    second = sqlite_repositories(tmp_path)
    assert second.jobs.get("u", job.job_id).item == job


def test_threads_each_write_through_their_own_connection(tmp_path: Path) -> None:
    repos = sqlite_repositories(tmp_path)
    service = JobService(repos.jobs)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for index in range(20):
                job = service.create_job("u", JobType.QUERY, REQUEST, job_id=f"w{worker}-{index}")
                repos.artifacts.put("u", job.job_id, "out", str(index))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert service.counts("u")["queued"] == 160


def test_a_file_from_before_batches_gains_their_tables_and_keeps_its_data(tmp_path: Path) -> None:
    first = sqlite_repositories(tmp_path)
    job = JobService(first.jobs).create_job("u", JobType.COMPARISON, COMPARISON)
    store = first.jobs._store  # type: ignore[attr-defined]
    with store.write() as conn:  # the file as an older version left it
        for table in ("documents", "document_texts", "batches", "batch_records", "model_answers"):
            conn.execute(f"DROP TABLE {table}")
    store.close()
    second = sqlite_repositories(tmp_path)
    assert second.jobs.get("u", job.job_id).item == job
    second.documents.add(make_document("u", "d1"))
    second.records.upsert_many([make_record("u", "b1", 0, 0)])
    assert second.documents.folders("u")[0].document_count == 1
    assert second.records.counts("u", "b1")["QUEUED"] == 1


def test_ten_thousand_records_go_in_one_call(tmp_path: Path) -> None:
    repos = sqlite_repositories(tmp_path)
    records = [make_record("u", "b1", document, prompt) for document in range(2_000) for prompt in range(5)]
    repos.records.upsert_many(records)
    repos.records.upsert_many([answered(record) for record in records[::2]])
    assert repos.records.counts("u", "b1") == {"QUEUED": 5_000, "S": 5_000, "F": 0}
    page = repos.records.query("u", "b1", statuses=[RecordStatus.S], limit=1000)
    assert [r.record_id for r in page.items] == sorted(r.record_id for r in records[::2])[:1000]


def _hold_write_lock(path: Path, seconds: float, held: threading.Event) -> None:
    """Another process's writer, as SQLite sees it: the write lock taken and kept for `seconds`."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    held.set()
    time.sleep(seconds)
    other.execute("COMMIT")
    other.close()


def test_a_write_that_finds_the_file_locked_past_the_busy_timeout_is_tried_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 50)
    store = database.SqliteStore(tmp_path / DB_FILENAME)
    held = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(store.path, 0.2, held))
    holder.start()
    held.wait()
    with store.write() as conn:  # locked for 0.2 s: past the 50 ms busy wait, within the retries
        conn.execute("INSERT INTO llm_quota (quota_key, version, state) VALUES ('k', 1, '{}')")
    holder.join()
    assert store.connection().execute("SELECT version FROM llm_quota").fetchone() == (1,)


def test_a_file_locked_longer_is_the_store_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 50)
    store = database.SqliteStore(tmp_path / DB_FILENAME)
    held = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(store.path, 2.0, held))
    holder.start()
    held.wait()
    try:
        with pytest.raises(sqlite3.OperationalError) as raised, store.write():
            pass
    finally:
        holder.join()
    assert is_unavailable(raised.value)
