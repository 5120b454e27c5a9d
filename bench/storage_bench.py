"""Benchmark: listing one user's jobs from SQLite through the indexed repository query vs. a naive full scan
(load every row, parse, filter, sort in Python). Prints figures; asserts nothing.

    python -m bench.storage_bench [--jobs 1000] [--users 10] [--repeat 50]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from shared.jobs.document import Job, parse_job
from shared.jobs.models import JobStatus, JobType
from shared.jobs.service import JobService
from shared.query.request import QueryJobRequest
from shared.storage.sqlite import SqliteJobRepository, sqlite_repositories


def naive_list(repo: SqliteJobRepository, user_id: str, status: JobStatus, limit: int) -> list[Job]:
    rows = repo._store.connection().execute("SELECT doc FROM jobs").fetchall()
    jobs = [parse_job(json.loads(row[0])) for row in rows]
    mine = [job for job in jobs if job.user_id == user_id and job.status == status]
    return sorted(mine, key=lambda job: (job.created_at, job.job_id), reverse=True)[:limit]


def timed(label: str, repeat: int, action: Callable[[], object]) -> None:
    start = time.perf_counter()
    for _ in range(repeat):
        action()
    per_call_ms = (time.perf_counter() - start) / repeat * 1000
    print(f"{label:<40} {per_call_ms:8.2f} ms/call")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        repos = sqlite_repositories(Path(tmp))
        service = JobService(repos.jobs)
        start = time.perf_counter()
        for index in range(args.jobs):
            job = service.create_job(
                f"user{index % args.users}", JobType.QUERY, QueryJobRequest(question=f"q{index}", contract_ids=["c1"])
            )
            if index % 3 == 0:
                service.update_status(job.user_id, job.job_id, JobStatus.PROCESSING)
        print(f"created {args.jobs} jobs in {time.perf_counter() - start:.2f} s")
        assert isinstance(repos.jobs, SqliteJobRepository)
        jobs_repo = repos.jobs
        timed(
            "indexed query (status, limit 50)",
            args.repeat,
            lambda: service.list_user_jobs("user0", statuses=[JobStatus.QUEUED]),
        )
        timed("indexed query (all, limit 50)", args.repeat, lambda: service.list_user_jobs("user0"))
        timed("counts", args.repeat, lambda: service.counts("user0"))
        timed(
            "naive full scan (status, limit 50)",
            max(1, args.repeat // 5),
            lambda: naive_list(jobs_repo, "user0", JobStatus.QUEUED, 50),
        )


if __name__ == "__main__":
    main()
