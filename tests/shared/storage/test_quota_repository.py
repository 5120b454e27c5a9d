"""The model deployments' budgets, against SQLite and Cosmos alike: one item per deployment, created once and
replaced under its ETag, so two workers that write at once cannot both win."""

from __future__ import annotations

import uuid

import pytest

from shared.errors import ConflictError
from shared.storage.base import Repositories
from tests.support.stores import race, race_rounds

pytestmark = pytest.mark.filterwarnings("ignore:Unverified HTTPS request")


@pytest.fixture
def key() -> str:
    # Deployment keys hold URLs: "/" and "?" must not matter. The Cosmos database is shared by the session.
    return f"azure_openai|https://aoai.example/openai?x={uuid.uuid4().hex[:8]}|gpt-4o/primary"


def test_a_missing_budget_reads_as_none_and_is_created_once(repos: Repositories, key: str) -> None:
    assert repos.quota.read(key) is None
    etag = repos.quota.write(key, '{"rate": 1.0}', None)
    stored = repos.quota.read(key)
    assert stored is not None and (stored.item, stored.etag) == ('{"rate": 1.0}', etag)
    with pytest.raises(ConflictError):
        repos.quota.write(key, '{"rate": 0.5}', None)  # another worker created it first
    assert repos.quota.read(key) == stored


def test_a_replace_needs_the_etag_it_read(repos: Repositories, key: str) -> None:
    first = repos.quota.write(key, "one", None)
    second = repos.quota.write(key, "two", first)
    assert second != first
    with pytest.raises(ConflictError):
        repos.quota.write(key, "stale", first)
    stored = repos.quota.read(key)
    assert stored is not None and (stored.item, stored.etag) == ("two", second)


def test_budgets_of_different_deployments_are_apart(repos: Repositories, key: str) -> None:
    repos.quota.write(key, "primary", None)
    repos.quota.write(key + "-secondary", "secondary", None)
    primary, secondary = repos.quota.read(key), repos.quota.read(key + "-secondary")
    assert primary is not None and secondary is not None
    assert (primary.item, secondary.item) == ("primary", "secondary")


def test_a_large_state_round_trips(repos: Repositories, key: str) -> None:
    state = '{"charges": [' + ",".join(f"[{1e9 + i}, {i}, 1]" for i in range(4_000)) + "]}"
    repos.quota.write(key, state, None)
    stored = repos.quota.read(key)
    assert stored is not None and stored.item == state


def test_of_two_workers_replacing_with_one_etag_exactly_one_wins(repos: Repositories, key: str) -> None:
    etag = repos.quota.write(key, "0", None)
    for round_ in range(race_rounds(repos)):
        current = repos.quota.read(key)
        assert current is not None
        read_etag = current.etag
        errors = race(
            lambda state=f"a{round_}", etag=read_etag: repos.quota.write(key, state, etag),
            lambda state=f"b{round_}", etag=read_etag: repos.quota.write(key, state, etag),
        )
        assert len(errors) == 1 and isinstance(errors[0], ConflictError)
        after = repos.quota.read(key)
        assert after is not None and after.item in (f"a{round_}", f"b{round_}") and after.etag != etag
        etag = after.etag
