"""The scheduler over the store: the budget is one item per deployment, changed under its ETag, so schedulers in
different workers that reserve at the same moment share one budget and never over-grant it."""

from __future__ import annotations

import threading
from pathlib import Path

from shared.errors import ConflictError
from shared.llm.budget import WINDOW_S, Ask, BudgetState, Granted, Limits, Share, Wait
from shared.llm.quota import BUSY_WAIT_S, QuotaScheduler
from shared.storage.base import Versioned
from shared.storage.optimistic import MAY_COME_BACK
from shared.storage.sqlite import sqlite_repositories
from tests.support.quota import FakeClock, MemoryQuotaRepository

DEPLOYMENT = "openai|http://127.0.0.1/v1|gpt-4o"
LIMITS = Limits(tokens_per_minute=60_000)  # 10,000 tokens per 10 s


def test_two_workers_on_one_sqlite_file_never_grant_more_than_the_window(tmp_path: Path) -> None:
    clock = FakeClock()  # frozen: every grant lands in the same window
    workers = [QuotaScheduler(sqlite_repositories(tmp_path).quota, clock=clock) for _ in range(2)]
    granted: list[int] = []
    lock = threading.Lock()

    def work(worker: QuotaScheduler, name: str) -> None:
        for index in range(15):
            if isinstance(worker.reserve(DEPLOYMENT, LIMITS, Ask(f"{name}-{index}", 700)), Granted):
                with lock:
                    granted.append(700)

    threads = [threading.Thread(target=work, args=(w, f"w{n}-t{t}")) for n, w in enumerate(workers) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Exactly what fits at once: 5,000, the pace's share of the 10,000 window (shared.llm.budget.PACE_SHARE); no
    # lost update granted an 8th.
    assert sum(granted) == 7 * 700
    state = workers[0].state(DEPLOYMENT)
    assert sum(tokens for _, tokens, _ in state.charges) == sum(granted)
    assert len(state.waiters) == 120 - 7  # everyone else was told a turn


def test_a_lost_race_is_decided_again_on_what_the_winner_wrote() -> None:
    clock = FakeClock()
    shared_store = MemoryQuotaRepository()
    theirs = QuotaScheduler(shared_store, clock=clock)

    class RacedOnce(MemoryQuotaRepository):
        """Reads the shared store; just before our first write, the other worker takes the whole window."""

        raced = False

        def read(self, key: str) -> Versioned[str] | None:
            return shared_store.read(key)

        def write(self, key: str, state: str, etag: str | None) -> str:
            if not self.raced:
                self.raced = True
                assert theirs.reserve(DEPLOYMENT, LIMITS, Ask("theirs", 10_000)) == Granted()
            return shared_store.write(key, state, etag)

    ours = QuotaScheduler(RacedOnce(), clock=clock, sleep=clock.sleep)
    decision = ours.reserve(DEPLOYMENT, LIMITS, Ask("ours", 5_000))
    assert isinstance(decision, Wait)  # decided again after losing: the window is full now
    assert decision.until > clock() + WINDOW_S


def test_a_store_too_contended_tells_the_call_to_come_back_shortly() -> None:
    clock = FakeClock()

    class AlwaysStale(MemoryQuotaRepository):
        def write(self, key: str, state: str, etag: str | None) -> str:
            raise ConflictError("stale")

    store = AlwaysStale()
    decision = QuotaScheduler(store, clock=clock, sleep=clock.sleep).reserve(DEPLOYMENT, LIMITS, Ask("a", 1))
    assert decision == Wait(until=clock() + BUSY_WAIT_S)
    assert len(clock.sleeps) == MAY_COME_BACK.attempts  # a pause after every lost race, none slept for real


def test_learning_writes_only_when_the_headers_change_something() -> None:
    store = MemoryQuotaRepository()
    scheduler = QuotaScheduler(store, clock=FakeClock())
    scheduler.observe(DEPLOYMENT, Limits(), {"limit_tokens": 60_000})
    scheduler.observe(DEPLOYMENT, Limits(), {"limit_tokens": 60_000})
    assert store.writes == 1
    assert scheduler.state(DEPLOYMENT).learned_tpm == 60_000


def test_a_call_refused_with_a_429_gives_its_cost_back_to_its_users_share() -> None:
    clock = FakeClock()
    store = MemoryQuotaRepository()
    served = BudgetState(charges=[(clock(), 4_000, 1)], virtual=1_000.0, shares={"a": Share(finish=5_000, at=clock())})
    store.write(DEPLOYMENT, served.model_dump_json(), None)
    scheduler = QuotaScheduler(store, clock=clock)
    scheduler.throttled(DEPLOYMENT, LIMITS, retry_after=1.0, refund=4_000, user="a", weight=2.0)
    state = scheduler.state(DEPLOYMENT)
    assert state.shares["a"].finish == 3_000  # its tokens / its weight: its retry will be charged again
    assert state.charges == []  # and the window's charge was taken back, as before
