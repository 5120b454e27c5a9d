"""The one ETag read-modify-write (shared/storage/optimistic.py), against SQLite and Cosmos alike with the real
repositories: a quota budget (an item the race itself creates) and a batch (replaced under its head's ETag)."""

from __future__ import annotations

import json
import threading
import uuid

import pytest

from shared.batches.models import Batch
from shared.errors import ConflictError, InvalidTransitionError
from shared.storage.base import Repositories
from shared.storage.optimistic import MAY_COME_BACK, MUST_LAND, Contention, KeptChanging, update
from tests.shared.storage.helpers import make_batch
from tests.support.stores import race

pytestmark = pytest.mark.filterwarnings("ignore:Unverified HTTPS request")

WRITERS = 6


@pytest.fixture
def key() -> str:
    return f"optimistic|{uuid.uuid4().hex[:10]}"  # the Cosmos database is shared by the session


def never(seconds: float) -> None:
    pytest.fail(f"paused {seconds} s after a lost race, but there was no race to lose")


def renamed(batch: Batch, name: str) -> Batch:
    return batch.model_copy(update={"config": batch.config.model_copy(update={"name": name})})


def test_racing_writers_each_get_their_change_in_exactly_once(repos: Repositories, key: str) -> None:
    # Every writer reads before any writes (the barrier, first attempt only): all race to create the item, one
    # wins, and the others lose again and again to each other's replaces until each has written on top.
    everyone_read = threading.Barrier(WRITERS, timeout=30)
    pauses: list[float] = []

    def writer(name: str) -> None:
        attempts = 0

        def change(text: str) -> str:
            nonlocal attempts
            attempts += 1
            if attempts == 1:
                everyone_read.wait()
            return json.dumps([*json.loads(text), name])

        update(
            lambda: repos.quota.read(key),
            change,
            lambda text, etag: repos.quota.write(key, text, etag),
            new=lambda: "[]",
            name=f"quota {key!r}",
            contention=MUST_LAND,
            sleep=pauses.append,  # counted, never slept
        )

    names = [f"w{index}" for index in range(WRITERS)]
    assert race(*(lambda name=name: writer(name) for name in names)) == []
    stored = repos.quota.read(key)
    assert stored is not None and sorted(json.loads(stored.item)) == names  # each once: none lost, none twice
    assert len(pauses) >= WRITERS - 1  # the first round alone: one creator won, everyone else lost


def test_a_change_with_nothing_to_do_writes_nothing(repos: Repositories, user: str, key: str) -> None:
    repos.batches.create(make_batch(user, "bat_same"))
    before = repos.batches.get(user, "bat_same")
    writes: list[Batch] = []

    def write(batch: Batch, etag: str) -> None:
        writes.append(batch)
        repos.batches.replace(batch, etag)

    outcome = update(
        lambda: repos.batches.get(user, "bat_same"),
        lambda batch: None,
        write,
        name="batch 'bat_same'",
        contention=MUST_LAND,
        sleep=never,
    )
    assert (outcome.before, outcome.item, outcome.written) == (before.item, before.item, False)
    assert writes == [] and repos.batches.get(user, "bat_same") == before  # the same etag: nothing was written

    # Nor is an item that is not stored yet created for nothing.
    unchanged = update(
        lambda: repos.quota.read(key),
        lambda text: None,
        lambda text, etag: pytest.fail("written"),
        new=lambda: "{}",
        name=f"quota {key!r}",
        contention=MAY_COME_BACK,
        sleep=never,
    )
    assert (unchanged.item, unchanged.written) == ("{}", False) and repos.quota.read(key) is None


def test_a_change_that_refuses_is_not_retried_and_writes_nothing(repos: Repositories, user: str) -> None:
    repos.batches.create(make_batch(user, "bat_refused"))
    before = repos.batches.get(user, "bat_refused")
    calls: list[Batch] = []

    def refuse(batch: Batch) -> Batch:
        calls.append(batch)
        raise InvalidTransitionError("batch 'bat_refused' cannot do that")

    with pytest.raises(InvalidTransitionError):
        update(
            lambda: repos.batches.get(user, "bat_refused"),
            refuse,
            repos.batches.replace,
            name="batch 'bat_refused'",
            contention=MUST_LAND,
            sleep=never,
        )
    assert len(calls) == 1 and repos.batches.get(user, "bat_refused") == before


def test_attempts_are_bounded_and_the_last_loss_names_the_item(repos: Repositories, user: str) -> None:
    repos.batches.create(make_batch(user, "bat_busy"))
    pauses: list[float] = []

    def write_after_someone_else(batch: Batch, etag: str) -> None:
        # Another writer gets in between our read and our write, every time: the store turns our etag away.
        current = repos.batches.get(user, "bat_busy")
        repos.batches.replace(renamed(current.item, f"theirs {len(pauses)}"), current.etag)
        repos.batches.replace(batch, etag)

    with pytest.raises(KeptChanging) as raised:
        update(
            lambda: repos.batches.get(user, "bat_busy"),
            lambda batch: renamed(batch, "ours"),
            write_after_someone_else,
            name="batch 'bat_busy'",
            details={"batch_id": "bat_busy"},
            contention=Contention(attempts=3),
            sleep=pauses.append,
            rand=lambda: 0.5,
        )
    assert isinstance(raised.value, ConflictError)  # the API answers 409, as for any lost race
    assert raised.value.message == "batch 'bat_busy' kept changing; gave up after 3 attempts"
    assert raised.value.details == {"batch_id": "bat_busy"}
    assert pauses == pytest.approx([0.001, 0.002, 0.003])  # one after each loss, growing; none slept for real
    assert repos.batches.get(user, "bat_busy").item.config.name == "theirs 2"  # ours never landed


def test_the_pauses_grow_with_each_loss_within_each_policys_bounds() -> None:
    # Jobs and batches: up to 2 ms per loss so far, at most 10 losses' worth, fully jittered.
    assert [MUST_LAND.pause(n, lambda: 1.0) for n in (1, 2, 10, 50)] == pytest.approx([0.002, 0.004, 0.02, 0.02])
    assert MUST_LAND.pause(7, lambda: 0.0) == 0.0
    # Quota budgets: 2 ms per loss so far, jittered between half and one and a half times that.
    assert [MAY_COME_BACK.pause(n, lambda: 0.0) for n in (1, 25)] == pytest.approx([0.001, 0.025])
    assert [MAY_COME_BACK.pause(n, lambda: 1.0) for n in (1, 25)] == pytest.approx([0.003, 0.075])
    assert (MUST_LAND.attempts, MAY_COME_BACK.attempts) == (100, 25)
