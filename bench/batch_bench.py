"""Document batches at scale: 1,000 and 10,000 records through devhost, ours vs a naive single orchestration.

    python -m bench.batch_bench [--sizes 1000,10000] [--naive-timeout 900] [--skip-naive] [--baseline-dir DIR]
    python -m bench.batch_bench --sizes 100,300         # a quick run (about 2 minutes)
    python -m bench.batch_bench --sizes 1000 --skip-naive --baseline-dir /tmp/base   # ours vs another tree
    python -m bench.batch_bench --sizes 100000 --skip-naive --timeout 7200           # a long batch

For each size (records = documents x 10 prompts: 100 x 10 and 1,000 x 10 by default) and each variant, a fresh
devhost child runs an app with LLM_PROVIDER=offline and its own SQLite store and state. Synthetic contracts
(bench/batch_bench_data.py, 2-3.5 KB each, all different) are uploaded through POST /api/documents into a folder,
a batch with the ten prompts is created, staged (POST .../stage) and run (POST .../run); each job is polled
through its statusQueryGetUri until done. Variants:
  ours   the real app (function_app.py, unchanged): the run fans out one sub-orchestration per BATCH_RUN_CHUNK
         records, CHUNKS_IN_FLIGHT at a time, each evaluating RECORDS_PER_CALL records to an activity call, and
         continues as new every CHUNKS_PER_GENERATION chunks (orchestrators/batch_evaluation.py);
  naive  bench/batch_bench_naive.py: the same app, but the run job fans out over every record in its own
         instance (orchestrators/fan_out.py, as many calls in flight), with no sub-orchestrations;
  today  with --baseline-dir DIR: the app *and devhost* of another working tree (e.g. the branch point, exported
         with `git archive <commit> | tar -x -C DIR`, with .venv and node_modules linked in), measured in the same
         run, right after ours at each size, so both see the same machine.

Reported per run: wall time of staging and of the run (submit to done); the CPU the devhost process used during
the run (from /proc: Linux only); the orchestrator replay time, summed over every orchestrator episode of the run
job's instances (the job and its chunks; the job's own share shown apart) and its p95 per episode, from devhost's
opt-in episode trace (DEVHOST_EPISODE_TRACE, devhost/durable/trace.py): "cpu" is the CPU time of the thread running
the SDK's orchestrator function (what replaying the history costs), "wall" the same call's wall time (it also waits
for the GIL while activities run), "host episode wall" the whole episode in devhost (history read, call, action
check, commit; episodes overlap, so the sum can exceed the run); the number of instances and the histories of the
job's own instance and of its largest chunk (events and bytes, read from devhost's SQLite state as
bench/jobs_bench.py does), and the largest history any instance had at any time (events and context bytes, from
the trace: a job that continues as new ends with its last generation's history only) with the job's generations;
then each variant's growth from the smallest size to the largest, and naive / ours, today / ours.

The naive run is capped at --naive-timeout seconds (default 900): past it, the bench reports what it reached
(records done, replay time, history so far) and stops that app. On a 2-core machine the default sizes take about
40-45 minutes in all: ours 1,000 under a minute and 10,000 about 9-10 minutes, naive 1,000 about 9-13 minutes and
naive 10,000 its 15-minute cap, plus uploads and staging.

Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import sqlite3
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.batch_bench_data import PROMPTS, contract_text, filename
from bench.batch_bench_report import RunFigures, p95, report
from tests.e2e.app import RunningApp, make_app, make_app_of
from tests.e2e.helpers import JobTimeout, get_json, wait_for_job
from tests.support.azurite import start_azurite

USER = "batch-bench"
FOLDER = "Bench contracts"
NAIVE_APP = "from bench.batch_bench_naive import app  # noqa: F401  (the naive baseline: bench/batch_bench_naive.py)\n"


def start_app(root: Path, variant: str, storage: str, trace: Path, source: Path | None = None) -> RunningApp:
    settings = {"LLM_PROVIDER": "offline", "DEVHOST_EPISODE_TRACE": str(trace)}
    # 100,000 records (10,000 documents x 10 prompts) in one batch and folder: above the per-user defaults on purpose.
    settings |= {"MAX_RECORDS_PER_BATCH": "100000", "MAX_DOCUMENTS_PER_FOLDER": "100000"}
    app = make_app(root, storage, **settings) if source is None else make_app_of(source, root, storage, settings)
    if variant == "naive":  # the overlay links the repo's function_app.py: put the naive app in its place
        (app.app_dir / "function_app.py").unlink()
        (app.app_dir / "function_app.py").write_text(NAIVE_APP)
    return app.start()


def upload(app: RunningApp, documents: int) -> None:
    def one(index: int) -> None:
        content = base64.b64encode(contract_text(index).encode()).decode()
        body = {"folder": FOLDER, "filename": filename(index), "content_base64": content}
        with app.client(USER) as client:
            reply = client.post("/api/documents", json=body)
            if reply.status_code != 201:
                raise RuntimeError(f"upload {index}: {reply.status_code} {reply.text}")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, range(documents)))


def submit(app: RunningApp, url: str, timeout: float) -> tuple[str, float, bool]:
    """POST a batch action and poll its job; (job id, seconds from submit to done, finished)."""
    with app.client(USER) as client:
        started = time.perf_counter()
        reply = client.post(url)
        if reply.status_code != 202:
            raise RuntimeError(f"{url}: {reply.status_code} {reply.text}")
        job = reply.json()
        try:
            watch = wait_for_job(client, job["statusQueryGetUri"], timeout=timeout, interval=0.25)
        except JobTimeout:
            return job["job_id"], time.perf_counter() - started, False
        seconds = time.perf_counter() - started
    if watch.final["status"] != "completed":
        raise RuntimeError(f"{url}: job ended {watch.final['status']}: {watch.final}\n{app.output()[-3000:]}")
    return job["job_id"], seconds, True


def episodes_of(trace: Path, job_id: str) -> list[dict[str, Any]]:
    """The trace lines of the job's instances: the job itself and its sub-orchestrations (`<job id>:...`)."""
    lines = (json.loads(line) for line in trace.read_text().splitlines() if line.strip())
    return [e for e in lines if e["instance"] == job_id or e["instance"].startswith(f"{job_id}:")]


def histories(durable_db: Path, job_id: str) -> list[tuple[str, int, int]]:
    """(instance, events, bytes) of every instance of the job."""
    with contextlib.closing(sqlite3.connect(f"file:{durable_db}?mode=ro", uri=True)) as db:
        rows = db.execute(
            "SELECT instance_id, COUNT(*), SUM(LENGTH(CAST(event AS BLOB))) FROM history"
            " WHERE instance_id = ? OR instance_id LIKE ? GROUP BY instance_id",
            (job_id, f"{job_id}:%"),
        ).fetchall()
    return [(str(r[0]), int(r[1]), int(r[2])) for r in rows]


def process_cpu_s(app: RunningApp) -> float:
    """CPU seconds (user + system, all threads) the devhost child has used so far, from /proc (Linux)."""
    assert app.process is not None and app.process.process is not None
    stat = Path(f"/proc/{app.process.process.pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()  # after "pid (name)": state is field 3, utime 14, stime 15
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    root: Path, variant: str, storage: str, records: int, timeout: float, source: Path | None = None
) -> RunFigures:
    documents = -(-records // len(PROMPTS))
    trace = root / "episodes.jsonl"
    app = start_app(root, variant, storage, trace, source)
    try:
        say(f"{variant} {records:,}: uploading {documents:,} documents")
        upload(app, documents)
        with app.client(USER) as client:
            config = {"name": f"Bench {records}", "folders": [FOLDER], "prompts": PROMPTS}
            reply = client.post("/api/batches", json=config)
            if reply.status_code != 201:
                raise RuntimeError(f"create batch: {reply.status_code} {reply.text}")
            batch_id = reply.json()["batch_id"]
        _, staging_s, _ = submit(app, f"/api/batches/{batch_id}/stage", 3600)
        say(f"{variant} {records:,}: staged in {staging_s:.1f} s; running")
        cpu_before = process_cpu_s(app)
        job_id, run_s, finished = submit(app, f"/api/batches/{batch_id}/run", timeout)
        run_cpu_s = process_cpu_s(app) - cpu_before
        with app.client(USER) as client:
            counts = get_json(client, f"/api/batches/{batch_id}")["counts"]
        time.sleep(0.5)  # let the last episode commit and write its trace line
        episodes = episodes_of(trace, job_id)
        found = histories(app.durable_db, job_id)
    finally:
        app.stop()
    own = next((h[1], h[2]) for h in found if h[0] == job_id)
    chunks = [(h[1], h[2]) for h in found if h[0] != job_id]
    say(f"{variant} {records:,}: run {'done' if finished else 'stopped at the cap'} after {run_s:.1f} s")
    return RunFigures(
        variant=variant,
        records=documents * len(PROMPTS),
        staging_s=staging_s,
        run_s=run_s,
        finished=finished,
        done=int(counts.get("S", 0)) + int(counts.get("F", 0)),
        episodes=len(episodes),
        cpu_ms=sum(e["sdk_cpu_ms"] for e in episodes),
        wall_ms=sum(e["sdk_ms"] for e in episodes),
        host_ms=sum(e["episode_ms"] for e in episodes),
        p95_cpu_ms=p95([e["sdk_cpu_ms"] for e in episodes]),
        p95_wall_ms=p95([e["sdk_ms"] for e in episodes]),
        job_cpu_ms=sum(e["sdk_cpu_ms"] for e in episodes if e["instance"] == job_id),
        peak_history=max(((e["history_events"], e["context_bytes"]) for e in episodes), default=(0, 0)),
        peak_job_history=max(
            ((e["history_events"], e["context_bytes"]) for e in episodes if e["instance"] == job_id), default=(0, 0)
        ),
        generations=sum(1 for e in episodes if e["instance"] == job_id and e["history_events"] == 2),
        instances=len(found),
        job_history=own,
        largest_chunk=max(chunks, key=lambda h: h[1], default=(0, 0)),
        history_bytes=sum(h[2] for h in found),
        run_cpu_s=run_cpu_s,
    )


def say(text: str) -> None:
    print(f"  .. {text}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000", help="records per batch, comma-separated (x10 prompts)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed for our run of each size")
    parser.add_argument("--naive-timeout", type=float, default=900, help="cap on the naive run of each size (s)")
    parser.add_argument("--skip-naive", action="store_true", help="run ours only")
    parser.add_argument("--baseline-dir", type=Path, help="another tree (app and devhost) to measure as 'today'")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    runs: list[RunFigures] = []
    with tempfile.TemporaryDirectory(prefix="batch-bench-") as tmp, start_azurite() as storage:
        for size in sizes:  # ours then today at each size: the two see the machine as alike as one run allows
            runs.append(measure(Path(tmp) / f"ours-{size}", "ours", storage, size, args.timeout))
            if args.baseline_dir is not None:
                today = Path(tmp) / f"today-{size}"
                runs.append(measure(today, "today", storage, size, args.timeout, args.baseline_dir.resolve()))
        if not args.skip_naive:
            for size in sizes:
                runs.append(measure(Path(tmp) / f"naive-{size}", "naive", storage, size, args.naive_timeout))
    report(runs)


if __name__ == "__main__":
    main()
