"""Model-call figures (the operations summary's `llm_usage`), against SQLite and Cosmos alike: one item per
(deployment, bucket, worker), rewritten whole by its worker; a read returns every worker's items from a bucket on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared.ops.usage_figures import USAGE_TTL_SECONDS, ModelUsage
from shared.storage.base import Repositories
from shared.storage.sqlite import sqlite_repositories

pytestmark = pytest.mark.filterwarnings("ignore:Unverified HTTPS request")

BUCKET = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
LATER = BUCKET + timedelta(minutes=5)


@pytest.fixture
def deployment() -> str:
    # The Cosmos database is shared by the session: each test reads its own deployment's items.
    return f"gpt-4o/{uuid.uuid4().hex[:8]}?"  # not id-safe on purpose


def usage(deployment: str, bucket: datetime, worker: str, calls: int, **figures: float) -> ModelUsage:
    return ModelUsage(deployment=deployment, selection="primary", bucket=bucket, worker=worker, calls=calls, **figures)


def mine(repos: Repositories, deployment: str, start: datetime) -> list[ModelUsage]:
    return sorted(
        (u for u in repos.usage.since(start) if u.deployment == deployment), key=lambda u: (u.bucket, u.worker)
    )


def test_items_round_trip_and_a_rewrite_replaces_the_workers_own(repos: Repositories, deployment: str) -> None:
    first = usage(deployment, BUCKET, "host-1-a", 3, answered=2, throttled=1, prompt_tokens=900, queue_wait_s=1.5)
    repos.usage.put([first])
    assert mine(repos, deployment, BUCKET) == [first]
    # The worker's running total grew: the item is rewritten, not added to.
    grown = first.model_copy(update={"calls": 5, "answered": 4, "prompt_tokens": 1500})
    repos.usage.put([grown])
    assert mine(repos, deployment, BUCKET) == [grown]


def test_workers_and_buckets_have_their_own_items(repos: Repositories, deployment: str) -> None:
    items = [
        usage(deployment, BUCKET, "host-1-a", 1),
        usage(deployment, BUCKET, "host-2-b", 2),
        usage(deployment, LATER, "host-1-a", 4, deferrals=1, deferred_s=12.5),
    ]
    repos.usage.put(items)
    assert mine(repos, deployment, BUCKET) == items
    assert mine(repos, deployment, LATER) == items[2:]  # from a bucket on
    assert mine(repos, deployment, LATER + timedelta(seconds=1)) == []
    other = usage(deployment + "-other", BUCKET, "host-1-a", 7)
    repos.usage.put([other])
    assert mine(repos, deployment, BUCKET) == items


def test_an_empty_put_writes_nothing(repos: Repositories, deployment: str) -> None:
    repos.usage.put([])
    assert mine(repos, deployment, BUCKET) == []


def test_sqlite_items_expire_two_days_after_their_last_write(tmp_path: object, deployment: str) -> None:
    now = [1_000_000.0]
    repos = sqlite_repositories(tmp_path, clock=lambda: now[0])  # type: ignore[arg-type]
    repos.usage.put([usage(deployment, BUCKET, "w", 1)])
    now[0] += USAGE_TTL_SECONDS - 1
    assert len(mine(repos, deployment, BUCKET)) == 1
    now[0] += 2
    assert mine(repos, deployment, BUCKET) == []
