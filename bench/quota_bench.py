"""Quota-aware LLM scheduling (issue 11) against naive schedulers, on one deployment with a tight quota.

    python -m bench.quota_bench [--records 500] [--tpm 400000] [--latency 0.5] [--urgent-after 10]
                                [--schedulers ours,all-in-flight,sequential] [--quick]
    python -m bench.quota_bench --scenario two-users [--records 500] [--contracts 3] [--schedulers fair-share,...]

The second is the fair share between users (issue 16): bench/quota_bench_fair.py. What follows is the first (the
scenario `urgent`, the default).

Workload, the same for every scheduler: a document batch of --records records (documents x 10 prompts; sample
contracts, each document with its own reference line so the answer cache reuses nothing) is staged, then run at
priority 3; --urgent-after seconds after the run was submitted, a comparison job of the sample NDA standard against
--contracts variants starts at priority 9 (an urgent job). Both go through the real stack: the app
(function_app.py, unchanged) under devhost in a child process with its own SQLite store (DATA_DIR) and Durable
state, LLM_PROVIDER=openai, the real openai SDK over HTTP to a test server that enforces the deployment's quota
as Azure OpenAI does (bench/quota_bench_figures.py: --tpm tokens per minute, RPM at Azure's 6 per 1,000 TPM,
sliding 10 s window, charged at arrival on prompt + max_tokens, 429 with retry-after-ms, rate-limit headers,
--latency seconds per accepted request). Before the workload, the same comparison (other contracts of the same
size) runs alone on the idle deployment: the urgent job's idle time.

Schedulers (each in a fresh app, store and test server):
  ours           LLM_SCHEDULER=on, the quota configured (LLM_TOKENS_PER_MINUTE_PRIMARY / _REQUESTS_): every call
                 reserves prompt + max_tokens in the store's budget first; waits are durable timers, by priority.
  all-in-flight  LLM_SCHEDULER=off: every call goes out as soon as an activity slot takes it (host.json: 8
                 activities at once; the batch keeps 32 record calls queued, the comparison 8); a 429 is retried
                 in the worker after the server's retry-after-ms (LLM_MAX_RETRIES=4, the app's default), then on
                 durable timers (orchestrators/retry_policies.py LLM_CALL) before the record fails.
  sequential     LLM_SCHEDULER=off with one activity at a time (maxConcurrentActivityFunctions=1, as an app
                 setting): one model call at a time for both jobs, in the host's order; 429s as above.

Reported per scheduler (bench/quota_bench_figures.py defines them): quota utilisation over the busy period,
share of requests answered 429, failed records and jobs, wall time, and the urgent job's time under load against
its time alone on the idle deployment. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path

from bench import quota_bench_fair
from bench.quota_bench_figures import BenchQuotaServer, RunFigures, report, traffic
from bench.quota_bench_workload import (
    BATCH_PRIORITY,
    PROMPTS,
    URGENT_PRIORITY,
    batch_counts,
    staged_batch,
    start_comparison,
    start_run,
    upload_comparison_set,
    upload_documents,
    watch,
)
from tests.e2e.app import RunningApp, make_app, openai_settings
from tests.support.azurite import start_azurite
from tests.support.quota_server import WINDOW_S

SCHEDULERS: dict[str, dict[str, str]] = {
    "ours": {"LLM_SCHEDULER": "on"},
    "all-in-flight": {"LLM_SCHEDULER": "off"},
    "sequential": {
        "LLM_SCHEDULER": "off",
        "AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions": "1",
    },
}
RPM_PER_1000_TPM = 6  # what Azure OpenAI grants


def say(text: str) -> None:
    print(f"  .. {text}", flush=True)


def start_app(root: Path, storage: str, server: BenchQuotaServer, scheduler: dict[str, str]) -> RunningApp:
    settings = openai_settings(
        server,
        LLM_MAX_RETRIES="4",  # the app's default (the e2e settings lower it to 3)
        LLM_TOKENS_PER_MINUTE_PRIMARY=str(server.tokens_per_minute),
        LLM_REQUESTS_PER_MINUTE_PRIMARY=str(server.requests_per_minute),
        **scheduler,
    )
    return make_app(root, storage, **settings).start()


def quiet(server: BenchQuotaServer) -> None:
    """Wait until the deployment's window (and our budget's, a little longer) holds nothing."""
    last = server.arrivals[-1].at if server.arrivals else 0.0
    time.sleep(max(0.0, last + WINDOW_S + 1.0 - time.monotonic()))


def write_arrivals(path: Path, server: BenchQuotaServer, mark: int, started: float) -> None:
    """One JSON line per request of the workload: seconds since the batch run was submitted, tokens, accepted."""
    path.parent.mkdir(parents=True, exist_ok=True)
    epoch = time.time() - time.monotonic()
    lines = (
        json.dumps(
            {
                "t": round(a.at - started, 3),
                "epoch": round(a.at + epoch, 3),
                "tokens": a.tokens,
                "accepted": a.accepted,
                "schema": label,
            }
        )
        for a, label in server.since(mark)
    )
    path.write_text("".join(f"{line}\n" for line in lines))


def measure(root: Path, storage: str, scheduler: str, args: argparse.Namespace) -> RunFigures:
    prompts = min(len(PROMPTS), args.records)
    documents = math.ceil(args.records / prompts)
    rpm = args.tpm * RPM_PER_1000_TPM // 1000
    server = BenchQuotaServer(args.tpm, rpm, args.latency)
    server.start()
    app = start_app(root, storage, server, SCHEDULERS[scheduler])
    try:
        say(f"{scheduler}: uploading {documents} documents and {2 * args.contracts + 2} contracts, staging")
        upload_documents(app, documents)
        batch_id = staged_batch(app, documents, prompts, args.timeout)
        idle_set = upload_comparison_set(app, "idle", args.contracts)
        urgent_set = upload_comparison_set(app, "urgent", args.contracts)

        say(f"{scheduler}: the urgent comparison alone on the idle deployment")
        started = time.monotonic()
        idle = watch(app, {"idle": start_comparison(app, *idle_set, URGENT_PRIORITY)}, started, args.timeout)["idle"]
        if idle.status != "completed":
            raise RuntimeError(f"{scheduler}: the idle comparison ended {idle.status}: {idle.body}")
        urgent_idle_s = idle.at - started
        quiet(server)

        say(f"{scheduler}: batch of {documents * prompts} records at priority {BATCH_PRIORITY}; urgent job in")
        mark = len(server.arrivals)
        started = time.monotonic()
        jobs = {"batch": start_run(app, batch_id, BATCH_PRIORITY)}
        time.sleep(args.urgent_after)
        urgent_started = time.monotonic()
        jobs["urgent"] = start_comparison(app, *urgent_set, URGENT_PRIORITY)
        done = watch(app, jobs, started, args.timeout)
        counts = batch_counts(app, batch_id)
    finally:
        app.stop()
        server.stop()
        if args.arrivals is not None:
            (args.arrivals / f"{scheduler}.devhost.log").write_text(app.output())
    if args.arrivals is not None:
        write_arrivals(args.arrivals / f"{scheduler}.jsonl", server, mark, started)
    batch, urgent = done["batch"], done["urgent"]
    figures = RunFigures(
        scheduler=scheduler,
        records=documents * prompts,
        failed_records=counts.get("F", 0),
        unfinished_records=counts.get("QUEUED", 0),
        batch_status=batch.status,
        urgent_status=urgent.status,
        wall_s=max(batch.at, urgent.at) - started,
        batch_s=batch.at - started,
        urgent_s=urgent.at - urgent_started,
        urgent_idle_s=urgent_idle_s,
        traffic=traffic(server, mark),
    )
    say(
        f"{scheduler}: done in {figures.wall_s:.1f} s; utilisation {figures.traffic.utilisation * 100:.1f} %, "
        f"429s {figures.traffic.throttled_share * 100:.1f} %, urgent {figures.urgent_s:.1f} s (idle "
        f"{urgent_idle_s:.1f} s), failed records {figures.failed_records}"
    )
    return figures


def measure_two_users(
    root: Path, storage: str, scheduler: str, args: argparse.Namespace
) -> quota_bench_fair.FairFigures:
    rpm = args.tpm * RPM_PER_1000_TPM // 1000
    server = BenchQuotaServer(args.tpm, rpm, args.latency)
    server.start()
    app = start_app(root, storage, server, quota_bench_fair.SCHEDULERS[scheduler])
    mark, started = 0, time.monotonic()
    try:
        figures, mark, started = quota_bench_fair.measure(app, server, scheduler, args, quiet)
    finally:
        app.stop()
        server.stop()
        if args.arrivals is not None:
            (args.arrivals / f"two-users-{scheduler}.devhost.log").write_text(app.output())
    if args.arrivals is not None:
        write_arrivals(args.arrivals / f"two-users-{scheduler}.jsonl", server, mark, started)
    return figures


SCENARIOS = {"urgent": SCHEDULERS, "two-users": quota_bench_fair.SCHEDULERS}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", choices=SCENARIOS, default="urgent", help="urgent (issue 11) or two-users")
    parser.add_argument("--records", type=int, default=500, help="batch records (documents x 10 prompts)")
    parser.add_argument(
        "--contracts", type=int, help="contracts the comparison compares (urgent: 10, two-users: B's 3)"
    )
    parser.add_argument("--tpm", type=int, default=400_000, help="the deployment's tokens per minute")
    parser.add_argument("--latency", type=float, default=0.5, help="seconds the server takes per accepted request")
    parser.add_argument("--urgent-after", type=float, default=10.0, help="seconds from the batch run to the urgent job")
    parser.add_argument("--schedulers", help="which to run, comma-separated (default: all of the scenario's)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds allowed per job")
    parser.add_argument("--arrivals", type=Path, help="a folder: each run's requests (JSON lines) and devhost output")
    parser.add_argument("--quick", action="store_true", help="100 records, urgent job 5 s in (a few minutes in all)")
    args = parser.parse_args(argv)
    if args.arrivals is not None:
        args.arrivals.mkdir(parents=True, exist_ok=True)
    if args.quick:
        args.records, args.urgent_after = 100, 5.0
    schedulers = SCENARIOS[args.scenario]
    if args.contracts is None:
        args.contracts = 3 if args.scenario == "two-users" else 10
    chosen = [s.strip() for s in (args.schedulers or ",".join(schedulers)).split(",") if s.strip()]
    unknown = [s for s in chosen if s not in schedulers]
    if unknown:
        parser.error(f"unknown scheduler(s) {', '.join(unknown)}; choose from {', '.join(schedulers)}")
    rpm = args.tpm * RPM_PER_1000_TPM // 1000
    if args.scenario == "two-users":
        two_users(args, chosen, rpm)
        return
    setup = (
        f"{args.records} records at priority {BATCH_PRIORITY} + a {args.contracts}-contract comparison at priority "
        f"{URGENT_PRIORITY} {args.urgent_after:g} s later; {args.tpm:,} TPM / {rpm:,} RPM, {args.latency:g} s per call"
    )
    print(f"quota bench: {setup}", flush=True)
    runs: list[RunFigures] = []
    with tempfile.TemporaryDirectory(prefix="quota-bench-") as tmp, start_azurite() as storage:
        for scheduler in chosen:
            runs.append(measure(Path(tmp) / scheduler, storage, scheduler, args))
    report(runs, setup)


def two_users(args: argparse.Namespace, chosen: list[str], rpm: int) -> None:
    setup = (
        f"user A: {args.records} records at priority {quota_bench_fair.FLOOD_PRIORITY}; user B: a "
        f"{args.contracts}-contract comparison at priority {quota_bench_fair.SMALL_PRIORITY} {args.urgent_after:g} s "
        f"later; {args.tpm:,} TPM / {rpm:,} RPM, {args.latency:g} s per call"
    )
    print(f"quota bench, two users: {setup}", flush=True)
    runs: list[quota_bench_fair.FairFigures] = []
    with tempfile.TemporaryDirectory(prefix="quota-bench-") as tmp, start_azurite() as storage:
        for scheduler in chosen:
            runs.append(measure_two_users(Path(tmp) / scheduler, storage, scheduler, args))
    quota_bench_fair.report(runs, setup)


if __name__ == "__main__":
    main()
