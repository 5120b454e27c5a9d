"""A job carries a human title fixed at submission, whichever client started it: the job API, the legacy
endpoints, the queue starter, the batch endpoints, a retry. A job stored before titles reads with one from its
request (never an id)."""

from __future__ import annotations

import json

from azure.functions.queue import QueueMessage

from api.queue_starter import job_id_for_message
from shared.jobs.service import JobService
from shared.jobs.titles import comparison_title, query_title, shorten
from shared.storage.base import Repositories
from tests.api.conftest import Api, FakeDurableClient, upload
from tests.api.test_batches_api import ACME, CONFIG, add_document


async def title_of(api: Api, job_id: str) -> str:
    reply = await api.call("GET", f"/api/jobs/{job_id}")
    assert reply.status == 200, reply.body
    return str(reply.json["title"])


async def test_comparison_titles_name_the_standard_and_the_compared_contracts(
    api: Api, durable: FakeDurableClient
) -> None:
    standard = await upload(api, "NDA Mutual Standard")
    a = await upload(api, "NDA Variant A")
    b = await upload(api, "NDA Variant B")
    c = await upload(api, "NDA Variant C")

    one = {"request": {"standardContractId": standard, "compareContractIds": [a]}}
    reply = await api.call("POST", "/api/jobs/comparison", json_body=one)
    assert await title_of(api, reply.json["job_id"]) == "NDA Mutual Standard vs NDA Variant A"

    three = {"request": {"standardContractId": standard, "compareContractIds": [a, b, c]}}
    reply = await api.call("POST", "/api/jobs/comparison", json_body=three)
    assert await title_of(api, reply.json["job_id"]) == "NDA Mutual Standard vs 3 contracts"
    listed = (await api.call("GET", "/api/jobs")).json["jobs"]
    assert {j["title"] for j in listed} == {
        "NDA Mutual Standard vs NDA Variant A",
        "NDA Mutual Standard vs 3 contracts",
    }


async def test_a_question_is_titled_by_its_first_words(api: Api, durable: FakeDurableClient) -> None:
    a = await upload(api, "MSA")
    question = "Which of these contracts allow termination for convenience, and on how much notice must it be given?"
    reply = await api.call(
        "POST", "/api/jobs/query", json_body={"request": {"question": question, "contract_ids": [a]}}
    )
    assert (
        await title_of(api, reply.json["job_id"])
        == "“Which of these contracts allow termination for convenience, and on how much …”"
    )


async def test_legacy_queue_and_retry_jobs_are_titled_too(
    api: Api, durable: FakeDurableClient, repos: Repositories
) -> None:
    standard = await upload(api, "MSA Standard")
    a = await upload(api, "MSA Variant A")
    legacy = {"standardContractId": standard, "compareContractIds": [a], "forceBatch": True}
    reply = await api.call("POST", "/api/compare-contracts", json_body=legacy)
    assert reply.status == 202, reply.body
    assert await title_of(api, reply.json["job_id"]) == "MSA Standard vs MSA Variant A"

    body = {"user_id": "alice", "job_type": "query", "request": {"question": "Who pays?", "contract_ids": [a]}}
    message_id = "9b1c6a52-0000-4000-8000-00000000abcd"
    await api.deliver(QueueMessage(id=message_id, body=json.dumps(body).encode(), dequeue_count=1))
    queued = job_id_for_message(message_id)
    assert await title_of(api, queued) == "“Who pays?”"

    JobService(repos.jobs).cancel("alice", queued)
    retried = await api.call("POST", f"/api/jobs/{queued}/retry")
    assert retried.status == 202, retried.body
    assert await title_of(api, retried.json["job_id"]) == "“Who pays?”"


async def test_batch_jobs_are_titled_by_the_batch_name(
    api: Api, durable: FakeDurableClient, repos: Repositories
) -> None:
    add_document(repos, "alice", "acme.txt", ACME)  # the batch's folder must hold the caller's documents
    created = await api.call("POST", "/api/batches", json_body=CONFIG)
    assert created.status == 201, created.body
    staged = await api.call("POST", f"/api/batches/{created.json['batch_id']}/stage")
    assert staged.status == 202, staged.body
    assert await title_of(api, staged.json["job_id"]) == "Staging — Vendor review, 2025"


async def test_a_job_stored_before_titles_reads_with_a_readable_one(
    api: Api, durable: FakeDurableClient, repos: Repositories
) -> None:
    standard = await upload(api, "NDA")
    others = [await upload(api, f"Variant {n}") for n in range(2)]
    reply = await api.call(
        "POST",
        "/api/jobs/comparison",
        json_body={"request": {"standardContractId": standard, "compareContractIds": others}},
    )
    job_id = reply.json["job_id"]
    stored = repos.jobs.get("alice", job_id)
    # As an older version of the app wrote it: no title at all (model_copy does not validate).
    repos.jobs.replace(stored.item.model_copy(update={"title": None}), stored.etag)
    assert repos.jobs.get("alice", job_id).item.title is not None  # read time fills it in
    assert await title_of(api, job_id) == "Comparison of 2 contracts with a standard"


def test_titles_are_words_of_a_readable_length() -> None:
    assert comparison_title("A" * 150, ["B" * 150]).endswith("…")
    assert len(comparison_title("A" * 150, ["B" * 150])) <= 200
    assert comparison_title("NDA", 1) == "NDA vs 1 contract"
    assert query_title("  What   is\nthe governing law? ") == "“What is the governing law?”"
    assert shorten("one two three four", 12) == "one two…"
