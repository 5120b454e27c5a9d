"""Quota-aware LLM scheduling (issues 11 and 19) against naive schedulers, on one deployment with a tight quota.

    python -m bench.quota_bench [--deployment 30k,96k,400k] [--baseline REV]
                                [--schedulers ours,today,all-in-flight,sequential] [--quick]
    python -m bench.quota_bench [--records 500] [--tpm 400000] [--latency 0.5] [--urgent-after 10] ...
    python -m bench.quota_bench --scenario two-users [--records 500] [--contracts 3] [--schedulers fair-share,...]

The last is the fair share between users (issue 16): bench/quota_bench_fair.py. What follows is the first (the
scenario `urgent`, the default).

Deployments (--deployment, one or more, comma-separated; without it, one deployment of the flags' figures):
  400k  400,000 TPM / 2,400 RPM (Azure's 6 RPM per 1,000 TPM), 0.5 s per call: a batch of 500 records (50 sample
        contracts x 10 prompts, the batch's default max_tokens 800: ~2,400-2,900 tokens charged per call) and, 10 s
        in, a 10-contract comparison (issue 11). --quick: 100 records, the comparison 5 s in.
  96k   96,000 TPM / 240 RPM (16,000 tokens and 40 requests per 10 s window; the RPM issue 19 measured on), 0.4 s
        per call: issue 19's small calls, a batch of 90 records (30 short documents, the opening ~1,500 characters
        of a sample contract, x 3 prompts, max_tokens 200: ~800 tokens charged per call) and, 5 s in, a 3-contract
        comparison (~8,100 tokens a call).
  30k   30,000 TPM / 180 RPM (Azure's ratio: 5,000 tokens and 30 requests per 10 s window), the same workload as
        96k. A comparison call is larger than the window here: the server takes it alone in an empty window.

Workload, the same for every scheduler: the document batch (each document with its own reference line, so the
answer cache reuses nothing) is staged, then run at priority 3; a few seconds after the run was submitted, a
comparison job of the sample NDA standard against variants starts at priority 9 (an urgent job). Both go through
the real stack: the app (function_app.py, unchanged) under devhost in a child process with its own SQLite store
(DATA_DIR) and Durable state, LLM_PROVIDER=openai, the real openai SDK over HTTP to a test server that enforces the
deployment's quota as Azure OpenAI does (bench/quota_bench_figures.py: sliding 10 s windows of tokens and
requests, charged at arrival on prompt + max_tokens, 429 with retry-after-ms, rate-limit headers on Azure's scales,
a fixed time per accepted request). Before the workload, the same comparison (other contracts of the same size)
runs alone on the idle deployment: the urgent job's idle time.

Schedulers (each in a fresh app, store and test server):
  ours           LLM_SCHEDULER=on, the quota configured (LLM_TOKENS_PER_MINUTE_PRIMARY / _REQUESTS_): every call
                 reserves prompt + max_tokens in the store's budget first; waits are durable timers, by priority.
  today          the same, with the app as committed at --baseline REV (exported with `git archive`, run by the same
                 devhost command against the same test server): the scheduler before the changes measured. Only
                 with --baseline.
  all-in-flight  LLM_SCHEDULER=off: every call goes out as soon as an activity slot takes it (host.json: 16
                 activities at once; the batch keeps 32 records in flight, 8 to an activity call, a comparison up
                 to 16 calls); a 429 is retried
                 in the worker after the server's retry-after-ms (LLM_MAX_RETRIES=4, the app's default), then on
                 durable timers (orchestrators/retry_policies.py LLM_CALL) before the record fails.
  sequential     LLM_SCHEDULER=off with one activity at a time (maxConcurrentActivityFunctions=1, as an app
                 setting): one model call at a time for both jobs, in the host's order; 429s as above.

Reported per scheduler (bench/quota_bench_figures.py defines them): quota utilisation over the busy period (of the
quota-bound ideal: the binding limit, tokens or requests), share of requests answered 429, failed records and jobs,
wall time, the urgent job's time under load against its time alone on the idle deployment, and where the busy
period's capacity went (how full the server's window was, the longest stretch with nothing sent). With several
deployments, a summary of all of them follows. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from bench import quota_bench_fair
from bench.quota_bench_figures import BenchQuotaServer, RunFigures, report, summary, traffic
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
from tests.e2e.app import RunningApp, app_environment, make_app, openai_settings, overlay_app_dir
from tests.e2e.helpers import REPO_ROOT
from tests.support.azurite import start_azurite
from tests.support.quota_server import WINDOW_S

SCHEDULERS: dict[str, dict[str, str]] = {
    "ours": {"LLM_SCHEDULER": "on"},
    "today": {"LLM_SCHEDULER": "on"},  # the --baseline app
    "all-in-flight": {"LLM_SCHEDULER": "off"},
    "sequential": {
        "LLM_SCHEDULER": "off",
        "AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions": "1",
    },
}
BASELINE = "today"
RPM_PER_1000_TPM = 6  # what Azure OpenAI grants


@dataclass(frozen=True)
class Deployment:
    """A deployment's quota and the workload run on it."""

    name: str
    tpm: int
    rpm: int
    latency: float  # seconds per accepted request
    documents: int
    prompts: int  # per document: records = documents x prompts
    max_tokens: int | None  # the batch's; None: the default (800)
    short: bool  # documents are a sample contract's opening (bench/quota_bench_workload.py SHORT_CHARACTERS)
    contracts: int  # the urgent comparison's
    urgent_after: float  # seconds from the batch run to the urgent comparison

    @property
    def records(self) -> int:
        return self.documents * self.prompts


def small_calls(name: str, tpm: int, rpm: int) -> Deployment:
    """Issue 19's workload: 30 short documents x 3 prompts at max_tokens 200, a 3-contract comparison 5 s in."""
    return Deployment(name, tpm, rpm, 0.4, 30, 3, 200, True, 3, 5.0)


DEPLOYMENTS = {
    "30k": small_calls("30k", 30_000, 180),
    "96k": small_calls("96k", 96_000, 240),
    "400k": Deployment("400k", 400_000, 2_400, 0.5, 50, 10, None, False, 10, 10.0),
}


def say(text: str) -> None:
    print(f"  .. {text}", flush=True)


def start_app(
    root: Path, storage: str, server: BenchQuotaServer, scheduler: dict[str, str], source: Path | None = None
) -> RunningApp:
    settings = openai_settings(
        server,
        LLM_MAX_RETRIES="4",  # the app's default (the e2e settings lower it to 3)
        LLM_TOKENS_PER_MINUTE_PRIMARY=str(server.tokens_per_minute),
        LLM_REQUESTS_PER_MINUTE_PRIMARY=str(server.requests_per_minute),
        **scheduler,
    )
    if source is None:
        return make_app(root, storage, **settings).start()
    root.mkdir(parents=True, exist_ok=True)  # as make_app, with the app's files from `source`
    data_dir = root / "data"
    app_dir = overlay_app_dir(root / "app", source)
    return RunningApp(app_dir, root / "state", data_dir, app_environment(data_dir, storage, **settings)).start()


def export_baseline(revision: str, into: Path) -> Path:
    """The app as committed at `revision` (`git archive`: no work tree, nothing of this checkout's git state
    changed), for the `today` scheduler."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", revision], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


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


def measure(root: Path, storage: str, scheduler: str, deployment: Deployment, args: argparse.Namespace) -> RunFigures:
    server = BenchQuotaServer(deployment.tpm, deployment.rpm, deployment.latency)
    server.start()
    source = args.baseline_source if scheduler == BASELINE else None
    app = start_app(root, storage, server, SCHEDULERS[scheduler], source)
    name = f"{deployment.name} {scheduler}"
    try:
        say(f"{name}: uploading {deployment.documents} documents and {2 * deployment.contracts + 2} contracts, staging")
        upload_documents(app, deployment.documents, short=deployment.short)
        batch_id = staged_batch(
            app, deployment.documents, deployment.prompts, args.timeout, max_tokens=deployment.max_tokens
        )
        idle_set = upload_comparison_set(app, "idle", deployment.contracts)
        urgent_set = upload_comparison_set(app, "urgent", deployment.contracts)

        say(f"{name}: the urgent comparison alone on the idle deployment")
        started = time.monotonic()
        idle = watch(app, {"idle": start_comparison(app, *idle_set, URGENT_PRIORITY)}, started, args.timeout)["idle"]
        if idle.status != "completed":
            raise RuntimeError(f"{name}: the idle comparison ended {idle.status}: {idle.body}")
        urgent_idle_s = idle.at - started
        quiet(server)

        say(f"{name}: batch of {deployment.records} records at priority {BATCH_PRIORITY}; urgent job in")
        mark = len(server.arrivals)
        started = time.monotonic()
        jobs = {"batch": start_run(app, batch_id, BATCH_PRIORITY)}
        time.sleep(deployment.urgent_after)
        urgent_started = time.monotonic()
        jobs["urgent"] = start_comparison(app, *urgent_set, URGENT_PRIORITY)
        done = watch(app, jobs, started, args.timeout)
        counts = batch_counts(app, batch_id)
    finally:
        app.stop()
        server.stop()
        if args.arrivals is not None:
            (args.arrivals / f"{deployment.name}-{scheduler}.devhost.log").write_text(app.output())
    if args.arrivals is not None:
        write_arrivals(args.arrivals / f"{deployment.name}-{scheduler}.jsonl", server, mark, started)
    batch, urgent = done["batch"], done["urgent"]
    figures = RunFigures(
        scheduler=scheduler,
        records=deployment.records,
        failed_records=counts.get("F", 0),
        unfinished_records=counts.get("QUEUED", 0),
        batch_status=batch.status,
        urgent_status=urgent.status,
        wall_s=max(batch.at, urgent.at) - started,
        batch_s=batch.at - started,
        urgent_s=urgent.at - urgent_started,
        urgent_idle_s=urgent_idle_s,
        traffic=traffic(server, mark, urgent_started),
        deployment=deployment.name,
    )
    say(
        f"{name}: done in {figures.wall_s:.1f} s; utilisation {figures.traffic.utilisation * 100:.1f} %, "
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
    parser.add_argument("--deployment", help=f"urgent: one or more of {', '.join(DEPLOYMENTS)}, comma-separated")
    parser.add_argument("--baseline", help="urgent: a git revision whose app runs as the `today` scheduler")
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
    parser.add_argument("--quick", action="store_true", help="400k: 100 records, urgent job 5 s in")
    args = parser.parse_args(argv)
    if args.arrivals is not None:
        args.arrivals.mkdir(parents=True, exist_ok=True)
    schedulers = SCENARIOS[args.scenario]
    if args.contracts is None:
        args.contracts = 3 if args.scenario == "two-users" else 10
    # `today` is another revision's app in the urgent scenario; in two-users it is this app with the fair share off.
    needs_baseline = args.scenario == "urgent"
    default = [s for s in schedulers if s != BASELINE or args.baseline or not needs_baseline]
    chosen = [s.strip() for s in (args.schedulers or ",".join(default)).split(",") if s.strip()]
    unknown = [s for s in chosen if s not in schedulers]
    if unknown:
        parser.error(f"unknown scheduler(s) {', '.join(unknown)}; choose from {', '.join(schedulers)}")
    if needs_baseline and BASELINE in chosen and not args.baseline:
        parser.error(f"the `{BASELINE}` scheduler runs the app of --baseline REV")
    if args.scenario == "two-users":
        if args.quick:
            args.records, args.urgent_after = 100, 5.0
        two_users(args, chosen, args.tpm * RPM_PER_1000_TPM // 1000)
        return
    deployments = [custom(args)] if args.deployment is None else presets(parser, args)
    runs: dict[str, list[RunFigures]] = {}
    with tempfile.TemporaryDirectory(prefix="quota-bench-") as tmp, start_azurite() as storage:
        args.baseline_source = export_baseline(args.baseline, Path(tmp) / "baseline") if BASELINE in chosen else None
        for deployment in deployments:
            setup = describe(deployment)
            print(f"quota bench: {setup}", flush=True)
            mine = runs.setdefault(deployment.name, [])
            for scheduler in chosen:
                mine.append(measure(Path(tmp) / deployment.name / scheduler, storage, scheduler, deployment, args))
            report(mine, setup)
    if len(deployments) > 1:
        summary(runs)


def custom(args: argparse.Namespace) -> Deployment:
    """One deployment of the flags' figures (the 400k preset's workload by default)."""
    if args.quick:
        args.records, args.urgent_after = 100, 5.0
    prompts = min(len(PROMPTS), args.records)
    rpm = args.tpm * RPM_PER_1000_TPM // 1000
    return Deployment(
        f"{args.tpm // 1000}k", args.tpm, rpm, args.latency, math.ceil(args.records / prompts), prompts, None, False,
        args.contracts, args.urgent_after,
    )  # fmt: skip


def presets(parser: argparse.ArgumentParser, args: argparse.Namespace) -> list[Deployment]:
    names = [n.strip() for n in args.deployment.split(",") if n.strip()]
    unknown = [n for n in names if n not in DEPLOYMENTS]
    if unknown:
        parser.error(f"unknown deployment(s) {', '.join(unknown)}; choose from {', '.join(DEPLOYMENTS)}")
    chosen = [DEPLOYMENTS[n] for n in names]
    if args.quick:
        chosen = [replace(d, documents=10, urgent_after=5.0) if d.name == "400k" else d for d in chosen]
    return chosen


def describe(d: Deployment) -> str:
    tokens = "default max_tokens" if d.max_tokens is None else f"max_tokens {d.max_tokens}"
    documents = "short documents" if d.short else "documents"
    return (
        f"{d.name}: {d.records} records ({d.documents} {documents} x {d.prompts} prompts, {tokens}) at priority "
        f"{BATCH_PRIORITY} + a {d.contracts}-contract comparison at priority {URGENT_PRIORITY} {d.urgent_after:g} s "
        f"later; {d.tpm:,} TPM / {d.rpm:,} RPM, {d.latency:g} s per call"
    )


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
