"""The batch repository contract, against SQLite and Cosmos alike."""

from __future__ import annotations

import json

import pytest
from azure.cosmos import DatabaseProxy
from azure.cosmos.exceptions import CosmosAccessConditionFailedError

from shared.batches.models import BatchStatus
from shared.errors import ConflictError, NotFoundError, ValidationFailed
from shared.storage.base import Repositories
from shared.storage.cosmos_batches import BATCHES, CosmosBatchRepository
from shared.storage.cosmos_chunks import write_head
from tests.shared.storage.helpers import COSMOS_ITEM_LIMIT, SUMMARY, big_text, cosmos_items, make_batch

pytestmark = pytest.mark.filterwarnings("ignore:Unverified HTTPS request")


def test_batch_create_get_round_trips_every_field(repos: Repositories, user: str) -> None:
    batch = make_batch(user, "b1", documents=8, summary=SUMMARY, staging_job_id="j1", status=BatchStatus.STAGED)
    repos.batches.create(batch)
    assert repos.batches.get(user, "b1").item == batch


def test_batch_create_twice_conflicts_and_missing_is_not_found(repos: Repositories, user: str) -> None:
    repos.batches.create(make_batch(user, "b1"))
    with pytest.raises(ConflictError, match="b1"):
        repos.batches.create(make_batch(user, "b1", status=BatchStatus.STAGING))
    assert repos.batches.get(user, "b1").item.status == BatchStatus.SAVED
    with pytest.raises(NotFoundError, match="nope"):
        repos.batches.get(user, "nope")
    with pytest.raises(NotFoundError, match="nope"):
        repos.batches.replace(make_batch(user, "nope"), "1")


def test_batch_replace_needs_the_current_etag(repos: Repositories, user: str) -> None:
    repos.batches.create(make_batch(user, "b1"))
    first = repos.batches.get(user, "b1")
    staging = first.item.model_copy(update={"status": BatchStatus.STAGING, "staging_job_id": "j1"})
    new_etag = repos.batches.replace(staging, first.etag)
    assert new_etag != first.etag
    assert repos.batches.get(user, "b1") == repos.batches.get(user, "b1")  # reads do not move the etag
    assert repos.batches.get(user, "b1").etag == new_etag
    with pytest.raises(ConflictError, match="b1"):
        repos.batches.replace(first.item.model_copy(update={"status": BatchStatus.CANCELLED}), first.etag)
    current = repos.batches.get(user, "b1")
    assert (current.item.status, current.item.staging_job_id) == (BatchStatus.STAGING, "j1")
    repos.batches.replace(current.item.model_copy(update={"status": BatchStatus.STAGED}), current.etag)
    assert repos.batches.get(user, "b1").item.status == BatchStatus.STAGED


def test_another_users_batches_are_invisible(repos: Repositories, user: str, other_user: str) -> None:
    repos.batches.create(make_batch(user, "b1"))
    etag = repos.batches.get(user, "b1").etag
    with pytest.raises(NotFoundError, match="b1"):
        repos.batches.get(other_user, "b1")
    with pytest.raises(NotFoundError, match="b1"):
        repos.batches.replace(make_batch(other_user, "b1", status=BatchStatus.CANCELLED), etag)
    assert repos.batches.list(other_user).items == []
    assert repos.batches.get(user, "b1").item.status == BatchStatus.SAVED


def test_batch_list_pages_newest_first_including_equal_times(repos: Repositories, user: str, other_user: str) -> None:
    for index in range(4):
        repos.batches.create(make_batch(user, f"b{index}", minute=index))
    for index in range(4, 7):
        repos.batches.create(make_batch(user, f"b{index}", minute=9))  # the same created_at: the id decides
    repos.batches.create(make_batch(other_user, "foreign", minute=99))
    seen: list[str] = []
    page = repos.batches.list(user, limit=2)
    seen += [b.batch_id for b in page.items]
    while page.continuation:
        page = repos.batches.list(user, limit=2, continuation=page.continuation)
        seen += [b.batch_id for b in page.items]
    assert seen == ["b6", "b5", "b4", "b3", "b2", "b1", "b0"]
    everything = repos.batches.list(user, limit=7)
    assert [b.batch_id for b in everything.items] == seen and everything.continuation is None
    assert everything.items[0] == make_batch(user, "b6", minute=9)  # whole batches, bodies included


def test_batch_list_rejects_a_bad_continuation_or_limit(repos: Repositories, user: str) -> None:
    with pytest.raises(ValidationFailed, match="continuation"):
        repos.batches.list(user, continuation="garbage!")
    with pytest.raises(ValidationFailed, match="limit"):
        repos.batches.list(user, limit=5000)


def test_a_batch_over_two_megabytes_round_trips_and_replaces_whole(repos: Repositories, user: str) -> None:
    big = make_batch(user, "big", documents=12_000)  # its staging report alone is over 2 MB
    assert len(big.model_dump_json()) > COSMOS_ITEM_LIMIT
    repos.batches.create(big)
    current = repos.batches.get(user, "big")
    assert current.item == big
    if repos.backend == "cosmos":
        items = cosmos_items(repos.batches.container, user)  # type: ignore[attr-defined]
        assert len(items) >= 3  # head + chunks
        assert all(len(json.dumps(item).encode()) < COSMOS_ITEM_LIMIT for item in items)
    assert repos.batches.list(user).items == [big]

    bigger = big.model_copy(update={"status": BatchStatus.STAGED, "documents": big.documents + big.documents[:1000]})
    etag = repos.batches.replace(bigger, current.etag)
    with pytest.raises(ConflictError):  # the old etag is stale, and a failed replace leaves no chunks behind
        repos.batches.replace(big, current.etag)
    assert repos.batches.get(user, "big") == type(current)(bigger, etag)

    small = make_batch(user, "big", documents=1)
    repos.batches.replace(small, etag)
    assert repos.batches.get(user, "big").item == small
    if repos.backend == "cosmos":
        assert len(cosmos_items(repos.batches.container, user)) == 1  # type: ignore[attr-defined]


def test_batch_ids_cosmos_cannot_hold_are_refused(repos: Repositories, user: str) -> None:
    with pytest.raises(ValidationFailed, match="batch_id"):
        repos.batches.create(make_batch(user, "a/b"))
    with pytest.raises(NotFoundError):
        repos.batches.get(user, "a/b")
    assert repos.batches.list(user).items == []


@pytest.mark.cosmos
def test_a_lost_etag_race_leaves_no_chunks_behind(cosmos_database: DatabaseProxy, user: str) -> None:
    """The race replace cannot see in advance: the head changes between its read and its write."""
    container = cosmos_database.get_container_client(BATCHES)
    CosmosBatchRepository(container).create(make_batch(user, "b1"))
    head = container.read_item("b1", partition_key=user)
    container.upsert_item(head)  # someone else's write: a new etag
    with pytest.raises(CosmosAccessConditionFailedError):
        write_head(container, {**head, "body": None}, {"text": big_text(3)}, create=False, etag=head["_etag"])
    assert [item["id"] for item in cosmos_items(container, user)] == ["b1"]
