"""The response record repository contract, against SQLite and Cosmos alike."""

from __future__ import annotations

import pytest

from shared.batches.models import RecordStatus, ResponseRecord
from shared.errors import ConflictError, NotFoundError, ValidationFailed
from shared.storage.base import Repositories
from shared.storage.common import encode_continuation
from tests.shared.storage.helpers import answered, make_record

pytestmark = pytest.mark.filterwarnings("ignore:Unverified HTTPS request")

ZERO = {"QUEUED": 0, "S": 0, "F": 0}


def all_pages(repos: Repositories, user: str, batch_id: str, *, limit: int, **filters: object) -> list[ResponseRecord]:
    records: list[ResponseRecord] = []
    continuation = None
    while True:
        page = repos.records.query(user, batch_id, limit=limit, continuation=continuation, **filters)  # type: ignore[arg-type]
        assert len(page.items) <= limit
        records += page.items
        continuation = page.continuation
        if continuation is None:
            return records


def test_records_round_trip_with_their_etag(repos: Repositories, user: str) -> None:
    record = answered(make_record(user, "b1", 0, 0), score=0.5)
    repos.records.upsert_many([record])
    current = repos.records.get(user, record.record_id)
    assert current.item == record
    assert current.item.record_id == "b1:d00000:000"
    with pytest.raises(NotFoundError, match="b1:d00000:001"):
        repos.records.get(user, "b1:d00000:001")


def test_replace_needs_the_current_etag_and_upserts_move_it(repos: Repositories, user: str) -> None:
    record = make_record(user, "b1", 0, 0)
    repos.records.upsert_many([record])
    first = repos.records.get(user, record.record_id)
    new_etag = repos.records.replace(answered(record), first.etag)
    assert new_etag != first.etag
    assert repos.records.get(user, record.record_id).etag == new_etag
    failed = record.model_copy(update={"status": RecordStatus.F, "error": "HTTP 400"})
    with pytest.raises(ConflictError, match="b1:d00000:000"):
        repos.records.replace(failed, first.etag)
    assert repos.records.get(user, record.record_id).item == answered(record)

    repos.records.upsert_many([record])  # staging again writes the record over, whatever its etag
    with pytest.raises(ConflictError):
        repos.records.replace(failed, new_etag)
    assert repos.records.get(user, record.record_id).item == record
    with pytest.raises(NotFoundError, match="b1:d00009:000"):
        repos.records.replace(make_record(user, "b1", 9, 0), new_etag)


def test_another_users_records_are_invisible(repos: Repositories, user: str, other_user: str) -> None:
    records = [make_record(user, "b1", document, 0) for document in range(3)]
    repos.records.upsert_many(records)
    etag = repos.records.get(user, records[0].record_id).etag
    with pytest.raises(NotFoundError):
        repos.records.get(other_user, records[0].record_id)
    with pytest.raises(NotFoundError):
        repos.records.replace(make_record(other_user, "b1", 0, 0), etag)
    assert repos.records.query(other_user, "b1").items == []
    assert repos.records.counts(other_user, "b1") == ZERO
    assert repos.records.counts(user, "b1") == {"QUEUED": 3, "S": 0, "F": 0}


def test_counts_name_every_status_with_zeros(repos: Repositories, user: str) -> None:
    assert repos.records.counts(user, "b1") == ZERO
    repos.records.upsert_many([make_record(user, "b1", 0, 0), answered(make_record(user, "b1", 0, 1))])
    repos.records.upsert_many([make_record(user, "b2", 0, 0)])  # another batch is counted apart
    assert repos.records.counts(user, "b1") == {"QUEUED": 1, "S": 1, "F": 0}
    assert repos.records.counts(user, "b2") == {"QUEUED": 1, "S": 0, "F": 0}


def test_query_orders_by_record_id_and_filters_by_status(repos: Repositories, user: str) -> None:
    statuses = [RecordStatus.QUEUED, RecordStatus.S, RecordStatus.F]
    records = [
        make_record(user, "b1", document, prompt, status=statuses[(document + prompt) % 3])
        for document in reversed(range(4))  # written out of order: the order comes from the store
        for prompt in range(3)
    ]
    repos.records.upsert_many(records)
    repos.records.upsert_many([make_record(user, "b10", 0, 0), make_record(user, "b", 0, 0)])  # neighbours' ids
    ids = sorted(record.record_id for record in records)
    assert [r.record_id for r in repos.records.query(user, "b1").items] == ids
    assert [r.record_id for r in all_pages(repos, user, "b1", limit=5)] == ids
    for status in statuses:
        expected = sorted(r.record_id for r in records if r.status == status)
        assert [r.record_id for r in all_pages(repos, user, "b1", limit=3, statuses=[status])] == expected
    failed_or_queued = sorted(r.record_id for r in records if r.status != RecordStatus.S)
    got = all_pages(repos, user, "b1", limit=2, statuses=[RecordStatus.F, RecordStatus.QUEUED])
    assert [r.record_id for r in got] == failed_or_queued
    assert repos.records.query(user, "nope").items == []


def test_paging_holds_while_records_change_status(repos: Repositories, user: str) -> None:
    repos.records.upsert_many([make_record(user, "b1", document, 0) for document in range(6)])
    first = repos.records.query(user, "b1", statuses=[RecordStatus.QUEUED], limit=2)
    # The evaluation answers the records already read, and one not yet read, between two pages.
    repos.records.upsert_many([answered(r) for r in first.items] + [answered(make_record(user, "b1", 3, 0))])
    rest = all_pages(repos, user, "b1", limit=2, statuses=[RecordStatus.QUEUED])
    second = repos.records.query(user, "b1", statuses=[RecordStatus.QUEUED], limit=2, continuation=first.continuation)
    assert [r.document_id for r in first.items] == ["d00000", "d00001"]
    assert [r.document_id for r in second.items] == ["d00002", "d00004"]
    assert [r.document_id for r in rest] == ["d00002", "d00004", "d00005"]


def test_thousands_of_records_upsert_in_one_call_then_query_by_status(repos: Repositories, user: str) -> None:
    # A batch staged: 800 documents x 3 prompts (the Cosmos test server takes ~3 ms a write: kept to a few thousand).
    records = [make_record(user, "big", document, prompt) for document in range(800) for prompt in range(3)]
    repos.records.upsert_many(records)
    assert repos.records.counts(user, "big") == {"QUEUED": 2_400, "S": 0, "F": 0}
    done = [
        answered(r) if r.prompt_index != 1 else r.model_copy(update={"status": RecordStatus.F}) for r in records[:600]
    ]
    repos.records.upsert_many(done)
    assert repos.records.counts(user, "big") == {"QUEUED": 1_800, "S": 400, "F": 200}
    failed = all_pages(repos, user, "big", limit=150, statuses=[RecordStatus.F])
    assert [r.record_id for r in failed] == sorted(r.record_id for r in done if r.status == RecordStatus.F)
    queued = all_pages(repos, user, "big", limit=1000, statuses=[RecordStatus.QUEUED])
    assert [r.record_id for r in queued] == sorted(r.record_id for r in records[600:])
    assert queued[0] == records[600]  # whole records back
    assert repos.records.get(user, done[1].record_id).item == done[1]


def test_query_rejects_garbage_and_foreign_continuations(repos: Repositories, user: str) -> None:
    with pytest.raises(ValidationFailed, match="continuation"):
        repos.records.query(user, "b1", continuation="@@@")
    with pytest.raises(ValidationFailed, match="continuation"):
        repos.records.query(user, "b1", continuation=encode_continuation("2025-01-01", "a-job-list-token"))
    with pytest.raises(ValidationFailed, match="limit"):
        repos.records.query(user, "b1", limit=0)


def test_an_invalid_record_id_writes_nothing(repos: Repositories, user: str) -> None:
    good = make_record(user, "b1", 0, 0)
    bad = good.model_copy(update={"record_id": "b1/d/0"})
    with pytest.raises(ValidationFailed, match="record_id"):
        repos.records.upsert_many([good, bad])
    assert repos.records.counts(user, "b1") == ZERO
    with pytest.raises(NotFoundError):
        repos.records.get(user, "b1/d/0")
