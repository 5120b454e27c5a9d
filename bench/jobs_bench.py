"""A 10-contract comparison job end to end through devhost, against a naive in-process baseline.

    python -m bench.jobs_bench [--contracts 10] [--latency 0.5] [--runs 2] [--baseline-dir DIR]

Two providers: `offline` (the deterministic analyzer) and `openai` against the OpenAI-compatible test server
with a fixed latency per model call. For each, the real app (function_app.py) runs under devhost in a child
process; a job is submitted over HTTP and polled through statusQueryGetUri until it is done. Reported per job:
wall time (submit to 200), model calls, and the bytes of orchestration history devhost stored for the instance
(history events, plus the instance's input, output and custom status), read from devhost's SQLite state.

Baseline, in the same run: the same comparisons made by `shared.comparison.inline.run_comparison_inline` in this
process, sequentially, over the contracts the app stored (same SQLite data folder), with the same provider.

With --baseline-dir DIR (another working tree, e.g. the branch point exported with `git archive`), each provider's
scenario also runs that tree's app under that tree's devhost ("today"), right after ours, and the report adds
today / ours.

Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.analysis.factory import get_analyzer, reset_analyzer
from shared.comparison.inline import run_comparison_inline
from shared.comparison.request import ComparisonJobRequest
from shared.settings import Settings, get_settings, use_settings
from shared.storage.factory import get_repositories, reset_repositories
from tests.e2e.app import RunningApp, make_app, make_app_of, openai_settings
from tests.e2e.helpers import NDA_STANDARD, NDA_VARIANT_A, NDA_VARIANT_B, upload_sample, wait_for_job
from tests.support.azurite import start_azurite
from tests.support.openai_server import OpenAITestServer

USER = "bench-user"


@dataclass
class JobFigures:
    seconds: float
    llm_calls: int
    history: History


@dataclass
class BaselineFigures:
    seconds: float
    llm_calls: int


EVENT_NAMES = {
    0: "ExecutionStarted",
    1: "ExecutionCompleted",
    4: "TaskScheduled",
    5: "TaskCompleted",
    6: "TaskFailed",
    10: "TimerCreated",
    11: "TimerFired",
    12: "OrchestratorStarted",
    13: "OrchestratorCompleted",
    15: "EventRaised",
}


@dataclass
class History:
    events: int
    bytes: int
    instance_bytes: int  # input + output + custom status of the instance row
    by_type: dict[str, tuple[int, int]]  # event type -> (events, bytes)

    @property
    def activity_calls(self) -> int:
        return self.by_type.get("TaskScheduled", (0, 0))[0]


def history_size(durable_db: Path, instance_id: str) -> History:
    """Events and bytes of one instance's history (by event type), and the bytes of its instance row."""
    with contextlib.closing(sqlite3.connect(f"file:{durable_db}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT event FROM history WHERE instance_id = ?", (instance_id,)).fetchall()
        row = db.execute(
            "SELECT COALESCE(LENGTH(CAST(input AS BLOB)), 0) + COALESCE(LENGTH(CAST(output AS BLOB)), 0)"
            " + COALESCE(LENGTH(CAST(custom_status AS BLOB)), 0) FROM instances WHERE instance_id = ?",
            (instance_id,),
        ).fetchone()
    by_type: dict[str, tuple[int, int]] = {}
    for (text,) in rows:
        size = len(text.encode() if isinstance(text, str) else text)
        kind = EVENT_NAMES.get(json.loads(text)["EventType"], "other")
        events, total = by_type.get(kind, (0, 0))
        by_type[kind] = (events + 1, total + size)
    size = sum(total for _, total in by_type.values())
    return History(len(rows), size, int(row[0]) if row else 0, by_type)


def upload_contracts(app: RunningApp, count: int) -> tuple[str, list[str]]:
    with app.client(USER) as client:
        standard = upload_sample(client, NDA_STANDARD)
        compared = [
            upload_sample(client, NDA_VARIANT_A if i % 2 else NDA_VARIANT_B, title=f"NDA counterparty {i}")
            for i in range(count)
        ]
    return standard, compared


def run_job(
    app: RunningApp, standard: str, compared: list[str], server: OpenAITestServer | None, latency: float
) -> JobFigures:
    if server is not None:
        server.reset()
        for _ in compared:
            server.slow(latency)
    body = {"request": {"standardContractId": standard, "compareContractIds": compared}}
    with app.client(USER) as client:
        started = time.perf_counter()
        reply = client.post("/api/jobs/comparison", json=body)
        reply.raise_for_status()
        submitted = reply.json()
        watch = wait_for_job(client, submitted["statusQueryGetUri"], timeout=600, interval=0.05)
        seconds = time.perf_counter() - started
        if watch.final["status"] != "completed":
            raise RuntimeError(f"job ended {watch.final['status']}: {watch.final}")
        result = client.get(f"/api/results/{watch.final['output']['result_id']}").json()["result"]
    calls = len(server.requests) if server is not None else int(result["usage"]["llm_calls"])
    time.sleep(0.5)  # let the orchestrator's final episode commit before reading its history
    return JobFigures(seconds, calls, history_size(app.durable_db, submitted["job_id"]))


def run_baseline(
    app: RunningApp,
    standard: str,
    compared: list[str],
    settings: Settings,
    server: OpenAITestServer | None,
    latency: float,
) -> BaselineFigures:
    """The naive way: one process, the same comparisons one after another, no durability, no progress."""
    use_settings(settings.model_copy(update={"data_dir": app.data_dir}))
    reset_repositories()
    reset_analyzer()
    try:
        if server is not None:
            server.reset()
            for _ in compared:
                server.slow(latency)
        repos, analyzer = get_repositories(), get_analyzer()
        started = time.perf_counter()
        calls = 0
        for contract_id in compared:
            request = ComparisonJobRequest(standardContractId=standard, compareContractIds=[contract_id])
            result = run_comparison_inline(repos, analyzer, USER, request, get_settings().llm_max_output_tokens)
            calls += result.usage.llm_calls
        seconds = time.perf_counter() - started
        if server is not None:
            calls = len(server.requests)
        return BaselineFigures(seconds, calls)
    finally:
        use_settings(None)
        reset_repositories()
        reset_analyzer()


@contextlib.contextmanager
def storage() -> Iterator[str]:
    """Azurite when node_modules has it (queue listener and job-events work as in Azure), else none."""
    try:
        with start_azurite() as connection:
            yield connection
    except BaseException as exc:  # start_azurite skips (pytest) when Azurite is not installed
        if type(exc).__name__ != "Skipped":
            raise
        print("(Azurite not installed: running without AzureWebJobsStorage)")
        yield ""


def scenario(
    name: str,
    root: Path,
    connection: str,
    contracts: int,
    runs: int,
    latency: float,
    server: OpenAITestServer | None,
    source: Path | None = None,
) -> dict[str, Any]:
    settings_env = openai_settings(server) if server is not None else {}
    if source is None:
        app = make_app(root / name, connection, **settings_env)
    else:
        app = make_app_of(source, root / f"{name}-today", connection, settings_env)
    started = time.perf_counter()
    app.start()
    startup = time.perf_counter() - started
    try:
        standard, compared = upload_contracts(app, contracts)
        jobs = [run_job(app, standard, compared, server, latency) for _ in range(runs)]
        in_process = (
            Settings(
                llm_provider="openai",
                openai_base_url=server.base_url,
                openai_api_key="test",
                openai_model_primary="test-model-primary",
                openai_model_secondary="test-model-secondary",
            )
            if server is not None
            else Settings()
        )
        baselines = [run_baseline(app, standard, compared, in_process, server, latency) for _ in range(runs)]
    finally:
        app.stop()
    return {"name": name, "startup": startup, "jobs": jobs, "baselines": baselines}


def _row(label: str, value: str, note: str = "") -> None:
    print(f"  {label:<38}{value:>10}   {note}".rstrip())


def report(figures: dict[str, Any], contracts: int, latency: float | None) -> None:
    jobs: list[JobFigures] = figures["jobs"]
    baselines: list[BaselineFigures] = figures["baselines"]
    job_s = statistics.median(j.seconds for j in jobs)
    base_s = statistics.median(b.seconds for b in baselines)
    last = jobs[-1]
    title = figures["name"] + (f" (test server, {latency * 1000:.0f} ms per call)" if latency is not None else "")
    print(f"\n== {title}: 1 standard vs {contracts} contracts, {len(jobs)} run(s), medians ==")
    _row("devhost start-up", f"{figures['startup']:.2f} s")
    _row("job via devhost (submit -> 200)", f"{job_s:.2f} s", "runs: " + ", ".join(f"{j.seconds:.2f}" for j in jobs))
    _row("baseline: inline, sequential", f"{base_s:.2f} s", "runs: " + ", ".join(f"{b.seconds:.2f}" for b in baselines))
    _row("speed-up (baseline / job)", f"{base_s / job_s:.2f} x")
    _row("model calls per job", str(last.llm_calls), f"baseline: {baselines[-1].llm_calls}")
    history = last.history
    _row("activity calls per job", str(history.activity_calls), f"N + {history.activity_calls - contracts}")
    _row("history events per job", str(history.events))
    _row("history bytes per job", str(history.bytes), f"{history.bytes / contracts:.0f} per contract")
    for kind, (events, size) in sorted(history.by_type.items(), key=lambda item: -item[1][1]):
        _row(f"  {kind}", str(size), f"bytes in {events} events")
    _row("instance input+output+custom status", str(history.instance_bytes), "bytes")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contracts", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.5, help="seconds per model call on the test server")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--baseline-dir", type=Path, help="another tree (app and devhost) to measure as 'today'")
    args = parser.parse_args(argv)
    server = OpenAITestServer().start()
    try:
        with tempfile.TemporaryDirectory(prefix="jobs-bench-") as tmp, storage() as connection:
            root = Path(tmp)
            for name, provider, latency in (("offline", None, None), ("openai", server, args.latency)):
                ours = scenario(name, root, connection, args.contracts, args.runs, args.latency, provider)
                report(ours, args.contracts, latency)
                if args.baseline_dir is not None:
                    today = scenario(
                        name, root, connection, args.contracts, args.runs, args.latency, provider, args.baseline_dir
                    )
                    today["name"] = f"{name}, today ({args.baseline_dir})"
                    report(today, args.contracts, latency)
                    compare(ours, today)
    finally:
        server.stop()


def compare(ours: dict[str, Any], today: dict[str, Any]) -> None:
    mine = statistics.median(j.seconds for j in ours["jobs"])
    theirs = statistics.median(j.seconds for j in today["jobs"])
    history = f"history {today['jobs'][-1].history.bytes} / {ours['jobs'][-1].history.bytes} bytes"
    print(f"\n  today / ours: job {theirs:.2f} s / {mine:.2f} s = {theirs / mine:.2f}x; {history}")


if __name__ == "__main__":
    main()
