"""The quota scheduler in a simulated Durable host, on a simulated clock: where a deployment's time goes.

    python -m bench.quota_sim [--deployment 30k,96k,400k] [--seeds 5] [--late 0.3,2.0] [--trace]

The real bench (bench/quota_bench.py) takes minutes a run and its figures move with the machine's load; this takes
a second and says the same about the scheduler itself. The scheduler's own rules run unchanged (shared/llm/budget.py
reserve, shared/llm/adapt.py caps, observe and throttled, shared/llm/admission.py's choice between going, sleeping
in the worker and a durable wait); around them, a model of what the app and its host do with a call:

- a job is a fan-out of calls, FAN_OUT_WINDOW at a time (orchestrators/fan_out.py); a batch runs its records in
  chunks of BATCH_RUN_CHUNK, CHUNKS_IN_FLIGHT chunks at once, each chunk with its own window;
- an activity takes a worker slot (host.json maxConcurrentActivityFunctions), spends `work_s` on the store around
  its call, and is handed to a worker `dispatch_s` after its orchestrator scheduled it (an episode, a queue);
- a durable wait fires `late_s` after its timer was due (drawn uniformly from the range: the busy host measured
  0.5-2 s), then the activity is dispatched again;
- the server is tests/support/quota_server.py's accounting (sliding 10 s windows of tokens and requests, charged
  at arrival, a request larger than the window alone in an empty one, 429 with when to come back) answering after
  `latency` seconds, with Azure's rate-limit headers, which the scheduler learns from as in the app.

Reported per deployment: utilisation of the quota-bound ideal as bench/quota_bench_figures.py defines it (whole
calls), the share
of requests answered 429, the urgent job's time against its time alone, durable waits and in-worker sleeps per call,
and how late the calls that waited were at the server against the turns they were told.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.llm import adapt, budget
from shared.llm.budget import Ask, BudgetState, Granted, Limits, Wait

WINDOW_S = 10.0
QUOTA_WAIT_MIN_S = 1.0  # orchestrators/retry_policies.py QuotaWaitLimit.min_delay_ms


@dataclass(frozen=True)
class Host:
    """What the app and its host add around a call (seconds)."""

    slots: int = 8  # host.json maxConcurrentActivityFunctions (16 now; the simulation was written against 8)
    fan_out: int = 8  # orchestrators/fan_out.py FAN_OUT_WINDOW (a job's start now sizes it from the quota)
    chunk: int = 50  # BATCH_RUN_CHUNK
    chunks_in_flight: int = 4  # orchestrators/batch_evaluation.py CHUNKS_IN_FLIGHT
    dispatch_s: tuple[float, float] = (0.05, 0.4)
    work_s: tuple[float, float] = (0.02, 0.1)
    late_s: tuple[float, float] = (0.3, 2.0)


@dataclass(frozen=True)
class Workload:
    tpm: int
    rpm: int
    latency: float
    records: int
    record_tokens: tuple[int, int]  # uniform range of a record call's cost
    urgent_calls: int
    urgent_tokens: tuple[int, ...]  # the comparison's calls, in turn (the NDA against its two variants)
    urgent_after: float
    batch_priority: int = 3
    urgent_priority: int = 9


WORKLOADS = {
    # What the bench's calls cost (bench/quota_bench.py): a short document's evaluation 786-944 tokens, a whole
    # sample contract's 2,078-2,625, the comparison's 8,152 and 7,888 (together just over a 96k window).
    "30k": Workload(30_000, 180, 0.4, 90, (786, 944), 3, (8_152, 7_888), 5.0),
    "96k": Workload(96_000, 240, 0.4, 90, (786, 944), 3, (8_152, 7_888), 5.0),
    "400k": Workload(400_000, 2_400, 0.5, 500, (2_078, 2_625), 10, (8_152, 7_888), 10.0),
}


@dataclass
class Call:
    key: str
    job: str
    tokens: int
    priority: int
    user: str = "bench"
    attempts: int = 0
    turn: float | None = None  # the last turn it was told (a Wait's until)
    defers: int = 0
    sleeps: int = 0
    done_at: float | None = None
    status: str = "pending"  # dispatch, slot, work, sleep, durable, server, done


@dataclass
class Arrival:
    at: float
    tokens: int
    accepted: bool
    job: str
    late: float | None  # how long after the turn it was told it arrived (None: never told to wait)


@dataclass
class Result:
    utilisation: float
    throttled_share: float
    urgent_s: float | None
    batch_s: float
    busy_s: float
    defers_per_call: float
    sleeps_per_call: float
    late_median_s: float | None
    arrivals: list[Arrival] = field(default_factory=list)
    unused: dict[str, float] = field(default_factory=dict)
    """The share of the quota-bound ideal left unused in the busy period (room in the server's window for whole
    calls of the typical size that nobody sent, a window's time counting once), by why (Simulation.sample)."""


class Simulation:
    def __init__(self, workload: Workload, host: Host, seed: int, *, batch: bool = True, urgent: bool = True):
        self.w, self.host = workload, host
        self.rng = random.Random(seed)
        self.state = BudgetState()
        self.limits = Limits(workload.tpm, workload.rpm)
        self.events: list[tuple[float, int, Callable[[], None]]] = []
        self.sequence = itertools.count()
        self.now = 0.0
        self.free_slots = host.slots
        self.ready: list[Call] = []  # dispatched activities waiting for a slot, in order
        self.arrivals: list[Arrival] = []
        self.server: list[tuple[float, int]] = []  # accepted: (at, tokens)
        self.jobs: dict[str, list[Call]] = {}
        self.samples: list[tuple[float, str, float]] = []  # (when, why, tokens of room for whole calls)
        self.finished: dict[str, float] = {}
        self.started: dict[str, float] = {}
        records = [
            Call(f"batch#{i}", "batch", self.rng.randint(*workload.record_tokens), workload.batch_priority)
            for i in range(workload.records)
        ]
        sizes = workload.urgent_tokens
        urgent_calls = [
            Call(f"urgent#{i}", "urgent", sizes[i % len(sizes)], workload.urgent_priority)
            for i in range(workload.urgent_calls)
        ]
        if batch:
            self.at(0.0, lambda: self.start_batch(records))
        if urgent:
            self.at(workload.urgent_after if batch else 0.0, lambda: self.start_job("urgent", urgent_calls))

    # --- the event loop ---------------------------------------------------------------------------------------

    def at(self, when: float, action: Callable[[], None]) -> None:
        heapq.heappush(self.events, (when, next(self.sequence), action))

    def run(self, limit_s: float = 3_600.0) -> Result:
        self.at(0.0, self.sample)
        while self.events and self.events[0][0] < limit_s:
            self.now, _, action = heapq.heappop(self.events)
            action()
        return self.result()

    SAMPLE_S = 0.05

    def sample(self) -> None:
        """Why the server's window has room nobody uses, now (when it has)."""
        calls = [c for calls in self.jobs.values() for c in calls]
        if calls and all(c.status == "done" for c in calls):
            return
        self.at(self.now + self.SAMPLE_S, self.sample)
        typical = sorted(c.tokens for c in calls)[len(calls) // 2] if calls else 0
        inside = [(t, k) for t, k in self.server if t > self.now - WINDOW_S]
        window = self.w.tpm * WINDOW_S / 60
        room = window - sum(k for _, k in inside)
        calls_room = min(room // typical, self.w.rpm * WINDOW_S / 60 - len(inside)) if typical else 0
        if calls_room < 1:
            return
        caps = adapt.caps_now(self.state, self.limits, self.now)
        ours = budget.Timeline([c for c in self.state.charges if c[0] <= self.now], caps)
        statuses = {c.status for c in calls}
        if not ours.fits(self.now, typical):
            windows = ours.windows
            ours.windows = [(length, cap, index) for length, cap, index in windows if length > WINDOW_S]
            if not ours.fits(self.now, typical):
                why = "the margin"
            else:
                ours.windows = [w for w in windows if w[2] == 1]
                why = "the pace" if not ours.fits(self.now, typical) else "the 1 s window"
        elif statuses & {"sleep", "durable"}:
            probe = self.state.model_copy(deep=True)
            free = budget.reserve(probe, caps, Ask("probe", typical, budget.MIN_PRIORITY, "probe"), self.now)
            why = "waiters asleep, room free" if isinstance(free, Granted) else "waiters asleep, room held"
        elif statuses & {"dispatch", "slot", "work"}:
            why = "calls on their way"
        else:
            why = "nothing to send"
        if self.now < WINDOW_S:
            why += " (first window)"
        self.samples.append((self.now, why, calls_room * typical))

    def draw(self, bounds: tuple[float, float]) -> float:
        return self.rng.uniform(*bounds)

    # --- jobs and their fan-outs -------------------------------------------------------------------------------

    def start_batch(self, calls: list[Call]) -> None:
        chunks = [calls[i : i + self.host.chunk] for i in range(0, len(calls), self.host.chunk)]
        self.started["batch"] = self.now
        self.jobs["batch"] = calls
        pending = list(range(len(chunks)))
        running: set[int] = set()

        def chunk_done(index: int) -> None:
            running.discard(index)
            start_more()

        def start_more() -> None:
            while pending and len(running) < self.host.chunks_in_flight:
                index = pending.pop(0)
                running.add(index)
                self.fan_out(chunks[index], lambda i=index: chunk_done(i))  # type: ignore[misc]

        start_more()

    def start_job(self, job: str, calls: list[Call]) -> None:
        self.started[job] = self.now
        self.jobs[job] = calls
        self.fan_out(calls, lambda: None)

    def fan_out(self, calls: list[Call], done: Callable[[], None]) -> None:
        queue = list(calls)
        in_flight = [0]

        def one_done() -> None:
            in_flight[0] -= 1
            refill()
            if not queue and in_flight[0] == 0:
                done()

        def refill() -> None:
            while queue and in_flight[0] < self.host.fan_out:
                call = queue.pop(0)
                in_flight[0] += 1
                call_done = one_done
                self.dispatch(call, call_done)

        refill()

    # --- activities ----------------------------------------------------------------------------------------------

    def dispatch(self, call: Call, done: Callable[[], None]) -> None:
        """The orchestrator schedules the call's activity: a worker takes it when one is free."""
        call.__dict__["_done"] = done
        call.status = "dispatch"
        self.at(self.now + self.draw(self.host.dispatch_s), lambda: self.enqueue(call))

    def enqueue(self, call: Call) -> None:
        call.status = "slot"
        self.ready.append(call)
        self.take_slots()

    def take_slots(self) -> None:
        while self.free_slots and self.ready:
            call = self.ready.pop(0)
            call.status = "work"
            self.free_slots -= 1
            self.at(self.now + self.draw(self.host.work_s), lambda c=call: self.admit(c, first=True))  # type: ignore[misc]

    def release(self) -> None:
        self.free_slots += 1
        self.take_slots()

    def admit(self, call: Call, first: bool) -> None:
        caps = adapt.caps_now(self.state, self.limits, self.now)
        ask = Ask(call.key, call.tokens, call.priority, call.user, deferrable=first)
        decision = budget.reserve(self.state, caps, ask, self.now)
        if isinstance(decision, Granted):
            self.send(call, decision)
            return
        assert isinstance(decision, Wait)
        call.turn = decision.until
        delay = max(decision.until - self.now, 0.0)
        if decision.back is not None:  # a durable wait (admission.py): the worker is let go
            call.status = "durable"
            call.defers += 1
            wait = decision.back - self.now
            self.release()
            fires = self.now + max(wait, QUOTA_WAIT_MIN_S) + self.draw(self.host.late_s)
            self.at(fires, lambda: self.dispatch_again(call))
            return
        call.sleeps += 1
        call.status = "sleep"
        self.at(self.now + delay, lambda: self.admit(call, first=first))

    def dispatch_again(self, call: Call) -> None:
        call.status = "dispatch"
        self.at(self.now + self.draw(self.host.dispatch_s), lambda: self.enqueue(call))

    def send(self, call: Call, grant: Granted) -> None:
        """The request reaches the server a moment after its grant."""
        arrive = self.now + 0.01
        call.status = "server"
        self.at(arrive, lambda: self.server_receives(call, grant))

    def server_receives(self, call: Call, grant: Granted) -> None:
        window = self.w.tpm * WINDOW_S / 60
        requests_cap = self.w.rpm * WINDOW_S / 60
        self.server = [(t, k) for t, k in self.server if t > self.now - WINDOW_S]
        load = sum(k for _, k in self.server)
        fits = (load == 0 or load + call.tokens <= window) and len(self.server) + 1 <= requests_cap
        late = None if call.turn is None else self.now - call.turn
        self.arrivals.append(Arrival(self.now, call.tokens, fits, call.job, late))
        left_tokens = window - load - (call.tokens if fits else 0)
        left_requests = requests_cap - len(self.server) - (1 if fits else 0)
        headers = {
            "limit_tokens": self.w.tpm,
            "limit_requests": self.w.rpm,
            "remaining_tokens": max(0, int(left_tokens * 6)),
            "remaining_requests": max(0, int(left_requests)),
        }
        if not fits:
            retry = self.retry_after(call.tokens, window, requests_cap)
            adapt.observe(self.state, self.limits, self.now, sent=grant, **headers)
            adapt.throttled(self.state, self.limits, self.now, retry, call.tokens)
            budget.give_back(self.state, call.user, call.tokens)
            # The first call of a step waits on a durable timer (admission.throttled).
            call.defers += 1
            call.status = "durable"
            self.release()
            wait = max(retry, budget.MIN_DEFER_S)
            self.at(self.now + wait + self.draw(self.host.late_s), lambda: self.dispatch_again(call))
            return
        self.server.append((self.now, call.tokens))
        self.at(self.now + self.w.latency, lambda: self.answered(call, grant, headers))

    def retry_after(self, tokens: int, window: float, requests_cap: float) -> float:
        load = sum(k for _, k in self.server)
        for index, (t, k) in enumerate(self.server):
            load -= k
            if (load == 0 or load + tokens <= window) and len(self.server) - index <= requests_cap:
                return t + WINDOW_S - self.now
        return WINDOW_S

    def answered(self, call: Call, grant: Granted, headers: dict[str, int]) -> None:
        adapt.observe(self.state, self.limits, self.now, sent=grant, **headers)
        self.at(self.now + self.draw(self.host.work_s), lambda: self.finish(call))

    def finish(self, call: Call) -> None:
        call.done_at = self.now
        call.status = "done"
        self.release()
        done: Callable[[], None] = call.__dict__["_done"]
        self.at(self.now + self.draw(self.host.dispatch_s), done)
        calls = self.jobs[call.job]
        if all(c.done_at is not None for c in calls):
            self.finished[call.job] = self.now

    # --- figures -----------------------------------------------------------------------------------------------

    def result(self) -> Result:
        accepted = [a for a in self.arrivals if a.accepted]
        busy = accepted[-1].at - self.arrivals[0].at if accepted else 0.0
        token_room = self.w.tpm / 60 * (busy + WINDOW_S)
        request_room = self.w.rpm / 60 * (busy + WINDOW_S)
        window = self.w.tpm * WINDOW_S / 60
        median = sorted(a.tokens for a in accepted)[len(accepted) // 2] if accepted else 0
        whole = (window // median) * median / window if 0 < median < window else 1.0  # as quota_bench_figures
        counted = sum(min(a.tokens, window) for a in accepted)
        utilisation = max(counted / (token_room * whole), len(accepted) / request_room)
        calls = [c for calls in self.jobs.values() for c in calls]
        lates = [a.late for a in accepted if a.late is not None]
        unused: dict[str, float] = {}
        if accepted:
            for at, why, tokens in self.samples:
                if self.arrivals[0].at <= at <= accepted[-1].at:
                    # room left for a window's time is the window's tokens unused: a share of the ideal
                    unused[why] = unused.get(why, 0.0) + tokens * self.SAMPLE_S / WINDOW_S / token_room
        return Result(
            utilisation=utilisation,
            throttled_share=1 - len(accepted) / len(self.arrivals) if self.arrivals else 0.0,
            urgent_s=self.finished["urgent"] - self.started["urgent"] if "urgent" in self.finished else None,
            batch_s=self.finished.get("batch", self.now) - self.started.get("batch", 0.0),
            busy_s=busy,
            defers_per_call=sum(c.defers for c in calls) / len(calls),
            sleeps_per_call=sum(c.sleeps for c in calls) / len(calls),
            late_median_s=statistics.median(lates) if lates else None,
            arrivals=self.arrivals,
            unused=unused,
        )


def simulate(workload: Workload, host: Host, seed: int) -> tuple[Result, float]:
    """The workload under load, and the urgent job alone (its idle time)."""
    loaded = Simulation(workload, host, seed).run()
    idle = Simulation(workload, host, seed, batch=False).run()
    assert idle.urgent_s is not None
    return loaded, idle.urgent_s


def trace(result: Result, workload: Workload) -> None:
    window = workload.tpm * WINDOW_S / 60
    accepted = [a for a in result.arrivals if a.accepted]
    second = 0
    while second <= result.busy_s + 1:
        inside = sum(a.tokens for a in accepted if second - WINDOW_S < a.at <= second)
        sent = [a for a in accepted if second - 1 < a.at <= second]
        marks = "".join("U" if a.job == "urgent" else "." for a in sent)
        print(f"    {second:5d} s  window {inside / window * 100:4.0f} %  {marks}")
        second += 1


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deployment", default=",".join(WORKLOADS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--late", help="durable timers' lateness range, seconds: LOW,HIGH")
    parser.add_argument("--trace", action="store_true", help="the first seed's window, second by second")
    parser.add_argument("--unused", action="store_true", help="why the window had room nobody used, per run")
    args = parser.parse_args(argv)
    host = Host()
    if args.late:
        low, high = (float(x) for x in args.late.split(","))
        host = Host(late_s=(low, high))
    print(f"{'deployment':<12}{'utilisation':>12}{'429s':>8}{'urgent/idle':>13}{'batch':>9}{'defers':>8}"
          f"{'sleeps':>8}{'late':>8}")  # fmt: skip
    for name in args.deployment.split(","):
        workload = WORKLOADS[name]
        rows = [simulate(workload, host, seed) for seed in range(args.seeds)]
        for index, (r, idle) in enumerate(rows):
            ratio = (r.urgent_s or 0.0) / idle
            late = "-" if r.late_median_s is None else f"{r.late_median_s:.2f}"
            print(
                f"{name:<12}{r.utilisation * 100:>11.1f}%{r.throttled_share * 100:>7.1f}%{ratio:>12.2f}x"
                f"{r.batch_s:>8.1f}s{r.defers_per_call:>8.2f}{r.sleeps_per_call:>8.2f}{late:>8}"
            )
            if args.unused:
                lost = sorted(r.unused.items(), key=lambda item: -item[1])
                print("    unused: " + ", ".join(f"{why} {share * 100:.1f} %" for why, share in lost))
            if args.trace and index == 0:
                trace(r, workload)


if __name__ == "__main__":
    main()
