"""Per-user limits through the HTTP functions (shared/limits.py, api/stream_slots.py): what is refused, with which
answer, that nothing is created on refusal, and that other users are not affected. End to end under devhost:
tests/security/test_user_limits_e2e.py."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

from api.openapi import openapi_document
from api.stream_slots import stream_slots
from shared.batches import staging
from shared.errors import ErrorBody
from shared.jobs.models import JobStatus
from shared.jobs.service import JobService
from shared.limits import TooManyBatchRecords
from shared.storage.base import Repositories
from tests.api.conftest import Api, FakeDurableClient, upload
from tests.api.test_batches_api import add_document, drive_staging
from tests.support.jobs import job_scope, start_job


async def comparison(api: Api, user: str = "alice") -> dict[str, Any]:
    std, other = await upload(api, "Standard", user=user), await upload(api, "Other", user=user)
    return {"request": {"standardContractId": std, "compareContractIds": [other]}}


def described(status: int, path: str, method: str = "post") -> dict[str, Any]:
    return dict(openapi_document()["paths"][path][method]["responses"][str(status)])


# --- active jobs --------------------------------------------------------------------------------------------


async def test_one_job_over_the_limit_is_429_and_creates_nothing(
    api: Api, durable: FakeDurableClient, configure: Any
) -> None:
    configure(max_active_jobs_per_user=2)
    body = await comparison(api)
    for _ in range(2):
        assert (await api.call("POST", "/api/jobs/comparison", json_body=body)).status == 202
    reply = await api.call("POST", "/api/jobs/comparison", json_body=body)
    assert (reply.status, reply.error_code) == (429, "too_many_active_jobs")
    assert int(reply.headers["retry-after"]) > 0
    assert reply.json["error"]["details"] == {"limit": 2, "setting": "MAX_ACTIVE_JOBS_PER_USER", "active": 2}
    ErrorBody.model_validate(reply.json)
    assert len(durable.started) == 2 and len((await api.call("GET", "/api/jobs")).json["jobs"]) == 2
    query = {"request": {"question": "Which law?", "contract_ids": [body["request"]["standardContractId"]]}}
    assert (await api.call("POST", "/api/jobs/query", json_body=query)).status == 429  # every job type counts

    # Another user is not affected, and a finished job frees a place.
    assert (
        await api.call("POST", "/api/jobs/comparison", json_body=await comparison(api, "bob"), user="bob")
    ).status == 202
    first = (await api.call("GET", "/api/jobs")).json["jobs"][0]["job_id"]
    assert (await api.call("POST", f"/api/jobs/{first}/cancel")).status == 202
    assert (await api.call("POST", "/api/jobs/comparison", json_body=body)).status == 202


async def test_retry_and_the_legacy_endpoints_count_too(
    api: Api, durable: FakeDurableClient, configure: Any, repos: Repositories
) -> None:
    configure(max_active_jobs_per_user=1)
    body = await comparison(api)
    job_id = (await api.call("POST", "/api/jobs/comparison", json_body=body)).json["job_id"]
    legacy = {**body["request"], "forceBatch": True}
    assert (await api.call("POST", "/api/compare-contracts", json_body=legacy)).status == 429
    JobService(repos.jobs).update_status("alice", job_id, JobStatus.FAILED, error_details={"message": "x"})
    other = (await api.call("POST", "/api/jobs/comparison", json_body=body)).json["job_id"]
    assert (await api.call("POST", f"/api/jobs/{job_id}/retry")).status == 429
    assert (await api.call("POST", f"/api/jobs/{other}/cancel")).status == 202
    assert (await api.call("POST", f"/api/jobs/{job_id}/retry")).status == 202


async def test_a_burst_of_submissions_cannot_slip_past_the_count(
    api: Api, durable: FakeDurableClient, configure: Any
) -> None:
    configure(max_active_jobs_per_user=3)
    body = await comparison(api)
    replies = await asyncio.gather(*(api.call("POST", "/api/jobs/comparison", json_body=body) for _ in range(8)))
    assert sorted(r.status for r in replies) == [202] * 3 + [429] * 5
    assert len(durable.started) == 3


async def test_the_trusted_queue_is_not_limited(api: Api, durable: FakeDurableClient, configure: Any) -> None:
    import json
    from types import SimpleNamespace

    configure(max_active_jobs_per_user=1)
    body = await comparison(api)
    assert (await api.call("POST", "/api/jobs/comparison", json_body=body)).status == 202
    message = {"user_id": "alice", "job_type": "comparison", "request": body["request"]}
    msg = SimpleNamespace(id="m-1", dequeue_count=1, get_body=lambda: json.dumps(message).encode())
    await api.deliver(msg)
    assert len(durable.started) == 2


def test_the_job_limit_is_described_with_retry_after() -> None:
    for path in ("/api/jobs/comparison", "/api/jobs/query", "/api/jobs/{job_id}/retry", "/api/batches/{batch_id}/run"):
        reply = described(429, path)
        assert "too_many_active_jobs" in reply["description"] and "Retry-After" in reply["headers"]


# --- streams --------------------------------------------------------------------------------------------------


async def test_one_stream_over_the_limit_is_429_until_one_closes(api: Api, configure: Any) -> None:
    configure(max_streams_per_user=2)
    job_id = (await api.call("POST", "/api/jobs/comparison", json_body=await comparison(api))).json["job_id"]
    opened = []
    for _ in range(2):
        status, _, events = await api.open_stream("/api/jobs/stream")
        assert status == 200 and events is not None
        await anext(events)  # the stream has started
        opened.append(events)
    status, headers, _ = await api.open_stream("/api/jobs/stream")
    assert status == 429
    assert 0 < int(headers["retry-after"]) <= 200  # when the oldest ends by itself (STREAM_MAX_SECONDS)
    job_stream_status, _, _ = await api.open_stream(f"/api/jobs/{job_id}/stream")
    assert job_stream_status == 429  # every kind of stream counts

    # Another user has streams of their own.
    status, _, bobs = await api.open_stream("/api/jobs/stream", user="bob")
    assert status == 200 and bobs is not None
    await bobs.aclose()  # type: ignore[attr-defined]

    await opened.pop().aclose()  # type: ignore[attr-defined]  # the client went away: the slot comes back
    status, _, events = await api.open_stream("/api/jobs/stream")
    assert status == 200 and events is not None
    await events.aclose()  # type: ignore[attr-defined]
    for events in opened:
        await events.aclose()  # type: ignore[attr-defined]
    assert stream_slots().open_count("alice") == 0


async def test_a_stream_dropped_before_it_started_gives_its_slot_back(api: Api, configure: Any) -> None:
    configure(max_streams_per_user=1)
    status, _, events = await api.open_stream("/api/jobs/stream")
    assert status == 200 and stream_slots().open_count("alice") == 1
    del events
    gc.collect()
    assert stream_slots().open_count("alice") == 0
    status, _, events = await api.open_stream("/api/jobs/stream")
    assert status == 200
    del events
    gc.collect()


async def test_a_stream_that_ends_by_itself_gives_its_slot_back(api: Api, configure: Any) -> None:
    configure(max_streams_per_user=1, stream_max_seconds=0.3, stream_idle_poll_seconds=0.1)
    status, _, events = await api.open_stream("/api/jobs/stream")
    assert status == 200 and events is not None
    async for _ in events:  # runs to its end
        pass
    assert stream_slots().open_count("alice") == 0


def test_the_stream_limit_is_described_with_retry_after() -> None:
    for path in ("/api/jobs/stream", "/api/jobs/{job_id}/stream", "/api/jobs/user/{user_id}/stream"):
        reply = described(429, path, "get")
        assert "too_many_streams" in reply["description"] and "Retry-After" in reply["headers"]


# --- batches and folders --------------------------------------------------------------------------------------

PROMPTS = [{"name": "Law", "text": "Which law governs?"}, {"name": "Term", "text": "How long?"}]


async def test_a_batch_over_the_record_limit_is_422_and_nothing_is_saved(
    api: Api, configure: Any, repos: Repositories
) -> None:
    configure(max_records_per_batch=3)
    for name in ("a.txt", "b.txt"):
        add_document(repos, "alice", name, "The laws of Delaware govern.", folder="Vendors")
    config = {"name": "Review", "folders": ["Vendors"], "prompts": PROMPTS}
    reply = await api.call("POST", "/api/batches", json_body=config)
    assert (reply.status, reply.error_code) == (422, "too_many_batch_records")
    details = reply.json["error"]["details"]
    assert details == {"limit": 3, "setting": "MAX_RECORDS_PER_BATCH", "records": 4, "documents": 2, "prompts": 2}
    assert (await api.call("GET", "/api/batches")).json["batches"] == []

    small = {**config, "prompts": PROMPTS[:1]}
    batch_id = (await api.call("POST", "/api/batches", json_body=small)).json["batch_id"]
    reply = await api.call("PUT", f"/api/batches/{batch_id}", json_body=config)
    assert reply.error_code == "too_many_batch_records"
    assert len((await api.call("GET", f"/api/batches/{batch_id}")).json["config"]["prompts"]) == 1
    # Another user's documents are theirs: bob's folder of the same name holds only his one document (2 records).
    add_document(repos, "bob", "c.txt", "The laws of Delaware govern.", folder="Vendors")
    assert (await api.call("POST", "/api/batches", json_body=config, user="bob")).status == 201


async def test_staging_counts_the_documents_there_are_then(
    api: Api, durable: FakeDurableClient, configure: Any, repos: Repositories
) -> None:
    configure(max_records_per_batch=2)
    add_document(repos, "alice", "a.txt", "The laws of Delaware govern.", folder="Vendors")
    config = {"name": "Review", "folders": ["Vendors"], "prompts": PROMPTS}
    batch_id = (await api.call("POST", "/api/batches", json_body=config)).json["batch_id"]
    add_document(repos, "alice", "b.txt", "The laws of Delaware govern.", folder="Vendors")
    reply = await api.call("POST", f"/api/batches/{batch_id}/stage")
    assert (reply.status, reply.error_code) == (422, "too_many_batch_records")
    assert durable.started == []

    # Accepted while it fitted, then a document arrived before the plan ran: the staging job fails with the limit.
    configure(max_records_per_batch=4)
    job_id = (await api.call("POST", f"/api/batches/{batch_id}/stage")).json["job_id"]
    add_document(repos, "alice", "c.txt", "The laws of Delaware govern.", folder="Vendors")
    scope = job_scope(repos, job_id, user_id="alice")
    start_job(scope)
    with pytest.raises(TooManyBatchRecords, match="6 records"):
        staging.plan(scope)


async def test_a_batch_within_the_limit_stages(api: Api, configure: Any, repos: Repositories) -> None:
    configure(max_records_per_batch=4)
    for name in ("a.txt", "b.txt"):
        add_document(repos, "alice", name, "The laws of Delaware govern.", folder="Vendors")
    batch_id = (
        await api.call("POST", "/api/batches", json_body={"name": "R", "folders": ["Vendors"], "prompts": PROMPTS})
    ).json["batch_id"]
    job_id = (await api.call("POST", f"/api/batches/{batch_id}/stage")).json["job_id"]
    drive_staging(repos, "alice", job_id)
    assert (await api.call("GET", f"/api/batches/{batch_id}")).json["counts"]["QUEUED"] == 4


async def test_a_full_folder_refuses_one_more_document(api: Api, configure: Any, repos: Repositories) -> None:
    configure(max_documents_per_folder=2)
    for name in ("a.txt", "b.txt"):
        add_document(repos, "alice", name, "text", folder="Vendors")
    body = {"folder": "Vendors", "filename": "c.txt", "content_base64": "QQ=="}
    reply = await api.call("POST", "/api/documents", json_body=body)
    assert (reply.status, reply.error_code) == (422, "too_many_documents_in_folder")
    assert reply.json["error"]["details"] == {
        "limit": 2,
        "setting": "MAX_DOCUMENTS_PER_FOLDER",
        "folder": "Vendors",
        "documents": 2,
    }
    assert repos.documents.count_in_folder("alice", "Vendors") == 2
    assert "too_many_documents_in_folder" in described(422, "/api/documents")["description"]
