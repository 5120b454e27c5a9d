"""Which store failures mean "not now" (the API's 503, the job's retry), and a paid answer written in place."""

from __future__ import annotations

import sqlite3

import pytest
from azure.core.exceptions import ResourceNotFoundError, ServiceRequestError, ServiceResponseError
from azure.cosmos.exceptions import CosmosAccessConditionFailedError, CosmosHttpResponseError

from shared.errors import ConflictError
from shared.storage.unavailable import KEEP_BUDGET_S, StoreUnavailable, is_unavailable, keep


@pytest.mark.parametrize(
    "failure",
    [
        CosmosHttpResponseError(status_code=429, message="throttled"),
        CosmosHttpResponseError(status_code=503, message="unavailable"),
        CosmosHttpResponseError(status_code=408, message="timeout"),
        ServiceRequestError("connection refused"),
        ServiceResponseError("connection reset"),
        sqlite3.OperationalError("database is locked"),
        StoreUnavailable("down"),
    ],
)
def test_throttled_down_unreachable_cut_off_and_locked_are_unavailable(failure: Exception) -> None:
    assert is_unavailable(failure)


@pytest.mark.parametrize(
    "failure",
    [
        CosmosHttpResponseError(status_code=400, message="bad request"),
        CosmosAccessConditionFailedError(status_code=412, message="etag"),
        ResourceNotFoundError("no such blob"),
        ConflictError("exists"),
        sqlite3.OperationalError("no such table: jobs"),
        ValueError("a bug"),
    ],
)
def test_refusals_conflicts_and_bugs_are_not(failure: Exception) -> None:
    assert not is_unavailable(failure)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


def test_keep_writes_again_while_the_store_is_unavailable_with_growing_pauses() -> None:
    clock = Clock()
    outcomes = iter([ServiceResponseError("reset"), CosmosHttpResponseError(status_code=503, message="x"), "stored"])

    def write() -> str:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert keep(write, "answer", sleep=clock.sleep, clock=lambda: clock.now) == "stored"
    assert clock.pauses == [0.5, 1.0]


def test_keep_gives_up_after_its_budget_and_at_once_on_anything_else() -> None:
    clock = Clock()

    def down() -> None:
        raise ServiceRequestError("refused")

    with pytest.raises(ServiceRequestError):
        keep(down, "answer", sleep=clock.sleep, clock=lambda: clock.now)
    assert KEEP_BUDGET_S - 8.0 <= clock.now <= KEEP_BUDGET_S

    calls = []

    def refused() -> None:
        calls.append(1)
        raise ConflictError("not a store outage")

    with pytest.raises(ConflictError):
        keep(refused, "answer", sleep=clock.sleep, clock=lambda: clock.now)
    assert calls == [1]
