"""Batches API through direct function invocation (tests/api/conftest.py): create, list, read and edit batches;
stage, reprocess, run and cancel them; their response records and exports; ownership.

Durable is the conftest's fake (it records what is started); a job is made to run by driving its steps in-process,
as the activities do (shared/batches/staging.py, running.py, with the offline evaluator), on the same SQLite store
the API reads. Documents are put in the store with their text already extracted (staging reuses a text whose
sha256 matches), so no blob service is needed.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import uuid
from typing import Any

import pytest

from api import batch_exports
from shared.analysis.factory import get_analyzer
from shared.batches import names as batch_names
from shared.batches import running, staging
from shared.batches.messages import RunPlanned, StagingPlanned
from shared.batches.models import RecordStatus
from shared.documents.models import Document, DocumentText
from shared.jobs.models import JobStatus
from shared.jobs.service import JobService
from shared.storage.base import Repositories
from shared.storage.factory import get_repositories
from shared.text.tokens import count_tokens
from tests.api.conftest import Api, FakeDurableClient, Reply, _request
from tests.support.jobs import complete_job, job_scope, start_job

FOLDER = "Vendors/2025"
ACME = """MASTER SERVICES AGREEMENT

1. Confidentiality. Each party shall keep the other party's confidential information secret.

2. Payment Terms. Customer shall pay each invoice within thirty (30) days of receipt.

3. Governing Law. This Agreement is governed by the laws of the State of Washington.
"""
GLOBEX = """SERVICES AGREEMENT

1. Services. Supplier shall provide the services described in each order.

2. Liability. Supplier's liability is limited to the fees paid in the prior twelve months.
"""
CONFIG: dict[str, Any] = {
    "name": "Vendor review, 2025",
    "folders": [FOLDER],
    "prompts": [
        {"name": "Confidentiality", "text": "Does the agreement protect confidential information?"},
        {
            "name": "Key terms",
            "text": "Which key terms does the agreement set?",
            "scoring": {
                "type": "checks",
                "checks": [
                    {"name": "Payment", "regex": r"pay(ment)?\b.*days"},
                    {"name": "Governing law", "regex": "governed by the laws"},
                ],
            },
        },
    ],
    "model": {"modelSelection": "primary", "temperature": 0, "max_tokens": 400},
}


# --- helpers ---------------------------------------------------------------------------------------------


def add_document(repos: Repositories, user: str, filename: str, text: str, folder: str = FOLDER) -> str:
    """A document as the upload and an earlier staging leave it: metadata, and its text under its bytes' sha256."""
    document_id = f"doc_{uuid.uuid4().hex}"
    sha256 = hashlib.sha256(text.encode()).hexdigest()
    repos.documents.add(
        Document(
            document_id=document_id,
            user_id=user,
            folder=folder,
            filename=filename,
            format="txt",
            bytes=len(text.encode()),
            sha256=sha256,
            blob_name=f"{user}/{document_id}/{filename}",
        )
    )
    repos.documents.put_text(
        DocumentText(document_id=document_id, user_id=user, sha256=sha256, text=text, token_count=count_tokens(text))
    )
    return document_id


def drive_staging(repos: Repositories, user: str, job_id: str) -> None:
    """The staging job's steps, in order, as its orchestration runs them."""
    scope = job_scope(repos, job_id, user_id=user)
    start_job(scope)
    planned = staging.plan(scope)
    assert isinstance(planned, StagingPlanned)
    size, total = planned.chunk_size, planned.documents
    for chunk in range((total + size - 1) // size):
        staging.stage_chunk(scope, planned.batch_id, chunk, size, total)
    staging.finish(scope, planned.batch_id)
    complete_job(scope, staging.save(scope, planned.batch_id).result_id)


def drive_run(repos: Repositories, user: str, job_id: str) -> None:
    scope = job_scope(repos, job_id, user_id=user)
    start_job(scope)
    planned = running.plan(scope)
    assert isinstance(planned, RunPlanned)
    for index in range(planned.records):
        chunk, position = divmod(index, planned.chunk_size)
        running.evaluate_record(scope, get_analyzer(), planned.batch_id, chunk, position, planned.records)
    running.finish(scope, planned.batch_id)
    complete_job(scope, running.save(scope, planned.batch_id).result_id)


def fill_folders(config: dict[str, Any], user: str) -> None:
    """A batch names folders the user has documents in (an empty one is a 422): one goes into each that has none."""
    repos = get_repositories()
    present = {f.folder for f in repos.documents.folders(user)}
    for folder in config["folders"]:
        if folder not in present:
            add_document(repos, user, "acme.txt", ACME, folder)


async def create(api: Api, config: dict[str, Any] = CONFIG, user: str = "alice") -> str:
    fill_folders(config, user)
    reply = await api.call("POST", "/api/batches", json_body=config, user=user)
    assert reply.status == 201, reply.body
    return str(reply.json["batch_id"])


async def get(api: Api, batch_id: str, user: str = "alice") -> dict[str, Any]:
    reply = await api.call("GET", f"/api/batches/{batch_id}", user=user)
    assert reply.status == 200, reply.body
    return dict(reply.json)


async def stage(api: Api, repos: Repositories, batch_id: str, user: str = "alice") -> str:
    reply = await api.call("POST", f"/api/batches/{batch_id}/stage", user=user)
    assert reply.status == 202, reply.body
    job_id = str(reply.json["job_id"])
    drive_staging(repos, user, job_id)
    return job_id


async def staged_batch(api: Api, repos: Repositories, user: str = "alice") -> str:
    add_document(repos, user, "acme.txt", ACME)
    add_document(repos, user, "globex.txt", GLOBEX)
    batch_id = await create(api, user=user)
    await stage(api, repos, batch_id, user)
    return batch_id


async def run(api: Api, repos: Repositories, batch_id: str, user: str = "alice") -> str:
    reply = await api.call("POST", f"/api/batches/{batch_id}/run", user=user)
    assert reply.status == 202, reply.body
    job_id = str(reply.json["job_id"])
    drive_run(repos, user, job_id)
    return job_id


async def download(api: Api, path: str, user: str = "alice") -> tuple[int, dict[str, str], bytes]:
    """GET an export: a streamed body is read to its end; an error is the usual JSON body."""
    function, params = api.resolve("GET", path)
    headers = {"host": "localhost:7071", "x-ms-client-principal-id": user}
    response = await function.info.func(req=_request("GET", path, b"", headers, "", params))
    if hasattr(response, "body_iterator"):
        body = b"".join([c if isinstance(c, bytes) else c.encode() async for c in response.body_iterator])
    else:
        body = bytes(response.body)
    return response.status_code, {k.lower(): v for k, v in response.headers.items()}, body


def fields_of(reply: Reply) -> set[str]:
    return {d["field"] for d in reply.json["error"]["details"]}


# --- create, list, read, edit ----------------------------------------------------------------------------


async def test_a_batch_is_created_saved_listed_and_read(api: Api) -> None:
    fill_folders(CONFIG, "alice")
    reply = await api.call("POST", "/api/batches", json_body=CONFIG)
    assert reply.status == 201, reply.body
    batch_id = reply.json["batch_id"]
    assert reply.json == {"batch_id": batch_id, "status": "SAVED"}
    assert reply.headers["location"] == f"http://localhost:7071/api/batches/{batch_id}"

    listed = await api.call("GET", "/api/batches")
    assert listed.status == 200
    [line] = listed.json["batches"]
    assert line["batch_id"] == batch_id and line["name"] == "Vendor review, 2025" and line["status"] == "SAVED"
    assert line["folders"] == [FOLDER] and line["prompts"] == 2 and listed.json["continuation"] is None

    batch = await get(api, batch_id)
    assert batch["status"] == "SAVED" and batch["name"] == CONFIG["name"]
    assert batch["config"]["prompts"][1]["scoring"]["checks"][0]["name"] == "Payment"
    assert batch["config"]["prompts"][0]["scoring"] == {"type": "pass_fail"}  # the default scoring
    assert batch["snapshot"] is None and batch["documents"] == [] and batch["summary"] is None
    assert batch["counts"] == {"QUEUED": 0, "S": 0, "F": 0}
    assert batch["progress"] is None
    assert batch["actions"] == ["stage", "reprocess", "edit"]
    assert batch["links"]["export_csv"].endswith(f"/api/batches/{batch_id}/export.csv")
    assert "user_id" not in batch


def prompt(scoring: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": "A", "text": "x", **({"scoring": scoring} if scoring else {})}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"folders": []}, "folders"),
        ({"folders": ["../etc"]}, "folders"),
        ({"prompts": [prompt({"type": "scale", "min": 5, "max": 1})]}, "prompts.0.scoring.scale"),
        ({"prompts": [prompt({"type": "checks", "checks": [{"name": "c", "regex": "("}]})]},
         "prompts.0.scoring.checks.checks.0.regex"),
        ({"prompts": [prompt(), prompt()]}, "prompts"),
        ({"prompts": [prompt({"type": "stars"})]}, "prompts.0.scoring"),
        ({"model": {"temperature": 3}}, "model.temperature"),
        ({"colour": "blue"}, "colour"),
    ],
)  # fmt: skip
async def test_an_invalid_batch_is_a_422_naming_the_field_and_nothing_is_created(
    api: Api, change: dict[str, Any], field: str
) -> None:
    reply = await api.call("POST", "/api/batches", json_body={**CONFIG, **change})
    assert reply.status == 422, reply.body
    assert reply.error_code == "invalid_request"
    assert field in fields_of(reply), reply.json
    assert (await api.call("GET", "/api/batches")).json["batches"] == []


async def test_folders_without_the_users_documents_are_a_422_naming_them_and_nothing_changes(
    api: Api, repos: Repositories
) -> None:
    add_document(repos, "alice", "acme.txt", ACME)  # FOLDER holds alice's document
    add_document(repos, "bob", "globex.txt", GLOBEX, folder="Bob's folder")  # another user's folder is not hers
    config = {**CONFIG, "folders": [FOLDER, "Vendors/2052", "Bob's folder"]}

    reply = await api.call("POST", "/api/batches", json_body=config)

    assert reply.status == 422, reply.body
    assert reply.error_code == "unknown_folders"
    assert all(repr(name) in reply.json["error"]["message"] for name in ("Vendors/2052", "Bob's folder"))
    details = reply.json["error"]["details"]
    assert (details["field"], details["unknown"], details["folders"]) == (
        "folders",
        ["Vendors/2052", "Bob's folder"],
        [FOLDER],
    )
    assert (await api.call("GET", "/api/batches")).json["batches"] == []  # nothing created

    # Editing: the same check, once the batch is known to be the caller's; the batch is left as it was.
    batch_id = await create(api)
    edit = await api.call("PUT", f"/api/batches/{batch_id}", json_body=config)
    assert edit.status == 422 and edit.error_code == "unknown_folders"
    assert (await get(api, batch_id))["config"]["folders"] == [FOLDER]
    assert (await api.call("PUT", f"/api/batches/{batch_id}", json_body=config, user="bob")).status == 404


async def test_malformed_json_is_a_400(api: Api) -> None:
    reply = await api.call("POST", "/api/batches", raw=b'{"name": ')
    assert reply.status == 400 and reply.error_code == "malformed_json"


async def test_batches_are_listed_newest_first_page_by_page(api: Api) -> None:
    ids = [await create(api, {**CONFIG, "name": f"Batch {n}"}) for n in range(3)]
    first = await api.call("GET", "/api/batches", query="limit=2")
    assert first.status == 200 and len(first.json["batches"]) == 2 and first.json["continuation"]
    rest = await api.call("GET", "/api/batches", query=f"limit=2&continuation={first.json['continuation']}")
    listed = [b["batch_id"] for b in first.json["batches"] + rest.json["batches"]]
    assert sorted(listed) == sorted(ids) and rest.json["continuation"] is None
    assert (await api.call("GET", "/api/batches", query="limit=0")).status == 400


async def test_editing_keeps_a_staged_batch_on_its_snapshot(api: Api, repos: Repositories) -> None:
    batch_id = await staged_batch(api, repos)
    renamed = {**CONFIG, "name": "Renamed", "prompts": [{"name": "Only", "text": "Is there a warranty?"}]}
    reply = await api.call("PUT", f"/api/batches/{batch_id}", json_body=renamed)
    assert reply.status == 200, reply.body
    assert reply.json["name"] == "Renamed" and reply.json["config"]["prompts"][0]["name"] == "Only"
    assert [p["name"] for p in reply.json["snapshot"]["prompts"]] == ["Confidentiality", "Key terms"]
    assert reply.json["status"] == "STAGED" and reply.json["counts"]["QUEUED"] == 4

    bad = await api.call("PUT", f"/api/batches/{batch_id}", json_body={**CONFIG, "prompts": []})
    assert bad.status == 422 and "prompts" in fields_of(bad)
    assert (await get(api, batch_id))["name"] == "Renamed"  # bad input changed nothing


async def test_a_batch_cannot_be_edited_while_it_is_staging(api: Api, repos: Repositories) -> None:
    add_document(repos, "alice", "acme.txt", ACME)
    batch_id = await create(api)
    job_id = (await api.call("POST", f"/api/batches/{batch_id}/stage")).json["job_id"]
    scope = job_scope(repos, job_id, user_id="alice")
    start_job(scope)
    staging.plan(scope)  # the job's first step: the batch is STAGING from here to its finish
    reply = await api.call("PUT", f"/api/batches/{batch_id}", json_body={**CONFIG, "name": "Too late"})
    assert reply.status == 409, reply.body
    assert "STAGING" in reply.json["error"]["message"]
    assert (await get(api, batch_id))["name"] == CONFIG["name"]


# --- stage, run, reprocess, cancel ---------------------------------------------------------------------


async def test_stage_starts_a_batch_staging_job(api: Api, durable: FakeDurableClient) -> None:
    batch_id = await create(api)
    reply = await api.call("POST", f"/api/batches/{batch_id}/stage")
    assert reply.status == 202, reply.body
    job_id = reply.json["job_id"]
    assert reply.json["statusQueryGetUri"] == f"http://localhost:7071/api/jobs/{job_id}/status"
    assert reply.headers["location"] == reply.json["statusQueryGetUri"]
    assert durable.started == [(batch_names.STAGING_ORCHESTRATOR, job_id, {"job_id": job_id, "user_id": "alice"})]
    job = (await api.call("GET", f"/api/jobs/{job_id}")).json
    assert job["job_type"] == "batch_staging" and job["request"] == {"batch_id": batch_id, "reprocess": False}

    # Before its first step the batch still reads SAVED, but the queued job is its progress and only cancel goes.
    batch = await get(api, batch_id)
    assert batch["progress"]["job_id"] == job_id and batch["progress"]["status"] == "queued"
    assert batch["actions"] == ["cancel"]
    again = await api.call("POST", f"/api/batches/{batch_id}/stage")
    assert again.status == 409 and job_id in again.json["error"]["message"]
    assert len(durable.started) == 1


async def test_staging_then_running_scores_every_record(
    api: Api, repos: Repositories, durable: FakeDurableClient
) -> None:
    add_document(repos, "alice", "acme.txt", ACME)
    add_document(repos, "alice", "globex.txt", GLOBEX)
    add_document(repos, "alice", "empty.txt", "   \n")
    batch_id = await create(api)
    await stage(api, repos, batch_id)

    batch = await get(api, batch_id)
    assert batch["status"] == "STAGED" and batch["counts"] == {"QUEUED": 4, "S": 0, "F": 0}
    report = {d["filename"]: d for d in batch["documents"]}
    assert report["empty.txt"]["status"] == "failed" and "empty" in report["empty.txt"]["reason"]
    assert report["acme.txt"]["status"] == "staged" and report["acme.txt"]["token_count"] > 0
    assert batch["actions"] == ["reprocess", "run", "edit"]
    assert (await api.call("POST", f"/api/batches/{batch_id}/stage")).status == 409  # staged: reprocess instead

    run_job = await run(api, repos, batch_id)
    assert durable.started[-1][0] == batch_names.EVALUATION_ORCHESTRATOR
    assert (await api.call("GET", f"/api/jobs/{run_job}")).json["job_type"] == "batch_evaluation"
    batch = await get(api, batch_id)
    assert batch["status"] == "COMPLETED" and batch["counts"] == {"QUEUED": 0, "S": 4, "F": 0}
    assert batch["run_job_id"] == run_job and batch["progress"] is None
    summary = batch["summary"]
    assert summary["records"] == 4 and [p["name"] for p in summary["prompts"]] == ["Confidentiality", "Key terms"]
    report = {d["filename"]: d for d in batch["documents"]}
    assert report["acme.txt"]["overall_score"] == 1.0  # confidential information, payment and governing law
    assert report["globex.txt"]["overall_score"] == 0.0

    responses = (await api.call("GET", f"/api/batches/{batch_id}/responses")).json["responses"]
    acme = {r["prompt_name"]: r for r in responses if r["filename"] == "acme.txt"}
    assert acme["Key terms"]["score"] == 1.0 and acme["Key terms"]["status"] == "S"
    assert any("governed by the laws" in quote for quote in acme["Key terms"]["evidence"])
    assert "user_id" not in acme["Key terms"]


async def test_run_needs_a_staged_batch_and_a_mode_that_exists(api: Api, durable: FakeDurableClient) -> None:
    batch_id = await create(api)
    refused = await api.call("POST", f"/api/batches/{batch_id}/run")
    assert refused.status == 409 and refused.error_code == "invalid_transition"
    assert "SAVED" in refused.json["error"]["message"]
    economy = await api.call("POST", f"/api/batches/{batch_id}/run", json_body={"mode": "economy"})
    assert economy.status == 422 and economy.error_code == "mode_not_available"  # the offline analyzer: no Batch API
    assert "LLM_PROVIDER=offline" in economy.json["error"]["message"]
    unknown = await api.call("POST", f"/api/batches/{batch_id}/run", json_body={"mode": "turbo"})
    assert unknown.status == 422 and fields_of(unknown) == {"mode"}
    malformed = await api.call("POST", f"/api/batches/{batch_id}/run", raw=b"{mode")
    assert malformed.status == 400
    assert durable.started == []
    assert (await api.call("GET", "/api/jobs")).json["jobs"] == []  # nothing was created


async def test_run_with_an_explicit_standard_mode(api: Api, repos: Repositories) -> None:
    batch_id = await staged_batch(api, repos)
    reply = await api.call("POST", f"/api/batches/{batch_id}/run", json_body={"mode": "standard"})
    assert reply.status == 202, reply.body
    job = (await api.call("GET", f"/api/jobs/{reply.json['job_id']}")).json
    assert job["request"] == {"batch_id": batch_id, "mode": "standard"}


async def test_run_in_economy_mode_with_a_provider_that_has_a_batch_api(
    api: Api, repos: Repositories, configure: Any, durable: FakeDurableClient
) -> None:
    batch_id = await staged_batch(api, repos)
    configure(llm_provider="openai", openai_api_key="test-key")
    reply = await api.call("POST", f"/api/batches/{batch_id}/run", json_body={"mode": "economy"})
    assert reply.status == 202, reply.body
    job = (await api.call("GET", f"/api/jobs/{reply.json['job_id']}")).json
    assert job["request"] == {"batch_id": batch_id, "mode": "economy"}
    assert durable.started[-1][0] == batch_names.EVALUATION_ORCHESTRATOR


async def test_cancel_stops_the_running_job(api: Api, repos: Repositories, durable: FakeDurableClient) -> None:
    batch_id = await staged_batch(api, repos)
    assert (await api.call("POST", f"/api/batches/{batch_id}/cancel")).status == 409  # nothing runs

    job_id = (await api.call("POST", f"/api/batches/{batch_id}/run")).json["job_id"]
    scope = job_scope(repos, job_id, user_id="alice")
    start_job(scope)
    running.plan(scope)  # PROCESSING, with its records planned
    batch = await get(api, batch_id)
    assert batch["status"] == "PROCESSING" and batch["progress"]["job_type"] == "batch_evaluation"

    reply = await api.call("POST", f"/api/batches/{batch_id}/cancel")
    assert reply.status == 202, reply.body
    assert reply.json["job_id"] == job_id and reply.json["status"] == "cancelled"
    assert durable.events == [(job_id, "cancel", {"reason": "Cancelled by user"})]
    assert (await api.call("GET", f"/api/jobs/{job_id}")).json["status"] == "cancelled"
    again = await api.call("POST", f"/api/batches/{batch_id}/cancel")
    assert again.status == 409


async def test_a_queued_staging_job_can_be_cancelled_before_its_first_step(
    api: Api, durable: FakeDurableClient
) -> None:
    batch_id = await create(api)
    job_id = (await api.call("POST", f"/api/batches/{batch_id}/stage")).json["job_id"]
    reply = await api.call("POST", f"/api/batches/{batch_id}/cancel")
    assert reply.status == 202 and reply.json["job_id"] == job_id
    assert (await get(api, batch_id))["actions"] == ["stage", "reprocess", "edit"]


async def test_reprocess_answers_202_with_the_job_when_it_does_not_finish_in_time(api: Api, configure: Any) -> None:
    configure(batch_sync_wait_seconds=0.3)
    batch_id = await create(api)
    reply = await api.call("POST", f"/api/batches/{batch_id}/reprocess-staging")
    assert reply.status == 202, reply.body
    job = (await api.call("GET", f"/api/jobs/{reply.json['job_id']}")).json
    assert job["job_type"] == "batch_staging" and job["request"]["reprocess"] is True


async def reprocess_while(api: Api, work: Any, user: str, batch_id: str) -> Reply:
    """Call reprocess-staging and, while it waits, run `work(job_id)` in a thread as the job's activities would."""
    before = len(api.client.started)
    call = asyncio.create_task(api.call("POST", f"/api/batches/{batch_id}/reprocess-staging", user=user))
    for _ in range(200):
        if len(api.client.started) > before or call.done():
            break
        await asyncio.sleep(0.01)
    assert len(api.client.started) > before, (await call).body
    await asyncio.to_thread(work, api.client.started[-1][1])
    return await asyncio.wait_for(call, 10)


async def test_reprocess_answers_in_the_seeds_shape_when_staging_finishes(
    api: Api, repos: Repositories, configure: Any
) -> None:
    configure(batch_sync_wait_seconds=10)
    add_document(repos, "alice", "acme.txt", ACME)
    add_document(repos, "alice", "empty.txt", "")
    batch_id = await create(api)
    await stage(api, repos, batch_id)
    assert (await get(api, batch_id))["counts"]["QUEUED"] == 2

    # A document added since: reprocessing stages what is missing or failed, and says so in the seed's words.
    add_document(repos, "alice", "globex.txt", GLOBEX)
    reply = await reprocess_while(api, lambda job_id: drive_staging(repos, "alice", job_id), "alice", batch_id)
    assert reply.status == 200, reply.body
    body = reply.json
    assert {k: body[k] for k in ("success", "documents_prepared", "message")} == {
        "success": True,
        "documents_prepared": 2,
        "message": "Batch staging completed - 2/3 documents prepared",
    }
    assert body["status"] == "STAGED" and body["documents_found"] == 3
    assert [f["filename"] for f in body["failed"]] == ["empty.txt"]
    assert (await get(api, batch_id))["counts"]["QUEUED"] == 4


async def test_reprocess_of_a_staging_job_that_failed_is_an_error(
    api: Api, repos: Repositories, configure: Any
) -> None:
    configure(batch_sync_wait_seconds=10)
    batch_id = await create(api)

    def fail(job_id: str) -> None:
        JobService(repos.jobs).update_status(
            "alice", job_id, JobStatus.FAILED, error_details={"step": "retrieving_data", "message": "blob store down"}
        )

    reply = await reprocess_while(api, fail, "alice", batch_id)
    assert reply.status == 500, reply.body
    assert reply.error_code == "staging_failed"
    assert "blob store down" in reply.json["error"]["message"]
    assert reply.json["error"]["details"]["batch_id"] == batch_id


# --- responses and exports -----------------------------------------------------------------------------


async def test_responses_are_paged_and_filtered_by_status(api: Api, repos: Repositories) -> None:
    batch_id = await staged_batch(api, repos)
    records = repos.records.query("alice", batch_id).items
    for record, status in zip(records[:3], (RecordStatus.S, RecordStatus.S, RecordStatus.F), strict=True):
        current = repos.records.get("alice", record.record_id)
        repos.records.replace(current.item.model_copy(update={"status": status}), current.etag)

    first = await api.call("GET", f"/api/batches/{batch_id}/responses", query="limit=3")
    assert first.status == 200 and len(first.json["responses"]) == 3 and first.json["continuation"]
    rest = await api.call(
        "GET", f"/api/batches/{batch_id}/responses", query=f"limit=3&continuation={first.json['continuation']}"
    )
    assert len(rest.json["responses"]) == 1 and rest.json["continuation"] is None
    ids = [r["record_id"] for r in first.json["responses"] + rest.json["responses"]]
    assert ids == sorted(r.record_id for r in records)

    done = await api.call("GET", f"/api/batches/{batch_id}/responses", query="status=s,F")
    assert sorted(r["status"] for r in done.json["responses"]) == ["F", "S", "S"]
    queued = await api.call("GET", f"/api/batches/{batch_id}/responses", query="status=QUEUED")
    assert [r["status"] for r in queued.json["responses"]] == ["QUEUED"]
    bad = await api.call("GET", f"/api/batches/{batch_id}/responses", query="status=DONE")
    assert bad.status == 400 and "DONE" in bad.json["error"]["message"]


async def test_the_csv_export_parses_back_one_row_per_record(
    api: Api, repos: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch_exports, "PAGE_SIZE", 3)  # four records: two pages, read one after the other
    batch_id = await staged_batch(api, repos)
    await run(api, repos, batch_id)
    tricky = repos.records.query("alice", batch_id).items[0]
    current = repos.records.get("alice", tricky.record_id)
    text = 'Says "no", then, on a new line:\nnothing — ünïcode'
    repos.records.replace(
        current.item.model_copy(update={"response_text": text, "evidence": ["=HYPERLINK(1)", "two"]}), current.etag
    )

    status, headers, body = await download(api, f"/api/batches/{batch_id}/export.csv")
    assert status == 200
    assert headers["content-type"].startswith("text/csv; charset=utf-8")
    assert headers["content-disposition"] == f'attachment; filename="Vendor-review-2025-{batch_id}.csv"'
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert list(rows[0]) == list(batch_exports.COLUMNS)
    assert len(rows) == 4 and {r["status"] for r in rows} == {"S"}
    assert {(r["document"], r["prompt"]) for r in rows} == {
        (d, p) for d in ("acme.txt", "globex.txt") for p in ("Confidentiality", "Key terms")
    }
    assert all(r["folder"] == FOLDER for r in rows)
    first = next(r for r in rows if r["record_id"] == tricky.record_id)
    assert first["response"] == text
    assert first["evidence"] == "'=HYPERLINK(1)\ntwo"  # a formula is never run by a spreadsheet
    key_terms = next(r for r in rows if r["document"] == "acme.txt" and r["prompt"] == "Key terms")
    assert key_terms["score"] == "1" and "governed by the laws" in key_terms["evidence"]
    # The seed's codes stay; the same in words beside them: answered / failed, and pass / fail for a pass/fail prompt.
    assert {r["outcome"] for r in rows} == {"answered"}
    assert key_terms["verdict"] == ""  # checks: the score is the share of checks that pass
    for r in rows:
        if r["prompt"] == "Confidentiality":
            assert r["verdict"] == {"1": "pass", "0": "fail"}[r["score"]]


async def test_the_jsonl_export_is_one_json_object_per_record(api: Api, repos: Repositories) -> None:
    batch_id = await staged_batch(api, repos)
    await run(api, repos, batch_id)
    status, headers, body = await download(api, f"/api/batches/{batch_id}/export.jsonl")
    assert status == 200 and headers["content-type"].startswith("application/x-ndjson")
    assert headers["content-disposition"].endswith(f'{batch_id}.jsonl"')
    lines = [json.loads(line) for line in body.decode("utf-8").splitlines()]
    assert len(lines) == 4 and all(set(line) == set(batch_exports.COLUMNS) for line in lines)
    assert all(isinstance(line["evidence"], list) and isinstance(line["score"], float) for line in lines)
    assert {line["outcome"] for line in lines} == {"answered"}
    assert {line["verdict"] for line in lines if line["prompt"] == "Key terms"} == {None}
    assert {line["verdict"] for line in lines if line["prompt"] == "Confidentiality"} <= {"pass", "fail"}


async def test_the_export_of_an_unstaged_batch_is_just_the_header(api: Api) -> None:
    batch_id = await create(api, {**CONFIG, "name": "../../etc/passwd"})
    status, headers, body = await download(api, f"/api/batches/{batch_id}/export.csv")
    assert status == 200 and body.decode("utf-8-sig").strip() == ",".join(batch_exports.COLUMNS)
    assert headers["content-disposition"] == f'attachment; filename="etc-passwd-{batch_id}.csv"'


# --- ownership ---------------------------------------------------------------------------------------------


async def test_another_users_batch_is_not_found_everywhere(
    api: Api, repos: Repositories, durable: FakeDurableClient
) -> None:
    batch_id = await staged_batch(api, repos)
    started = len(durable.started)
    for method, path, body in [
        ("GET", f"/api/batches/{batch_id}", None),
        ("PUT", f"/api/batches/{batch_id}", CONFIG),
        ("POST", f"/api/batches/{batch_id}/stage", None),
        ("POST", f"/api/batches/{batch_id}/reprocess-staging", None),
        ("POST", f"/api/batches/{batch_id}/run", None),
        ("POST", f"/api/batches/{batch_id}/cancel", None),
        ("GET", f"/api/batches/{batch_id}/responses", None),
    ]:
        reply = await api.call(method, path, json_body=body, user="bob")
        assert reply.status == 404, (method, path, reply.body)
        assert reply.error_code == "not_found"
    for kind in ("csv", "jsonl"):
        status, _, error = await download(api, f"/api/batches/{batch_id}/export.{kind}", user="bob")
        assert status == 404 and json.loads(error)["error"]["code"] == "not_found"
    assert (await api.call("GET", "/api/batches", user="bob")).json["batches"] == []
    assert len(durable.started) == started
    assert (await get(api, batch_id))["name"] == CONFIG["name"]  # bob's PUT changed nothing


async def test_no_principal_is_a_401(api: Api) -> None:
    reply = await api.call("GET", "/api/batches", user=None)
    assert reply.status == 401 and reply.error_code == "unauthenticated"


async def test_a_pattern_re2_cannot_run_is_a_422_naming_the_check_and_why_on_create_and_edit(api: Api) -> None:
    checks = {
        "type": "checks",
        "checks": [{"name": "Law", "regex": "governed by"}, {"name": "Echo", "regex": r"(a)\1"}],
    }
    body = {**CONFIG, "prompts": [{"name": "A", "text": "x", "scoring": checks}]}
    reply = await api.call("POST", "/api/batches", json_body=body)
    assert reply.status == 422 and reply.error_code == "invalid_request", reply.body
    assert fields_of(reply) == {"prompts.0.scoring.checks.checks.1.regex"}
    assert "check 'Echo'" in reply.json["error"]["message"] and "backreferences" in reply.json["error"]["message"]
    assert (await api.call("GET", "/api/batches")).json["batches"] == []

    batch_id = await create(api)
    edited = await api.call("PUT", f"/api/batches/{batch_id}", json_body=body)
    assert edited.status == 422 and fields_of(edited) == {"prompts.0.scoring.checks.checks.1.regex"}
    evil_for_re = {"type": "checks", "checks": [{"name": "Words", "regex": r"(\w+\s?)+$"}]}
    accepted = {**CONFIG, "prompts": [{"name": "A", "text": "x", "scoring": evil_for_re}]}
    assert (await api.call("PUT", f"/api/batches/{batch_id}", json_body=accepted)).status == 200  # linear on RE2
