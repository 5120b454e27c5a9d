"""The deployment of bench/quota_bench.py and what is measured on it.

BenchQuotaServer is tests/support/quota_server.py's QuotaTestServer (Azure's accounting: charged at arrival on
prompt + max_tokens over a sliding 10 s window, 429 with retry-after-ms when over, rate-limit headers) with a fixed
reply time for every request it accepts (a 429 is answered at once, as Azure does), and each arrival labelled with
its response schema, so the urgent comparison's calls are told from the batch's.

Utilisation, precisely (the same at every deployment size): of the quota-bound ideal, the most the deployment could
have accepted of this workload's calls over the busy period T (from the workload's first request to its last accepted
one). A sliding 10 s window that holds W = TPM/6 tokens admits at most TPM/60 x (T + 10) tokens to requests arriving
within T seconds (one full window at each end); but calls are whole, so a window holds at most floor(W / c) calls of
the workload's median cost c: floor(W / c) x c / W of it (30k TPM, calls of ~870 tokens: 5 to a window of 5,000, 87 %;
at 96k 97 %, at 400k 99 %); and a call larger than the whole window (a comparison at 30k TPM) runs alone in it, so it
counts as the window it takes, W, not its cost. Likewise a window that holds RPM/6 requests admits at most RPM/60 x (T
+ 10) requests. Utilisation = the larger of tokens accepted (as the server charged them: prompt + max_tokens, at most
W a call) / (TPM/60 x (T + 10) x floor(W / c) x c / W) and requests accepted / (RPM/60 x (T + 10)): the binding
limit's share used. 100 % means the binding limit was never left unused while work was waiting. Tokens bind for every
workload here (Azure's 6 RPM per 1,000 TPM: requests bind only for calls under ~170 tokens). The share of TPM x (T +
10) itself, without the whole-call bound, is reported beside it ("of TPM x time"): what the issue measured before this
definition.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from shared.batches.outputs import SCHEMA_NAME as EVALUATION_SCHEMA
from shared.comparison.outputs import SCHEMA_NAME as COMPARISON_SCHEMA
from tests.support.openai_server import OpenAITestServer
from tests.support.quota_server import WINDOW_S, Arrival, QuotaTestServer


class _Latency(OpenAITestServer):
    """Answers every request it is handed after `latency` seconds (QuotaTestServer hands it only those it accepts)."""

    latency = 0.0

    async def _handle(self, request: Request, deployment: str | None) -> Response:
        if self.latency > 0:
            await self._sleep(self.latency)
        return await super()._handle(request, deployment)


class BenchQuotaServer(QuotaTestServer, _Latency):
    def __init__(self, tokens_per_minute: int, requests_per_minute: int | None, latency: float) -> None:
        super().__init__(tokens_per_minute, requests_per_minute, enforce=True, headers=True)
        self.latency = latency
        self.labels: list[str] = []  # the schema of each arrival, in the order of `arrivals`

    def cost(self, body: dict[str, Any], deployment: str | None) -> int:
        # QuotaTestServer records the arrival right after costing it, with no await between: the lists stay aligned.
        self.labels.append(str(((body.get("response_format") or {}).get("json_schema") or {}).get("name")))
        return super().cost(body, deployment)

    def since(self, mark: int) -> list[tuple[Arrival, str]]:
        return list(zip(self.arrivals[mark:], self.labels[mark:], strict=True))


@dataclass
class Traffic:
    """What the deployment saw of one workload run."""

    requests: int
    throttled: int  # answered 429
    accepted_tokens: int
    busy_s: float
    window_tokens: float  # the quota: tokens per sliding 10 s window
    window_requests: float | None  # and requests (None: not limited)
    max_window_tokens: int  # the most accepted in any 10 s window (<= window_tokens: the server enforced it)
    median_tokens: int  # what the median accepted request cost
    counted_tokens: int  # accepted, a call larger than the window counting as the window it took
    unused: dict[str, float]  # of the quota-bound ideal, the room nobody used, by phase (unused_room)
    longest_gap_s: float  # the longest stretch of the busy period with no request accepted
    batch_requests: int
    batch_throttled: int
    urgent_requests: int
    urgent_throttled: int

    @property
    def throttled_share(self) -> float:
        return self.throttled / self.requests if self.requests else 0.0

    @property
    def accepted_requests(self) -> int:
        return self.requests - self.throttled

    @property
    def tpm_share(self) -> float:
        """Tokens accepted (at most a window a call) / TPM x (busy period + one window): no whole-call bound."""
        room = self.window_tokens / WINDOW_S * (self.busy_s + WINDOW_S)
        return self.counted_tokens / room if room else 0.0

    @property
    def whole_calls(self) -> float:
        """The share of a token window that whole calls of the workload's median cost can fill."""
        cost = self.median_tokens
        if cost <= 0 or cost >= self.window_tokens:
            return 1.0
        return (self.window_tokens // cost) * cost / self.window_tokens

    @property
    def token_utilisation(self) -> float:
        return self.tpm_share / self.whole_calls

    @property
    def request_utilisation(self) -> float:
        if not self.window_requests:
            return 0.0
        return self.accepted_requests / (self.window_requests / WINDOW_S * (self.busy_s + WINDOW_S))

    @property
    def utilisation(self) -> float:
        """Of the quota-bound ideal: the binding limit's share used (module docstring)."""
        return max(self.token_utilisation, self.request_utilisation)


ROOM_STEP_S = 0.05
PHASES = ("first window", "urgent job", "last window", "rest")


def unused_room(
    window_tokens: float,
    window_requests: float | None,
    accepted: list[Arrival],
    start: float,
    end: float,
    urgent: tuple[float, float] | None,
) -> dict[str, float]:
    """Where the busy period [start, end] left room: the server's window's room for whole calls of the median size
    that nobody used, sampled every ROOM_STEP_S, as a share of the quota-bound ideal (room left for a window's time
    counts once), by phase: the first window (the ramp), while the urgent job ran (`urgent`: from its submission to
    its last call), the last window (the tail), the rest."""
    shares = dict.fromkeys(PHASES, 0.0)
    if not accepted:
        return shares
    typical = sorted(a.tokens for a in accepted)[len(accepted) // 2]
    ideal = window_tokens / WINDOW_S * (end - start + WINDOW_S)
    times = [a.at for a in sorted(accepted, key=lambda a: a.at)]
    costs = [a.tokens for a in sorted(accepted, key=lambda a: a.at)]
    for step in range(int((end - start) / ROOM_STEP_S) + 1):
        now = start + step * ROOM_STEP_S
        first, last = bisect.bisect_right(times, now - WINDOW_S), bisect.bisect_right(times, now)
        calls = int((window_tokens - sum(costs[first:last])) // typical)
        if window_requests is not None:
            calls = min(calls, int(window_requests) - (last - first))
        if calls <= 0:
            continue
        if now < start + WINDOW_S:
            phase = "first window"
        elif now > end - WINDOW_S:
            phase = "last window"
        elif urgent is not None and urgent[0] <= now <= urgent[1]:
            phase = "urgent job"
        else:
            phase = "rest"
        shares[phase] += calls * typical * ROOM_STEP_S / WINDOW_S / ideal
    return shares


def traffic(server: BenchQuotaServer, mark: int, urgent_from: float | None = None) -> Traffic:
    """What the server saw from its arrival number `mark` on; `urgent_from`: when the urgent job was submitted
    (time.monotonic(), the server's clock: it runs in this process). The urgent job's phase of the profile runs from
    then to its last call at the server."""
    seen = server.since(mark)
    urgent_calls = [a.at for a, label in seen if label == COMPARISON_SCHEMA and a.accepted]
    urgent = None if urgent_from is None or not urgent_calls else (urgent_from, max(urgent_calls))
    accepted = [a for a, _ in seen if a.accepted]
    busy = (accepted[-1].at - seen[0][0].at) if accepted else 0.0
    gaps = [b.at - a.at for a, b in itertools.pairwise(accepted)]
    window = max(
        (sum(b.tokens for b in accepted if a.at - WINDOW_S < b.at <= a.at) for a in accepted),
        default=0,
    )

    def of(schema: str) -> tuple[int, int]:
        mine = [a for a, label in seen if label == schema]
        return len(mine), sum(1 for a in mine if not a.accepted)

    batch, urgent = of(EVALUATION_SCHEMA), of(COMPARISON_SCHEMA)
    return Traffic(
        requests=len(seen),
        throttled=sum(1 for a, _ in seen if not a.accepted),
        accepted_tokens=sum(a.tokens for a in accepted),
        busy_s=busy,
        window_tokens=server.window_tokens,
        window_requests=server.window_requests,
        max_window_tokens=window,
        median_tokens=sorted(a.tokens for a in accepted)[len(accepted) // 2] if accepted else 0,
        counted_tokens=sum(min(a.tokens, int(server.window_tokens)) for a in accepted),
        unused=(
            unused_room(server.window_tokens, server.window_requests, accepted, seen[0][0].at, accepted[-1].at, urgent)
            if accepted
            else {}
        ),
        longest_gap_s=max(gaps, default=0.0),
        batch_requests=batch[0],
        batch_throttled=batch[1],
        urgent_requests=urgent[0],
        urgent_throttled=urgent[1],
    )


@dataclass
class RunFigures:
    scheduler: str
    records: int
    failed_records: int
    unfinished_records: int  # still QUEUED when the run ended (a failed or timed-out job)
    batch_status: str
    urgent_status: str
    wall_s: float  # batch run submitted -> both jobs terminal
    batch_s: float
    urgent_s: float  # urgent comparison submitted -> terminal, under load
    urgent_idle_s: float  # the same comparison (other contracts of the same size) alone on the idle deployment
    traffic: Traffic
    deployment: str = ""

    @property
    def urgent_ratio(self) -> float:
        return self.urgent_s / self.urgent_idle_s if self.urgent_idle_s else 0.0


def _pct(value: float) -> str:
    return f"{value * 100:.1f} %"


ROWS: list[tuple[str, Any]] = [
    ("quota utilisation (busy period)", lambda f: _pct(f.traffic.utilisation)),
    ("requests answered 429", lambda f: f"{_pct(f.traffic.throttled_share)} ({f.traffic.throttled:,})"),
    ("requests in all", lambda f: f"{f.traffic.requests:,}"),
    ("  batch: requests / 429", lambda f: f"{f.traffic.batch_requests:,} / {f.traffic.batch_throttled:,}"),
    ("  urgent: requests / 429", lambda f: f"{f.traffic.urgent_requests:,} / {f.traffic.urgent_throttled:,}"),
    ("tokens accepted", lambda f: f"{f.traffic.accepted_tokens:,}"),
    ("busy period", lambda f: f"{f.traffic.busy_s:.1f} s"),
    ("most tokens in a 10 s window", lambda f: f"{f.traffic.max_window_tokens:,}"),
    *((f"  room unused: {phase}", lambda f, phase=phase: _pct(f.traffic.unused.get(phase, 0.0))) for phase in PHASES),
    ("  longest stretch with no call", lambda f: f"{f.traffic.longest_gap_s:.1f} s"),
    ("  tokens / requests used", lambda f: f"{_pct(f.traffic.token_utilisation)} / {_requests_used(f)}"),
    ("  of TPM x time", lambda f: _pct(f.traffic.tpm_share)),
    ("  whole calls fill a window to", lambda f: _pct(f.traffic.whole_calls)),
    ("failed records", lambda f: f"{f.failed_records} of {f.records}"),
    ("records never run", lambda f: f"{f.unfinished_records}"),
    ("jobs not completed (of 2)", lambda f: _not_completed(f)),
    ("wall time (both jobs)", lambda f: f"{f.wall_s:.1f} s"),
    ("  batch run", lambda f: f"{f.batch_s:.1f} s"),
    ("urgent comparison, under load", lambda f: f"{f.urgent_s:.1f} s"),
    ("urgent comparison, idle", lambda f: f"{f.urgent_idle_s:.1f} s"),
    ("urgent: under load / idle", lambda f: f"{f.urgent_ratio:.2f} x"),
]


def _requests_used(f: RunFigures) -> str:
    return "-" if f.traffic.window_requests is None else _pct(f.traffic.request_utilisation)


def _not_completed(f: RunFigures) -> str:
    ended = {"batch": f.batch_status, "urgent": f.urgent_status}
    return ", ".join(f"{job} {status}" for job, status in ended.items() if status != "completed") or "0"


def report(runs: list[RunFigures], setup: str) -> None:
    print(f"\n== quota scheduling: {setup} ==")
    print(f"  {'':<34}" + "".join(f"{f.scheduler:>24}" for f in runs))
    for label, value in ROWS:
        print(f"  {label:<34}" + "".join(f"{value(f):>24}" for f in runs))
    ours = [f for f in runs if f.scheduler == "ours"]
    if not ours:
        return
    f = ours[0]
    ours_idle = f.urgent_idle_s
    print("\n  ours against the issue's targets:")
    lost = f.failed_records + f.unfinished_records
    urgent_met = f.urgent_status == "completed" and f.urgent_ratio <= 2
    checks = [
        ("utilisation >= 90 %", _pct(f.traffic.utilisation), f.traffic.utilisation >= 0.90),
        ("429s <= 5 % of requests", _pct(f.traffic.throttled_share), f.traffic.throttled_share <= 0.05),
        ("0 failed records", str(lost), lost == 0),
        ("urgent <= 2x its idle time", f"{f.urgent_ratio:.2f} x", urgent_met),
    ]
    for label, value, met in checks:
        print(f"    {label:<30}{value:>12}   {'met' if met else 'MISSED'}")
    others = [g for g in runs if g is not f]
    if others and ours_idle:
        print("\n  urgent comparison under load against ours alone on the idle deployment:")
        for g in runs:
            print(f"    {g.scheduler:<30}{g.urgent_s / ours_idle:>11.2f} x")


SUMMARY: list[tuple[str, Callable[[RunFigures], str]]] = [
    ("utilisation", lambda f: _pct(f.traffic.utilisation)),
    ("of TPM x time", lambda f: _pct(f.traffic.tpm_share)),
    ("429s", lambda f: _pct(f.traffic.throttled_share)),
    ("failed", lambda f: str(f.failed_records + f.unfinished_records)),
    ("urgent/idle", lambda f: f"{f.urgent_ratio:.2f} x"),
    ("wall", lambda f: f"{f.wall_s:.0f} s"),
]


def summary(runs: dict[str, list[RunFigures]]) -> None:
    """Every deployment's schedulers side by side: the issue's four figures and the wall time."""
    print("\n== quota scheduling at every deployment size ==")
    print(f"  {'deployment':<12}{'scheduler':<16}" + "".join(f"{label:>14}" for label, _ in SUMMARY))
    for name, figures in runs.items():
        for f in figures:
            print(f"  {name:<12}{f.scheduler:<16}" + "".join(f"{value(f):>14}" for _, value in SUMMARY))


def main(argv: list[str] | None = None) -> None:
    """The profile of a run saved with `python -m bench.quota_bench --arrivals DIR` (its JSON lines)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("arrivals", type=Path, help="a run's JSON lines (DIR/<deployment>-<scheduler>.jsonl)")
    parser.add_argument("--tpm", type=int, required=True)
    parser.add_argument("--rpm", type=int)
    parser.add_argument("--urgent-after", type=float, help="seconds from the batch run to the urgent job")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.arrivals.read_text().splitlines() if line.strip()]
    arrivals = [Arrival(float(r["t"]), int(r["tokens"]), bool(r["accepted"])) for r in rows]
    accepted = [a for a in arrivals if a.accepted]
    window_tokens = args.tpm * WINDOW_S / 60
    window_requests = None if args.rpm is None else args.rpm * WINDOW_S / 60
    urgent_calls = [float(r["t"]) for r in rows if r["schema"] == COMPARISON_SCHEMA and r["accepted"]]
    urgent = None if args.urgent_after is None or not urgent_calls else (args.urgent_after, max(urgent_calls))
    start, end = arrivals[0].at, accepted[-1].at
    shares = unused_room(window_tokens, window_requests, accepted, start, end, urgent)
    figures = Traffic(
        requests=len(arrivals),
        throttled=len(arrivals) - len(accepted),
        accepted_tokens=sum(a.tokens for a in accepted),
        busy_s=end - start,
        window_tokens=window_tokens,
        window_requests=window_requests,
        max_window_tokens=0,
        median_tokens=sorted(a.tokens for a in accepted)[len(accepted) // 2],
        counted_tokens=sum(min(a.tokens, int(window_tokens)) for a in accepted),
        unused=shares,
        longest_gap_s=0.0,
        batch_requests=0,
        batch_throttled=0,
        urgent_requests=0,
        urgent_throttled=0,
    )
    print(
        f"{args.arrivals.name}: busy {end - start:.1f} s, utilisation {_pct(figures.utilisation)} (of TPM x time "
        f"{_pct(figures.tpm_share)}), 429s {_pct(figures.throttled_share)}; room unused (of the quota-bound ideal):"
    )
    for phase, share in shares.items():
        print(f"  {phase:<14}{share * 100:6.1f} %")


if __name__ == "__main__":
    main()
