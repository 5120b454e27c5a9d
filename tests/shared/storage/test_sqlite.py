"""What only the embedded store does itself: TTL on read and purge, persistence, threads."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from shared.comparison.request import ComparisonJobRequest
from shared.errors import NotFoundError
from shared.jobs.models import JobStatus, JobType
from shared.jobs.service import JobService
from shared.query.request import QueryJobRequest
from shared.storage.sqlite import DB_FILENAME, sqlite_repositories

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
