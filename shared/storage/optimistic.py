"""Read-modify-write under an ETag, retried when another writer won the race: the one loop behind every change of
a job, a batch and a model deployment's quota budget.

`change` gets the item as read and returns the item to write, or None when there is nothing to write (then nothing
is written and the etag stays). None rather than "the same object back": the type says it (`T | None`, checked by
mypy), and a change that mutates the item it was given (the quota budget does) is still written. A change that
must refuse raises (a domain error); that is never retried.

A lost race (ConflictError from `write`: a stale etag, or for an item not stored yet another writer that created it
first) reads again and applies `change` again to what the winner wrote, after a short jittered pause. Pausing goes
through the injected `sleep` and `rand` (time.sleep and random.random by default), so tests count the pauses
instead of taking them. After the last attempt the error is KeptChanging, a ConflictError naming the item.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from shared.errors import ConflictError
from shared.storage.base import Versioned

T = TypeVar("T")


@dataclass(frozen=True)
class Contention:
    """How a read-modify-write meets lost races: `attempts` in all, and after the n-th loss a pause of `step` times n
    (n at most `growth_cap`) times a jitter drawn uniformly from `jitter`, so racers do not collide again."""

    attempts: int
    step: float = 0.002
    growth_cap: int | None = None
    jitter: tuple[float, float] = (0.0, 1.0)

    def pause(self, lost: int, rand: Callable[[], float]) -> float:
        growth = lost if self.growth_cap is None else min(lost, self.growth_cap)
        low, high = self.jitter
        return self.step * growth * (low + (high - low) * rand())


MUST_LAND = Contention(attempts=100, growth_cap=10)
"""Jobs and batches: every lost race means another writer made progress, and the change has no later chance, so
giving up is generous."""

MAY_COME_BACK = Contention(attempts=25, jitter=(0.5, 1.5))
"""Quota budgets: on every model call of every worker, and a reservation that cannot land is told to come back
shortly instead, so it gives up sooner."""


class KeptChanging(ConflictError):
    """Every attempt of a read-modify-write lost its race: the item is very contended."""


@dataclass(frozen=True)
class Updated(Generic[T]):
    """What a read-modify-write came to: the item as last read, and as stored now (`before` when nothing was
    written)."""

    before: T
    item: T
    written: bool


@overload
def update(
    read: Callable[[], Versioned[T]],
    change: Callable[[T], T | None],
    write: Callable[[T, str], object],
    *,
    name: str,
    details: dict[str, Any] | None = None,
    contention: Contention,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
) -> Updated[T]: ...


@overload
def update(
    read: Callable[[], Versioned[T] | None],
    change: Callable[[T], T | None],
    write: Callable[[T, str | None], object],
    *,
    new: Callable[[], T],
    name: str,
    details: dict[str, Any] | None = None,
    contention: Contention,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
) -> Updated[T]: ...


def update(
    read: Callable[[], Versioned[T] | None],
    change: Callable[[T], T | None],
    write: Callable[[T, Any], object],
    *,
    new: Callable[[], T] | None = None,
    name: str,
    details: dict[str, Any] | None = None,
    contention: Contention,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
) -> Updated[T]:
    """Apply `change` to the item `read` returns and `write` it conditional on the etag read, until a write wins.

    An item that may not be stored yet: `read` returns None for it, `new` makes what it starts as, and `write` gets
    None for the etag (create; losing to another creator is a lost race too). `name` ("job 'job_1'") and `details`
    go into the KeptChanging raised after `contention.attempts` lost races.
    """
    for lost in range(1, contention.attempts + 1):
        current = read()
        etag: str | None
        if current is not None:
            before, etag = current.item, current.etag
        elif new is not None:
            before, etag = new(), None
        else:
            raise TypeError(f"{name}: read found nothing and there is no `new` to start from")
        updated = change(before)
        if updated is None:
            return Updated(before, before, written=False)
        try:
            write(updated, etag)
        except ConflictError:
            sleep(contention.pause(lost, rand))
            continue
        return Updated(before, updated, written=True)
    raise KeptChanging(f"{name} kept changing; gave up after {contention.attempts} attempts", details=details)
