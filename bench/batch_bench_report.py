"""The figures of one bench/batch_bench.py run (one variant, one size) and the printed report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class RunFigures:
    variant: str
    records: int
    staging_s: float
    run_s: float
    finished: bool  # False: the naive run hit its cap
    done: int  # records answered (S) or failed (F) when the run ended or was stopped
    episodes: int
    cpu_ms: float
    wall_ms: float
    host_ms: float
    p95_cpu_ms: float
    p95_wall_ms: float
    job_cpu_ms: float  # the part of cpu_ms spent replaying the job's own instance (not its chunks)
    instances: int
    job_history: tuple[int, int]  # (events, bytes) of the job's own instance
    largest_chunk: tuple[int, int]  # (events, bytes) of its largest sub-orchestration; (0, 0) when it has none
    history_bytes: int
    run_cpu_s: float  # CPU the devhost process used from submit to done: replay, activities, host, polls
    peak_history: tuple[int, int] = (0, 0)  # (events, context bytes) of the largest history any instance replayed
    peak_job_history: tuple[int, int] = (0, 0)  # the same, of the job's own instance (any generation)
    generations: int = 1  # executions of the job's instance (continue-as-new starts another)

    @property
    def largest(self) -> tuple[int, int]:
        return max(self.job_history, self.largest_chunk, key=lambda h: h[1])


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95 + 0.5) - 1)] if ordered else 0.0


def _history(events_bytes: tuple[int, int]) -> str:
    events, size = events_bytes
    return f"{events:,} ev, {size / 1024:,.0f} KB" if events else "-"


Row = tuple[str, Callable[[RunFigures], str]]
ROWS: list[Row] = [
    ("records done", lambda f: f"{f.done:,}" + ("" if f.finished else " (capped)")),
    ("staging wall", lambda f: f"{f.staging_s:.1f} s"),
    ("run wall (submit to done)", lambda f: f"{f.run_s:.1f} s" + ("" if f.finished else " (cap)")),
    ("devhost cpu during the run", lambda f: f"{f.run_cpu_s:.1f} s"),
    ("orchestrator episodes", lambda f: f"{f.episodes:,}"),
    ("replay cpu, sum", lambda f: f"{f.cpu_ms / 1000:.1f} s"),
    ("replay cpu per record", lambda f: f"{f.cpu_ms / max(f.done, 1):.2f} ms"),
    ("  of it the job instance", lambda f: f"{f.job_cpu_ms / 1000:.1f} s"),
    ("replay wall, sum", lambda f: f"{f.wall_ms / 1000:.1f} s"),
    ("host episode wall, sum", lambda f: f"{f.host_ms / 1000:.1f} s"),
    ("replay cpu p95 / episode", lambda f: f"{f.p95_cpu_ms:.1f} ms"),
    ("replay wall p95 / episode", lambda f: f"{f.p95_wall_ms:.1f} ms"),
    ("instances", lambda f: f"{f.instances:,}"),
    ("job instance history", lambda f: _history(f.job_history)),
    ("largest chunk history", lambda f: _history(f.largest_chunk)),
    ("all histories", lambda f: f"{f.history_bytes / 1024:,.0f} KB"),
    ("largest replayed, any inst.", lambda f: _history(f.peak_history)),
    ("largest replayed, job", lambda f: _history(f.peak_job_history)),
    ("job generations", lambda f: f"{f.generations:,}"),
]
Ratio = tuple[str, Callable[[RunFigures], float]]
RATIOS: list[Ratio] = [
    ("run wall", lambda f: f.run_s),
    ("devhost cpu", lambda f: f.run_cpu_s),
    ("replay cpu", lambda f: f.cpu_ms),
    ("replay cpu p95", lambda f: f.p95_cpu_ms),
    ("host episode time", lambda f: f.host_ms),
    ("largest history bytes", lambda f: f.largest[1]),
]


def _ratios(large: RunFigures, small: RunFigures) -> str:
    return ", ".join(f"{label} {value(large) / max(value(small), 1e-9):.1f}x" for label, value in RATIOS)


def report(runs: list[RunFigures]) -> None:
    width = 22
    print("\n== document batches on devhost, offline provider: ours vs naive / today ==")
    print(f"  {'':<28}" + "".join(f"{f.variant + ' ' + format(f.records, ','):>{width}}" for f in runs))
    for label, value in ROWS:
        print(f"  {label:<28}" + "".join(f"{value(f):>{width}}" for f in runs))
    print("\n  growth, largest size / smallest size:")
    for variant in dict.fromkeys(f.variant for f in runs):
        mine = [f for f in runs if f.variant == variant]
        small, large = mine[0], mine[-1]
        if len(mine) < 2:
            continue
        if not large.finished:
            print(
                f"  {variant:<6} {large.records:,}: stopped at the cap after {large.run_s:.0f} s with {large.done:,} "
                f"records done; its {small.records:,}-record run did {small.done:,} in {small.run_s:.0f} s"
            )
            continue
        print(f"  {variant:<6} {large.records / small.records:.0f}x the records: {_ratios(large, small)}")
    for other in ("naive", "today"):
        pairs = [(f, next((o for o in runs if o.variant == "ours" and o.records == f.records), None)) for f in runs]
        pairs = [(f, o) for f, o in pairs if f.variant == other and f.finished and o is not None]
        if pairs:
            print(f"\n  {other} / ours, same size:")
        for theirs, ours in pairs:
            assert ours is not None
            print(f"  {theirs.records:>6,} records: {_ratios(theirs, ours)}")
