"""The two-user scenario of bench/quota_bench.py (issue 16, fair share between users):

    python -m bench.quota_bench --scenario two-users [--records 500] [--contracts 3] [--tpm 400000]
                                [--latency 0.5] [--urgent-after 10]
                                [--schedulers fair-share,today,comparisons-x4,b-first]

User A floods the deployment with a document batch of --records records at priority 10; --urgent-after seconds
after the run was submitted, user B submits a comparison of the sample NDA standard against --contracts variants at
priority 1. Before that, in the same app, B's comparison (other contracts of the same size) runs alone on the idle
deployment: B's idle time. The same app, devhost, test server and figures as the single-user scenario
(bench/quota_bench.py, bench/quota_bench_figures.py), each scheduler in a fresh app:
  fair-share      LLM_FAIR_SHARE=on (the default): the quota is shared between the users who have calls waiting.
  today           LLM_FAIR_SHARE=off: one queue for every user by priority and aging, the scheduler before issue 16.
  comparisons-x4  the fair share with the comparison job type weighted 4 (LLM_FAIR_SHARE_JOB_TYPE_WEIGHTS): what
                  an operator who favours interactive work gets; B's 8,000-token calls then weigh about as A's
                  2,400-token ones.
  b-first         the fair share with B weighted 100 (LLM_FAIR_SHARE_WEIGHTS): B's calls go before any of A's, about
                  what strict priority for B would do. Not a fair share: the floor of B's time for any scheduler
                  that keeps the quota in use (B waits for room in a window A keeps full), to read the others by.
The baseline is a setting of the same build rather than the merge-base's code in another worktree: everything but
the order of the queue is the same code, so the difference is the fair share alone; and the setting stays as an
operator's escape hatch.

Reported per scheduler: B's time under A's flood against B alone on the idle deployment, when B's calls reached
the server, A's batch time, quota utilisation over the busy period, requests answered 429, failed records.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.quota_bench_figures import BenchQuotaServer, Traffic, traffic
from bench.quota_bench_workload import (
    PROMPTS,
    batch_counts,
    staged_batch,
    start_comparison,
    start_run,
    upload_comparison_set,
    upload_documents,
    watch,
)
from shared.comparison.outputs import SCHEMA_NAME as COMPARISON_SCHEMA
from tests.e2e.app import RunningApp

USER_A = "quota-bench-a"  # floods
USER_B = "quota-bench-b"  # a few calls
FLOOD_PRIORITY = 10
SMALL_PRIORITY = 1
SCHEDULERS: dict[str, dict[str, str]] = {
    "fair-share": {"LLM_SCHEDULER": "on", "LLM_FAIR_SHARE": "on"},
    "today": {"LLM_SCHEDULER": "on", "LLM_FAIR_SHARE": "off"},
    "comparisons-x4": {
        "LLM_SCHEDULER": "on",
        "LLM_FAIR_SHARE": "on",
        "LLM_FAIR_SHARE_JOB_TYPE_WEIGHTS": "comparison:4",
    },
    "b-first": {"LLM_SCHEDULER": "on", "LLM_FAIR_SHARE": "on", "LLM_FAIR_SHARE_WEIGHTS": f"{USER_B}:100"},
}


@dataclass
class FairFigures:
    scheduler: str
    records: int
    failed_records: int
    unfinished_records: int
    a_status: str
    b_status: str
    a_s: float  # A's batch run: submitted -> terminal
    b_s: float  # B's comparison under A's flood: submitted -> terminal
    b_idle_s: float  # B's comparison alone on the idle deployment
    b_first_call_s: float | None  # B submitted -> its first model call reached the server
    b_last_call_s: float | None  # ... its last one
    traffic: Traffic

    @property
    def b_ratio(self) -> float:
        return self.b_s / self.b_idle_s if self.b_idle_s else 0.0


def measure(
    app: RunningApp,
    server: BenchQuotaServer,
    scheduler: str,
    args: argparse.Namespace,
    quiet: Callable[[BenchQuotaServer], None],
) -> tuple[FairFigures, int, float]:
    """The scenario on a started app and server (`quiet` waits until the deployment's window is empty): its
    figures, and where the flood's requests begin (the server's arrivals index, time.monotonic())."""
    prompts = min(len(PROMPTS), args.records)
    documents = math.ceil(args.records / prompts)
    say(f"{scheduler}: user A uploads {documents} documents and stages them; user B {2 * args.contracts + 2} contracts")
    upload_documents(app, documents, USER_A)
    batch_id = staged_batch(app, documents, prompts, args.timeout, USER_A)
    idle_set = upload_comparison_set(app, "idle", args.contracts, USER_B)
    load_set = upload_comparison_set(app, "load", args.contracts, USER_B)

    say(f"{scheduler}: user B's comparison alone on the idle deployment")
    started = time.monotonic()
    idle = watch(
        app, {"b": start_comparison(app, *idle_set, SMALL_PRIORITY, USER_B)}, started, args.timeout, {"b": USER_B}
    )["b"]
    if idle.status != "completed":
        raise RuntimeError(f"{scheduler}: B's idle comparison ended {idle.status}: {idle.body}")
    b_idle_s = idle.at - started
    quiet(server)

    say(f"{scheduler}: A's batch of {documents * prompts} records at priority {FLOOD_PRIORITY}; B's comparison in")
    mark = len(server.arrivals)
    started = time.monotonic()
    jobs = {"a": start_run(app, batch_id, FLOOD_PRIORITY, USER_A)}
    time.sleep(args.urgent_after)
    b_started = time.monotonic()
    jobs["b"] = start_comparison(app, *load_set, SMALL_PRIORITY, USER_B)
    done = watch(app, jobs, started, args.timeout, {"a": USER_A, "b": USER_B})
    counts = batch_counts(app, batch_id, USER_A)
    b_calls = [a.at - b_started for a, label in server.since(mark) if label == COMPARISON_SCHEMA and a.accepted]
    figures = FairFigures(
        scheduler=scheduler,
        records=documents * prompts,
        failed_records=counts.get("F", 0),
        unfinished_records=counts.get("QUEUED", 0),
        a_status=done["a"].status,
        b_status=done["b"].status,
        a_s=done["a"].at - started,
        b_s=done["b"].at - b_started,
        b_idle_s=b_idle_s,
        b_first_call_s=min(b_calls) if b_calls else None,
        b_last_call_s=max(b_calls) if b_calls else None,
        traffic=traffic(server, mark, b_started),
    )
    say(
        f"{scheduler}: B {figures.b_s:.1f} s under A's flood (idle {b_idle_s:.1f} s, {figures.b_ratio:.2f} x); "
        f"A {figures.a_s:.1f} s; utilisation {figures.traffic.utilisation * 100:.1f} %, "
        f"429s {figures.traffic.throttled_share * 100:.1f} %, failed records {figures.failed_records}"
    )
    return figures, mark, started


def say(text: str) -> None:
    print(f"  .. {text}", flush=True)


def _pct(value: float) -> str:
    return f"{value * 100:.1f} %"


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def _not_completed(f: FairFigures) -> str:
    ended = {"A": f.a_status, "B": f.b_status}
    return ", ".join(f"{job} {status}" for job, status in ended.items() if status != "completed") or "0"


ROWS: list[tuple[str, Callable[[FairFigures], str]]] = [
    ("B alone, idle deployment", lambda f: _s(f.b_idle_s)),
    ("B under A's flood", lambda f: _s(f.b_s)),
    ("B: under the flood / idle", lambda f: f"{f.b_ratio:.2f} x"),
    ("  B's first call at the server", lambda f: _s(f.b_first_call_s)),
    ("  B's last call at the server", lambda f: _s(f.b_last_call_s)),
    ("A's batch run", lambda f: _s(f.a_s)),
    ("quota utilisation (busy period)", lambda f: _pct(f.traffic.utilisation)),
    ("requests answered 429", lambda f: f"{_pct(f.traffic.throttled_share)} ({f.traffic.throttled:,})"),
    ("  A: requests / 429", lambda f: f"{f.traffic.batch_requests:,} / {f.traffic.batch_throttled:,}"),
    ("  B: requests / 429", lambda f: f"{f.traffic.urgent_requests:,} / {f.traffic.urgent_throttled:,}"),
    ("most tokens in a 10 s window", lambda f: f"{f.traffic.max_window_tokens:,}"),
    ("failed records", lambda f: f"{f.failed_records} of {f.records}"),
    ("records never run", lambda f: f"{f.unfinished_records}"),
    ("jobs not completed (of 2)", _not_completed),
]


def report(runs: list[FairFigures], setup: str) -> None:
    print(f"\n== fair share between users: {setup} ==")
    print(f"  {'':<34}" + "".join(f"{f.scheduler:>20}" for f in runs))
    for label, value in ROWS:
        print(f"  {label:<34}" + "".join(f"{value(f):>20}" for f in runs))
    ours = next((f for f in runs if f.scheduler == "fair-share"), None)
    if ours is None:
        return
    print("\n  fair-share against the issue's targets:")
    lost = ours.failed_records + ours.unfinished_records
    checks = [
        ("B within 2x its idle time", f"{ours.b_ratio:.2f} x", ours.b_status == "completed" and ours.b_ratio <= 2),
        ("0 failed records", str(lost), lost == 0),
    ]
    today = next((f for f in runs if f.scheduler == "today"), None)
    if today is not None:
        drift = ours.traffic.utilisation - today.traffic.utilisation
        checks.append(("utilisation as today's (+-3 pts)", f"{drift * 100:+.1f} pts", abs(drift) <= 0.03))
    for label, figure, met in checks:
        print(f"    {label:<34}{figure:>12}   {'met' if met else 'MISSED'}")
    if today is not None and ours.b_idle_s:
        print("\n  B under A's flood against B alone on the fair-share app's idle deployment:")
        for g in runs:
            print(f"    {g.scheduler:<34}{g.b_s / ours.b_idle_s:>11.2f} x")
