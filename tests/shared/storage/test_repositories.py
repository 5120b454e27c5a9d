"""The repository contract: every test runs against SQLite and against Cosmos (the `repos` fixture)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.contracts.models import ClauseRecord, Contract
from shared.errors import ConflictError, NotFoundError, ValidationFailed
from shared.jobs.document import Job, parse_job
from shared.jobs.models import JobStatus, JobType
from shared.jobs.results import AnalysisResult
from shared.storage.base import Repositories

pytestmark = pytest.mark.filterwarnings("ignore:Unverified HTTPS request")

COSMOS_ITEM_LIMIT = 2 * 1024 * 1024
BASE = datetime(2025, 3, 1, tzinfo=UTC)


def make_contract(user_id: str, contract_id: str, *, text: str = "1. Term\nOne year.", minute: int = 0) -> Contract:
    half = len(text) // 2
    return Contract(
        contract_id=contract_id,
        user_id=user_id,
        title=f"Contract {contract_id}",
        filename=f"{contract_id}.txt",
        source_format="txt",
        text=text,
        clauses=[
            ClauseRecord(index=0, number="1", title="First", text=text[:half], start=0, end=half),
            ClauseRecord(index=1, number="2", title="Second", text=text[half:], start=half, end=len(text)),
        ],
        token_count=len(text) // 4,
        created_at=BASE + timedelta(minutes=minute),
    )


REQUESTS: dict[JobType, dict[str, Any]] = {
    JobType.COMPARISON: {"standardContractId": "s", "compareContractIds": ["a"]},
    JobType.QUERY: {"question": "Which law governs?", "contract_ids": ["a", "b"]},
}


def make_job(user_id: str, job_id: str, *, minute: int = 0, **fields: Any) -> Job:
    job_type = fields.pop("job_type", JobType.COMPARISON)
    return parse_job(
        {
            "job_id": job_id,
            "user_id": user_id,
            "job_type": job_type,
            "request": REQUESTS[job_type],
            "created_at": BASE + timedelta(minutes=minute),
            **fields,
        }
    )


def raw_items(repos: Repositories, repo: Any, user_id: str) -> list[dict[str, Any]]:
    """Every stored Cosmos item of a user in a repository's container (to check sizes and leftovers)."""
    return list(
        repo.container.query_items(
            "SELECT * FROM c WHERE c.user_id = @u", parameters=[{"name": "@u", "value": user_id}], partition_key=user_id
        )
    )


def big_text(megabytes: int) -> str:
    # Mixed content: ASCII, quotes and newlines (escaped in JSON) and multi-byte characters (wider in UTF-8).
    unit = 'Clause 7.1 "Indemnity" — the Supplier shall indemnify § ü 契約\n'
    return (unit * (megabytes * 1024 * 1024 // len(unit.encode()) + 1))[: megabytes * 1024 * 1024 // 1]


# --- contracts ---------------------------------------------------------------------------------------


def test_contract_round_trip(repos: Repositories, user: str) -> None:
    contract = make_contract(user, "c1")
    repos.contracts.add(contract)
    assert repos.contracts.get(user, "c1") == contract


def test_contract_add_twice_conflicts(repos: Repositories, user: str) -> None:
    repos.contracts.add(make_contract(user, "c1"))
    with pytest.raises(ConflictError, match="c1"):
        repos.contracts.add(make_contract(user, "c1", text="other"))
    assert repos.contracts.get(user, "c1").text == "1. Term\nOne year."


def test_contract_of_another_user_is_not_found(repos: Repositories, user: str, other_user: str) -> None:
    repos.contracts.add(make_contract(user, "c1"))
    with pytest.raises(NotFoundError, match="c1"):
        repos.contracts.get(other_user, "c1")
    with pytest.raises(NotFoundError):
        repos.contracts.delete(other_user, "c1")
    assert repos.contracts.missing(other_user, ["c1"]) == ["c1"]
    assert repos.contracts.list(other_user).items == []
    assert repos.contracts.get(user, "c1").contract_id == "c1"


def test_get_many_keeps_order_and_names_every_missing_id(repos: Repositories, user: str) -> None:
    for index, contract_id in enumerate(["a", "b", "c"]):
        repos.contracts.add(make_contract(user, contract_id, minute=index))
    assert [c.contract_id for c in repos.contracts.get_many(user, ["c", "a", "b"])] == ["c", "a", "b"]
    with pytest.raises(NotFoundError) as caught:
        repos.contracts.get_many(user, ["a", "x", "b", "y"])
    assert caught.value.details == {"missing": ["x", "y"]}
    assert repos.contracts.missing(user, ["x", "a", "y"]) == ["x", "y"]
    assert repos.contracts.missing(user, []) == []


def test_contract_list_pages_newest_first_with_continuation(repos: Repositories, user: str) -> None:
    for minute in range(7):
        repos.contracts.add(make_contract(user, f"c{minute}", minute=minute))
    seen: list[str] = []
    continuation = None
    pages = 0
    while True:
        page = repos.contracts.list(user, limit=3, continuation=continuation)
        seen += [summary.contract_id for summary in page.items]
        pages += 1
        continuation = page.continuation
        if continuation is None:
            break
    assert seen == [f"c{m}" for m in reversed(range(7))]
    assert pages == 3
    first = repos.contracts.list(user, limit=1).items[0]
    assert (first.clause_count, first.char_count, first.title) == (2, len("1. Term\nOne year."), "Contract c6")


def test_contract_delete(repos: Repositories, user: str) -> None:
    repos.contracts.add(make_contract(user, "c1"))
    repos.contracts.delete(user, "c1")
    with pytest.raises(NotFoundError):
        repos.contracts.get(user, "c1")
    with pytest.raises(NotFoundError):
        repos.contracts.delete(user, "c1")
    repos.contracts.add(make_contract(user, "c1"))  # the id is free again


def test_bad_continuation_and_limit_are_rejected(repos: Repositories, user: str) -> None:
    with pytest.raises(ValidationFailed, match="continuation"):
        repos.contracts.list(user, continuation="not-a-token")
    with pytest.raises(ValidationFailed, match="continuation"):
        repos.jobs.query(user, continuation="%%%")
    with pytest.raises(ValidationFailed, match="limit"):
        repos.jobs.query(user, limit=0)


def test_five_megabyte_contract_round_trips_whole(repos: Repositories, user: str) -> None:
    contract = make_contract(user, "huge", text=big_text(5))
    repos.contracts.add(contract)
    loaded = repos.contracts.get(user, "huge")
    assert loaded.text == contract.text
    assert loaded.clauses == contract.clauses
    assert repos.contracts.list(user).items[0].char_count == len(contract.text)
    if repos.backend == "cosmos":
        items = raw_items(repos, repos.contracts, user)
        assert len(items) > 3  # head + chunks
        assert all(len(json.dumps(item).encode()) < COSMOS_ITEM_LIMIT for item in items)
    repos.contracts.delete(user, "huge")
    if repos.backend == "cosmos":
        assert raw_items(repos, repos.contracts, user) == []  # chunks go with their contract


# --- jobs ----------------------------------------------------------------------------------------------


def test_job_create_get_replace_with_etag(repos: Repositories, user: str) -> None:
    job = make_job(user, "j1")
    repos.jobs.create(job)
    current = repos.jobs.get(user, "j1")
    assert current.item == job
    updated = current.item.model_copy(update={"status": JobStatus.PROCESSING})
    new_etag = repos.jobs.replace(updated, current.etag)
    assert new_etag != current.etag
    again = repos.jobs.get(user, "j1")
    assert (again.item.status, again.etag) == (JobStatus.PROCESSING, new_etag)


def test_job_replace_with_stale_etag_conflicts(repos: Repositories, user: str) -> None:
    repos.jobs.create(make_job(user, "j1"))
    first = repos.jobs.get(user, "j1")
    repos.jobs.replace(first.item.model_copy(update={"status": JobStatus.PROCESSING}), first.etag)
    with pytest.raises(ConflictError, match="j1"):
        repos.jobs.replace(first.item.model_copy(update={"status": JobStatus.CANCELLED}), first.etag)
    assert repos.jobs.get(user, "j1").item.status == JobStatus.PROCESSING


def test_job_create_twice_conflicts_and_missing_is_not_found(repos: Repositories, user: str) -> None:
    repos.jobs.create(make_job(user, "j1"))
    with pytest.raises(ConflictError, match="j1"):
        repos.jobs.create(make_job(user, "j1"))
    with pytest.raises(NotFoundError, match="nope"):
        repos.jobs.get(user, "nope")
    with pytest.raises(NotFoundError):
        repos.jobs.replace(make_job(user, "nope"), "1")


def test_job_of_another_user_is_not_found(repos: Repositories, user: str, other_user: str) -> None:
    repos.jobs.create(make_job(user, "j1"))
    etag = repos.jobs.get(user, "j1").etag
    with pytest.raises(NotFoundError):
        repos.jobs.get(other_user, "j1")
    with pytest.raises(NotFoundError):
        repos.jobs.replace(make_job(other_user, "j1"), etag)
    assert repos.jobs.query(other_user).items == []
    assert sum(repos.jobs.counts(other_user).values()) == 0


def test_job_query_filters_and_pages(repos: Repositories, user: str, other_user: str) -> None:
    statuses = [JobStatus.QUEUED, JobStatus.PROCESSING, JobStatus.COMPLETED, JobStatus.FAILED]
    for index in range(12):
        job_type = JobType.QUERY if index % 3 == 0 else JobType.COMPARISON
        repos.jobs.create(make_job(user, f"j{index:02}", minute=index, status=statuses[index % 4], job_type=job_type))
    repos.jobs.create(make_job(other_user, "foreign", minute=99))

    everything = repos.jobs.query(user, limit=100)
    assert [job.job_id for job in everything.items] == [f"j{i:02}" for i in reversed(range(12))]
    assert everything.continuation is None

    finished = repos.jobs.query(user, statuses=[JobStatus.COMPLETED, JobStatus.FAILED])
    assert [job.job_id for job in finished.items] == ["j11", "j10", "j07", "j06", "j03", "j02"]
    queries = repos.jobs.query(user, job_type=JobType.QUERY)
    assert [job.job_id for job in queries.items] == ["j09", "j06", "j03", "j00"]
    both = repos.jobs.query(user, statuses=[JobStatus.COMPLETED], job_type=JobType.QUERY)
    assert [job.job_id for job in both.items] == ["j06"]

    paged: list[str] = []
    page = repos.jobs.query(user, limit=5)
    paged += [job.job_id for job in page.items]
    while page.continuation:
        page = repos.jobs.query(user, limit=5, continuation=page.continuation)
        paged += [job.job_id for job in page.items]
    assert paged == [job.job_id for job in everything.items]

    filtered_page = repos.jobs.query(user, statuses=[JobStatus.QUEUED, JobStatus.PROCESSING], limit=4)
    rest = repos.jobs.query(
        user, statuses=[JobStatus.QUEUED, JobStatus.PROCESSING], limit=4, continuation=filtered_page.continuation
    )
    assert [j.job_id for j in filtered_page.items + rest.items] == ["j09", "j08", "j05", "j04", "j01", "j00"]
    assert rest.continuation is None


def test_job_paging_survives_equal_created_at(repos: Repositories, user: str) -> None:
    for index in range(5):
        repos.jobs.create(make_job(user, f"same{index}", minute=0))
    first = repos.jobs.query(user, limit=2)
    second = repos.jobs.query(user, limit=2, continuation=first.continuation)
    third = repos.jobs.query(user, limit=2, continuation=second.continuation)
    ids = [job.job_id for page in (first, second, third) for job in page.items]
    assert sorted(ids) == [f"same{i}" for i in range(5)]
    assert len(set(ids)) == 5


def test_job_counts_include_every_status(repos: Repositories, user: str) -> None:
    assert repos.jobs.counts(user) == {status.value: 0 for status in JobStatus}
    for index, status in enumerate([JobStatus.QUEUED, JobStatus.QUEUED, JobStatus.FAILED]):
        repos.jobs.create(make_job(user, f"j{index}", status=status))
    assert repos.jobs.counts(user) == {"queued": 2, "processing": 0, "completed": 0, "failed": 1, "cancelled": 0}


def test_job_ttl_is_stored(repos: Repositories, user: str) -> None:
    repos.jobs.create(make_job(user, "j1"))
    repos.jobs.create(make_job(user, "j2", ttl=60))
    assert repos.jobs.get(user, "j1").item.ttl == 604_800
    assert repos.jobs.get(user, "j2").item.ttl == 60
    if repos.backend == "cosmos":
        ttls = {item["id"]: item["ttl"] for item in raw_items(repos, repos.jobs, user)}
        assert ttls == {"j1": 604_800, "j2": 60}


# --- results -----------------------------------------------------------------------------------------


def make_result(user_id: str, result_id: str = "r1", **fields: Any) -> AnalysisResult:
    return AnalysisResult(
        result_id=result_id,
        job_id="j1",
        user_id=user_id,
        job_type=JobType.QUERY,
        created_at=BASE,
        result=fields.pop("result", {"answer": "yes", "citations": []}),
        **fields,
    )


def test_result_save_is_an_upsert(repos: Repositories, user: str, other_user: str) -> None:
    repos.results.save(make_result(user))
    repos.results.save(make_result(user, result={"answer": "no"}))
    assert repos.results.get(user, "r1") == make_result(user, result={"answer": "no"})
    with pytest.raises(NotFoundError, match="r1"):
        repos.results.get(other_user, "r1")
    with pytest.raises(NotFoundError, match="r2"):
        repos.results.get(user, "r2")


def test_result_ttl_round_trips(repos: Repositories, user: str) -> None:
    repos.results.save(make_result(user, "keep", ttl=None))
    repos.results.save(make_result(user, "week"))
    assert repos.results.get(user, "keep").ttl is None
    assert repos.results.get(user, "week").ttl == 604_800


def test_large_result_round_trips(repos: Repositories, user: str) -> None:
    result = make_result(user, result={"answer": big_text(3), "citations": [{"quote": "x" * 1000}] * 10})
    repos.results.save(result)
    assert repos.results.get(user, "r1") == result
    repos.results.save(make_result(user))  # shrinking back leaves no chunks behind
    assert repos.results.get(user, "r1") == make_result(user)
    if repos.backend == "cosmos":
        assert len(raw_items(repos, repos.results, user)) == 1


# --- artifacts ---------------------------------------------------------------------------------------


def test_artifact_put_get_overwrite(repos: Repositories, user: str, other_user: str) -> None:
    repos.artifacts.put(user, "j1", "prompt", "first")
    repos.artifacts.put(user, "j1", "prompt", "second")
    repos.artifacts.put(user, "j2", "prompt", "other job")
    assert repos.artifacts.get(user, "j1", "prompt") == "second"
    assert repos.artifacts.get(user, "j2", "prompt") == "other job"
    with pytest.raises(NotFoundError, match="prompt"):
        repos.artifacts.get(other_user, "j1", "prompt")
    with pytest.raises(NotFoundError, match="missing"):
        repos.artifacts.get(user, "j1", "missing")


def test_artifact_names_need_not_be_id_safe(repos: Repositories, user: str) -> None:
    names = ["texts/contract#1?.json", "a\\b", "x" * 400, ""]
    for index, name in enumerate(names):
        repos.artifacts.put(user, "j1", name, f"content {index}")
    assert [repos.artifacts.get(user, "j1", name) for name in names] == [f"content {i}" for i in range(len(names))]


def test_artifact_ttl_defaults_to_the_job_ttl(repos: Repositories, user: str) -> None:
    repos.artifacts.put(user, "j1", "default", "x")
    repos.artifacts.put(user, "j1", "short", "x", ttl=30)
    if repos.backend == "cosmos":
        ttls = {item["name"]: item["ttl"] for item in raw_items(repos, repos.artifacts, user)}
        assert ttls == {"default": 604_800, "short": 30}
    else:
        assert repos.artifacts.get(user, "j1", "short") == "x"


def test_five_megabyte_artifact_round_trips_and_rewrites(repos: Repositories, user: str) -> None:
    text = big_text(5)
    repos.artifacts.put(user, "j1", "contracts", text)
    assert repos.artifacts.get(user, "j1", "contracts") == text
    if repos.backend == "cosmos":
        items = raw_items(repos, repos.artifacts, user)
        assert len(items) >= 4
        assert all(len(json.dumps(item).encode()) < COSMOS_ITEM_LIMIT for item in items)
        assert all(item["ttl"] == 604_800 for item in items)  # chunks expire with their head
    replacement = text[::-1][: 2 * 1024 * 1024]
    repos.artifacts.put(user, "j1", "contracts", replacement)
    assert repos.artifacts.get(user, "j1", "contracts") == replacement
    repos.artifacts.put(user, "j1", "contracts", "small now")
    assert repos.artifacts.get(user, "j1", "contracts") == "small now"
    if repos.backend == "cosmos":
        assert len(raw_items(repos, repos.artifacts, user)) == 1  # old chunks were removed


def test_jobs_changed_since_are_the_users_newer_changes_oldest_first(
    repos: Repositories, user: str, other_user: str
) -> None:
    def changed_at(job_id: str, seconds: float, owner: str = user) -> Job:
        job = make_job(owner, job_id)
        moment = BASE + timedelta(seconds=seconds)
        return job.model_copy(update={"progress": job.progress.model_copy(update={"updated_at": moment})})

    for job in (changed_at("j1", 3), changed_at("j2", 1), changed_at("j3", 2.5), changed_at("x1", 9, other_user)):
        repos.jobs.create(job)
    # Microseconds and whole seconds order as time does (pydantic writes "…:01Z" but "…:02.5Z").
    assert [j.job_id for j in repos.jobs.changed_since(user, BASE)] == ["j2", "j3", "j1"]
    assert [j.job_id for j in repos.jobs.changed_since(user, BASE + timedelta(seconds=2))] == ["j3", "j1"]
    assert repos.jobs.changed_since(user, BASE + timedelta(seconds=3)) == []  # strictly after
    assert [j.job_id for j in repos.jobs.changed_since(user, BASE, limit=1)] == ["j2"]

    current = repos.jobs.get(user, "j2")
    moved = current.item.progress.model_copy(update={"updated_at": BASE + timedelta(seconds=5), "seq": 4})
    repos.jobs.replace(current.item.model_copy(update={"progress": moved}), current.etag)
    later = repos.jobs.changed_since(user, BASE + timedelta(seconds=3))
    assert [(j.job_id, j.progress.seq) for j in later] == [("j2", 4)]
