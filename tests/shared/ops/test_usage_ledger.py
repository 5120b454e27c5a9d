"""The usage ledger: it hears every model-call event, adds them up per deployment and five-minute bucket, and writes
its running totals as its own items, so a write is never lost by being retried and two workers never write one
item. The process's ledger starts with the process's LLM client and stops with it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

import pytest

from shared.analysis.factory import get_analyzer, reset_analyzer
from shared.llm import events
from shared.llm.events import ModelCallAttempt, QuotaDeferred
from shared.ops.usage_figures import BUCKET_SECONDS, ModelUsage, bucket_start
from shared.ops.usage_ledger import UsageLedger, process_ledger
from shared.settings import Settings, use_settings
from shared.storage.base import Repositories
from shared.storage.factory import get_repositories, reset_repositories
from shared.storage.sqlite import sqlite_repositories
from tests.support.openai_server import OpenAITestServer
from tests.support.quota import FakeClock

START = 1_900_000_000.0  # a five-minute mark


def attempt(outcome: str = "answered", model: str = "gpt-4o", **fields: object) -> ModelCallAttempt:
    values: dict[str, object] = {
        "model": model,
        "selection": "primary",
        "outcome": outcome,
        "status": {"answered": None, "throttled": 429, "failed": 500}[outcome],
        "prompt_tokens": 1_000,
        "completion_tokens": 200 if outcome == "answered" else 0,
        "max_tokens": 800,
        "queue_wait_s": 0.5,
        "duration_s": 2.0,
        "attempt": 1,
        "job_id": "job-1",
        **fields,
    }
    return ModelCallAttempt(**values)  # type: ignore[arg-type]


@pytest.fixture
def repos(tmp_path: Path) -> Repositories:
    return sqlite_repositories(tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def ledger(repos: Repositories, clock: FakeClock) -> Iterator[UsageLedger]:
    ledger = UsageLedger(repos.usage, worker="worker-a", clock=clock).listen()
    yield ledger
    ledger.close()


def stored(repos: Repositories) -> list[ModelUsage]:
    return sorted(repos.usage.since(bucket_start(0)), key=lambda u: (u.bucket, u.deployment))


def test_attempts_and_deferrals_are_added_up_per_deployment(ledger: UsageLedger, repos: Repositories) -> None:
    for event in (
        attempt("throttled"),
        attempt("answered"),
        attempt("failed", queue_wait_s=0.0),
        attempt("answered", model="gpt-4o-mini", selection="secondary", prompt_tokens=50, completion_tokens=5),
        QuotaDeferred(model="gpt-4o", wait_s=12.0, ahead=3, job_id="job-2"),
    ):
        events.emit(event)
    assert ledger.flush() == 2
    primary, mini = stored(repos)
    assert (primary.deployment, primary.selection, primary.worker) == ("gpt-4o", "primary", "worker-a")
    assert primary.bucket == bucket_start(START)
    assert (primary.calls, primary.answered, primary.throttled, primary.failed) == (3, 1, 1, 1)
    # Only the answered attempt's tokens: refused requests are not billed.
    assert (primary.prompt_tokens, primary.completion_tokens) == (1_000, 200)
    assert (primary.queue_wait_s, primary.duration_s) == (1.0, 6.0)
    assert (primary.deferrals, primary.deferred_s) == (1, 12.0)
    assert (mini.calls, mini.selection, mini.prompt_tokens, mini.completion_tokens) == (1, "secondary", 50, 5)


def test_a_flush_writes_the_running_totals_and_only_what_changed(ledger: UsageLedger, repos: Repositories) -> None:
    events.emit(attempt())
    events.emit(attempt(model="other"))
    assert ledger.flush() == 2
    assert ledger.flush() == 0  # nothing new
    events.emit(attempt())
    assert ledger.flush() == 1  # only gpt-4o changed; its item is rewritten whole, not added to
    totals = {u.deployment: u.calls for u in stored(repos)}
    assert totals == {"gpt-4o": 2, "other": 1}


def test_a_new_bucket_is_a_new_item_and_the_old_one_stays(
    ledger: UsageLedger, repos: Repositories, clock: FakeClock
) -> None:
    events.emit(attempt())
    ledger.flush()
    clock.advance(BUCKET_SECONDS)
    events.emit(attempt())
    events.emit(attempt())
    ledger.flush()
    assert [(u.bucket, u.calls) for u in stored(repos)] == [
        (bucket_start(START), 1),
        (bucket_start(START + BUCKET_SECONDS), 2),
    ]


class Unavailable:
    """A store that is down until `up` is set."""

    def __init__(self, repos: Repositories) -> None:
        self.repos = repos
        self.up = False

    def put(self, items: Sequence[ModelUsage]) -> None:
        if not self.up:
            raise ConnectionError("store unreachable")
        self.repos.usage.put(items)

    def since(self, start: datetime) -> list[ModelUsage]:
        return self.repos.usage.since(start)


def test_what_a_failed_flush_could_not_write_is_written_whole_by_the_next(
    repos: Repositories, clock: FakeClock
) -> None:
    store = Unavailable(repos)
    ledger = UsageLedger(store, worker="w", clock=clock).listen()
    try:
        events.emit(attempt())
        assert ledger.flush() == 0 and ledger.pending() == 1
        events.emit(attempt())
        store.up = True
        assert ledger.flush() == 1 and ledger.pending() == 0
        assert [u.calls for u in stored(repos)] == [2]
    finally:
        ledger.close()


def test_two_workers_write_their_own_items(repos: Repositories, clock: FakeClock) -> None:
    first = UsageLedger(repos.usage, clock=clock).listen()
    second = UsageLedger(repos.usage, clock=clock)  # not listening: another worker hears other calls
    try:
        events.emit(attempt())
        second.record(attempt())
        second.record(attempt("throttled"))
        first.flush()
        second.flush()
        items = stored(repos)
        assert sorted((u.worker, u.calls) for u in items) == sorted([(first.worker, 1), (second.worker, 2)])
        assert first.worker != second.worker
    finally:
        first.close()
        second.close()


def test_a_closed_ledger_writes_what_it_holds_and_hears_no_more(ledger: UsageLedger, repos: Repositories) -> None:
    events.emit(attempt())
    ledger.close()
    events.emit(attempt())
    assert [u.calls for u in stored(repos)] == [1]


@pytest.fixture
def process(tmp_path: Path) -> Iterator[None]:
    yield
    use_settings(None)
    reset_analyzer()
    reset_repositories()


@pytest.mark.usefixtures("process")
def test_the_process_ledger_starts_with_the_llm_client_and_writes_when_it_stops(
    tmp_path: Path, openai_server: OpenAITestServer
) -> None:
    use_settings(openai_server.settings(data_dir=tmp_path))
    reset_repositories()
    reset_analyzer()
    assert process_ledger() is None
    get_analyzer()
    ledger = process_ledger()
    assert ledger is not None
    get_analyzer()
    assert process_ledger() is ledger  # once per process
    events.emit(attempt(model="test-model-primary"))
    reset_analyzer()  # the client goes, and its ledger writes what it held
    assert process_ledger() is None
    assert [(u.deployment, u.calls) for u in get_repositories().usage.since(bucket_start(0))] == [
        ("test-model-primary", 1)
    ]


@pytest.mark.usefixtures("process")
def test_the_offline_analyzer_has_no_ledger(tmp_path: Path) -> None:
    use_settings(Settings(data_dir=tmp_path))
    reset_analyzer()
    get_analyzer()
    assert process_ledger() is None
