"""Progress latency of the job streams, against the seed's approach (polling the job every 1.5 s), in one run.

    python -m bench.stream_bench [--jobs 20] [--contracts 4] [--latency 0.3]

Part 1, through devhost (the real app, the OpenAI-compatible test server answering each model call after
`--latency` s): 20 comparison jobs run at once, each watched by its own client. Latency of one progress update =
the time a client learns of it minus the time the job document recorded it (`progress.updated_at`, same host
clock). "ours": 20 concurrent `GET /api/jobs/{id}/stream` connections, an update per `job_update` event. "seed":
20 clients polling `GET /api/jobs/{id}` every 1.5 s, as the seed's stream did server-side; an update a poll never
saw (overwritten before the next poll) counts as missed.

Part 2, in this process over a store that counts its reads: the storage reads one open stream costs per minute,
for a job stream and a user stream, with nothing changing and with a change every 0.5 s (reads are counted over
`--window` s and scaled to a minute; Cosmos charges about 1 RU per point read of a job document and 2-3 RU per
small partition-scoped query).

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from api import streams
from shared.jobs.models import JobProgress, JobStatus, JobType, ProcessingStep
from shared.jobs.service import JobService
from shared.query.request import QueryJobRequest
from shared.settings import Settings, use_settings
from shared.storage.sqlite import sqlite_repositories
from tests.e2e.app import RunningApp, make_app, openai_settings
from tests.e2e.helpers import NDA_STANDARD, NDA_VARIANT_A, NDA_VARIANT_B, upload_sample
from tests.support.azurite import start_azurite
from tests.support.openai_server import OpenAITestServer
from tests.support.sse import parse_block

USER = "stream-bench"
SEED_POLL_SECONDS = 1.5


@dataclass
class Watch:
    latencies: list[float] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)
    final_seq: int = 0


def seconds_since(stamp: str) -> float:
    return (datetime.now(UTC) - datetime.fromisoformat(stamp)).total_seconds()


def watch_stream(base_url: str, job_id: str, watch: Watch) -> None:
    headers = {"x-ms-client-principal-id": USER}
    with (
        httpx.Client(base_url=base_url, headers=headers, timeout=120) as client,
        client.stream("GET", f"/api/jobs/{job_id}/stream") as reply,
    ):
        buffer = ""
        for chunk in reply.iter_text():
            buffer += chunk
            while "\n\n" in buffer:
                block, buffer = buffer.split("\n\n", 1)
                event = parse_block(block)
                if event.event != "job_update":
                    continue
                job = event.json
                watch.latencies.append(seconds_since(job["progress"]["updated_at"]))
                watch.seen.add(job["progress"]["seq"])
                watch.final_seq = job["progress"]["seq"]
                if job["status"] in ("completed", "failed", "cancelled"):
                    return


def watch_polling(base_url: str, job_id: str, watch: Watch) -> None:
    with httpx.Client(base_url=base_url, headers={"x-ms-client-principal-id": USER}, timeout=120) as client:
        while True:
            job = client.get(f"/api/jobs/{job_id}").json()
            seq = job["progress"]["seq"]
            if seq not in watch.seen:
                watch.seen.add(seq)
                watch.latencies.append(seconds_since(job["progress"]["updated_at"]))
            watch.final_seq = seq
            if job["status"] in ("completed", "failed", "cancelled"):
                return
            time.sleep(SEED_POLL_SECONDS)


def run_watched_jobs(
    app: RunningApp, server: OpenAITestServer, standard: str, compared: list[str], jobs: int, latency: float,
    watcher: Callable[[str, str, Watch], None],
) -> list[Watch]:  # fmt: skip
    server.reset()
    for _ in range(jobs * len(compared)):
        server.slow(latency)
    body = {"request": {"standardContractId": standard, "compareContractIds": compared}}
    watches = [Watch() for _ in range(jobs)]
    threads = []
    with app.client(USER) as client:
        for watch in watches:
            job_id = client.post("/api/jobs/comparison", json=body).json()["job_id"]
            thread = threading.Thread(target=watcher, args=(app.base_url, job_id, watch), daemon=True)
            thread.start()
            threads.append(thread)
    for thread in threads:
        thread.join(timeout=600)
    return watches


def report_latency(name: str, watches: list[Watch]) -> None:
    latencies = sorted(x for w in watches for x in w.latencies)
    seen = sum(len(w.seen) for w in watches)
    made = sum(w.final_seq for w in watches)  # seq counts every change of the job (seq 1 .. final)
    p50 = statistics.median(latencies) * 1000
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)] * 1000
    print(f"  {name:<34} p50 {p50:7.0f} ms   p95 {p95:7.0f} ms   updates seen {seen} of {made}")


# --- part 2: storage reads per stream-minute ------------------------------------------------------------------


class CountingJobs:
    """The job repository, counting the reads a stream makes."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.reads: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if name in ("get", "query", "counts", "changed_since"):

            def counted(*args: Any, **kwargs: Any) -> Any:
                self.reads[name] = self.reads.get(name, 0) + 1
                return attribute(*args, **kwargs)

            return counted
        return attribute


async def reads_per_minute(window: float, change_every: float | None, user_stream: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        repos = sqlite_repositories(Path(tmp))
        counting = CountingJobs(repos.jobs)
        service = JobService(counting)  # the stream's reads are counted
        writer = JobService(repos.jobs)  # the activities' are not
        use_settings(Settings(data_dir=Path(tmp)))
        job = service.create_job(USER, JobType.QUERY, QueryJobRequest(question="q", contract_ids=["c"]))
        service.update_status(USER, job.job_id, JobStatus.PROCESSING)
        stream = (
            streams.follow_user(service, USER, None, None, Settings())
            if user_stream
            else streams.follow_job(service, service.get_job(USER, job.job_id), None, Settings())
        )
        stop = time.monotonic() + window

        async def consume() -> None:
            async for _ in stream:
                if time.monotonic() > stop:
                    return

        async def change() -> None:
            step = 0
            while change_every is not None and time.monotonic() < stop:
                await asyncio.sleep(change_every)
                step += 1
                progress = JobProgress(current_step=ProcessingStep.CALLING_LLM, percentage=50, message=f"item {step}")
                await asyncio.to_thread(writer.update_progress, USER, job.job_id, progress)

        counting.reads.clear()
        await asyncio.wait_for(asyncio.gather(consume(), change()), window + 30)
        use_settings(None)
        return {name: count * 60 / window for name, count in counting.reads.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--contracts", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.3, help="seconds per model call on the test server")
    parser.add_argument("--window", type=float, default=15.0, help="seconds each read count runs")
    args = parser.parse_args(argv)

    print(f"== progress latency: {args.jobs} comparison jobs x {args.contracts} contracts at once, "
          f"{args.latency * 1000:.0f} ms per model call ==")  # fmt: skip
    server = OpenAITestServer().start()
    try:
        with tempfile.TemporaryDirectory(prefix="stream-bench-") as tmp, start_azurite() as storage:
            # One user's 20 concurrent streams: above MAX_STREAMS_PER_USER's default on purpose.
            app = make_app(Path(tmp) / "app", storage, **openai_settings(server), MAX_STREAMS_PER_USER="100").start()
            try:
                with app.client(USER) as client:
                    standard = upload_sample(client, NDA_STANDARD)
                    compared = [
                        upload_sample(client, NDA_VARIANT_A if i % 2 else NDA_VARIANT_B, title=f"Bench {i}")
                        for i in range(args.contracts)
                    ]
                ours = run_watched_jobs(app, server, standard, compared, args.jobs, args.latency, watch_stream)
                report_latency("ours: SSE job streams", ours)
                seed = run_watched_jobs(app, server, standard, compared, args.jobs, args.latency, watch_polling)
                report_latency(f"seed: poll every {SEED_POLL_SECONDS} s", seed)
            finally:
                app.stop()
    finally:
        server.stop()

    print(f"\n== storage reads per open stream-minute (counted over {args.window:.0f} s, default stream settings) ==")
    for label, user_stream, every in (
        ("job stream, job running, no change", False, None),
        ("job stream, a change every 0.5 s", False, 0.5),
        ("user stream, one job running, no change", True, None),
        ("user stream, a change every 0.5 s", True, 0.5),
    ):
        reads = asyncio.run(reads_per_minute(args.window, every, user_stream))
        text = ", ".join(f"{name} {count:.0f}" for name, count in sorted(reads.items())) or "none"
        print(f"  {label:<42} {text}")


if __name__ == "__main__":
    main()
