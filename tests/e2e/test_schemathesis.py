"""Schemathesis against the real app under devhost, from the app's own description (GET /api/openapi.json).

The app runs with LLM_PROVIDER=offline, its own Azurite, and DEV_USER_ID set with principal headers stripped (as
App Service does): every request is the fuzz user's, so ids hit that user's objects. Before the run the test seeds
contracts, documents, a staged and run batch, a saved batch, a completed comparison job with its result and a
cancelled job; their ids are the operations' explicit examples (tests/e2e/schemathesis_hooks.py). Then the CLI runs
the examples, coverage, fuzzing and stateful phases with a fixed seed, deterministic generation and at most
`max-examples` cases per operation (tests/e2e/schemathesis.toml): no 5xx, every response as described, every
error in the error shape. Every HTTP operation is fuzzed, the streams too (read to their first event); only GET
/api/openapi.json is not, as schemathesis never calls the description it loaded (tests/api/test_openapi.py covers
it). The queue trigger is not HTTP.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from tests.e2e.app import RunningApp, make_app
from tests.e2e.helpers import SAMPLE_DATA, upload_sample, upload_text, wait_for_job, wait_until
from tests.e2e.schemathesis_hooks import SEEDS_SETTING
from tests.support.azurite import start_azurite

pytestmark = [pytest.mark.slow, pytest.mark.azurite]

FUZZ_USER = "fuzz-user"
CONFIG = Path(__file__).with_name("schemathesis.toml")
HOOKS = "tests.e2e.schemathesis_hooks"
RUN_TIMEOUT_SECONDS = 600
FOLDER = "Fuzz/Docs"
PROMPTS = [{"name": "Governing law", "text": "Which law governs the agreement?"}]
QUESTION = "Which law governs the agreement?"
NDA = "nda_mutual_standard.md"
NDA_A = "nda_mutual_variant_a.md"
NDA_B = "nda_mutual_variant_b.txt"


@dataclass(frozen=True)
class Seeded:
    standard: str
    compared: str
    spare_contract: str  # for DELETE
    document: str
    spare_document: str  # for DELETE
    finished_batch: str  # staged and run
    saved_batch: str
    completed_job: str
    result: str
    cancelled_job: str


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    # Its own Azurite: it polls `job-requests` too, and must not take the queue tests' messages.
    with start_azurite() as storage:
        app = make_app(
            tmp_path_factory.mktemp("fuzz-app"),
            storage,
            DEV_USER_ID=FUZZ_USER,
            DEVHOST_TRUST_PRINCIPAL_HEADERS="0",  # App Service drops client-sent principal headers
            BATCH_SYNC_WAIT_SECONDS="2",
            STREAM_MAX_SECONDS="3",
        ).start()
        yield app
        app.stop()


def upload_document(client: httpx.Client, folder: str, sample: str) -> str:
    content = base64.b64encode((SAMPLE_DATA / sample).read_bytes()).decode()
    reply = client.post("/api/documents", json={"folder": folder, "filename": sample, "content_base64": content})
    assert reply.status_code == 201, reply.text
    return str(reply.json()["document_id"])


def batch_status(client: httpx.Client, batch_id: str) -> str:
    return str(client.get(f"/api/batches/{batch_id}").json()["status"])


def finished_batch(client: httpx.Client) -> str:
    reply = client.post("/api/batches", json={"name": "Fuzzed", "folders": [FOLDER], "prompts": PROMPTS})
    assert reply.status_code == 201, reply.text
    batch_id = str(reply.json()["batch_id"])
    for step, done in (("stage", "STAGED"), ("run", "COMPLETED")):
        reply = client.post(f"/api/batches/{batch_id}/{step}")
        assert reply.status_code == 202, reply.text
        wait_for_job(client, reply.json()["statusQueryGetUri"], timeout=90)
        wait_until(lambda: batch_status(client, batch_id) == done, timeout=30, what=f"batch {done}")  # noqa: B023
    return batch_id


@pytest.fixture(scope="module")
def seeded(fuzz_app: RunningApp) -> Seeded:
    with fuzz_app.client(None) as client:  # no principal: DEV_USER_ID
        standard, compared = upload_sample(client, NDA), upload_sample(client, NDA_A)
        spare_contract = upload_text(client, "Spare", "1. Term. This agreement lasts one year.")
        document = upload_document(client, FOLDER, NDA_B)
        spare_document = upload_document(client, "Fuzz/Spare", NDA_A)
        batch_id = finished_batch(client)
        saved = client.post("/api/batches", json={"name": "Saved", "folders": [FOLDER], "prompts": PROMPTS})
        body = {"request": {"standardContractId": standard, "compareContractIds": [compared]}}
        job = client.post("/api/jobs/comparison", json=body).json()
        watch = wait_for_job(client, job["statusQueryGetUri"], timeout=90)
        assert watch.final["status"] == "completed", watch.final
        # Cancelled at once, it can be retried; if it finished first, the retry is a documented 409.
        other = client.post("/api/jobs/query", json={"request": {"question": QUESTION, "contract_ids": [standard]}})
        client.post(f"/api/jobs/{other.json()['job_id']}/cancel")
        wait_for_job(client, other.json()["statusQueryGetUri"], timeout=90)
    return Seeded(
        standard=standard,
        compared=compared,
        spare_contract=spare_contract,
        document=document,
        spare_document=spare_document,
        finished_batch=batch_id,
        saved_batch=str(saved.json()["batch_id"]),
        completed_job=str(job["job_id"]),
        result=str(watch.final["output"]["result_id"]),
        cancelled_job=str(other.json()["job_id"]),
    )


def examples(seeds: Seeded) -> dict[str, dict[str, Any]]:
    """Explicit examples per operation: the seeded ids, and bodies that name them."""
    s = seeds
    config = {"name": "Fuzzed again", "folders": [FOLDER], "prompts": PROMPTS}
    compare = {"standardContractId": s.standard, "compareContractIds": [s.compared]}
    nda = base64.b64encode((SAMPLE_DATA / NDA).read_bytes()).decode()

    def ids(**parameters: str) -> dict[str, Any]:
        return {"parameters": parameters}

    return {
        "create_contract": {"body": {"title": "NDA", "text": (SAMPLE_DATA / NDA).read_text()}},
        "get_contract": ids(contract_id=s.standard),
        "delete_contract": ids(contract_id=s.spare_contract),
        "upload_document": {"body": {"folder": FOLDER, "filename": NDA, "content_base64": nda}},
        "get_document": ids(document_id=s.document),
        "delete_document": ids(document_id=s.spare_document),
        "list_folder_documents": ids(folder=FOLDER),
        "submit_comparison_job": {"body": {"request": compare, "priority": 5}},
        "submit_query_job": {"body": {"request": {"question": QUESTION, "contract_ids": [s.standard, s.compared]}}},
        "list_user_jobs": ids(user_id=FUZZ_USER),
        "stream_user_jobs": ids(user_id=FUZZ_USER),
        "get_job": ids(job_id=s.completed_job),
        "get_job_status": ids(job_id=s.completed_job),
        "stream_job": ids(job_id=s.completed_job),
        "cancel_job": ids(job_id=s.completed_job),
        "retry_job": ids(job_id=s.cancelled_job),
        "get_result": ids(result_id=s.result),
        "get_result_report_docx": ids(result_id=s.result),
        "get_result_report_markdown": ids(result_id=s.result),
        "create_batch": {"body": config},
        "get_batch": ids(batch_id=s.finished_batch),
        "update_batch": {**ids(batch_id=s.saved_batch), "body": config},
        "stage_batch": ids(batch_id=s.saved_batch),
        "reprocess_batch_staging": ids(batch_id=s.finished_batch),
        "run_batch": {**ids(batch_id=s.finished_batch), "body": {"mode": "standard", "priority": 5}},
        "cancel_batch": ids(batch_id=s.finished_batch),
        "list_batch_responses": ids(batch_id=s.finished_batch),
        "export_batch_csv": ids(batch_id=s.finished_batch),
        "export_batch_jsonl": ids(batch_id=s.finished_batch),
        "compare_contracts": {"body": compare},
        "query_contracts": {"body": {"question": QUESTION, "contract_ids": [s.standard]}},
        "ui_asset": ids(path="app.js"),
    }


def test_schemathesis_finds_nothing(fuzz_app: RunningApp, seeded: Seeded, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.json"
    seeds.write_text(json.dumps(examples(seeded)))
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": HOOKS, SEEDS_SETTING: str(seeds), "PYTHONPATH": str(repo)}
    command = [
        *(sys.executable, "-m", "schemathesis.cli"),
        *("--config-file", str(CONFIG), "--no-color", "run", f"{fuzz_app.base_url}/api/openapi.json"),
    ]
    started = time.monotonic()
    run = subprocess.run(command, env=env, cwd=repo, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS)
    elapsed = time.monotonic() - started
    print(run.stdout[-3000:])  # the summary: phases, operations, cases, time (shown with -s or on failure)
    print(f"schemathesis run: {elapsed:.1f} s")
    assert run.returncode == 0, f"schemathesis found problems ({elapsed:.0f} s):\n{run.stdout[-20000:]}\n{run.stderr}"


def first_event(client: httpx.Client, path: str) -> tuple[httpx.Response, dict[str, str]]:
    """Open a stream and read up to its first event (name, data, id); `retry:` and comments come before it."""
    with client.stream("GET", path, headers={"Accept": "text/event-stream"}) as reply:
        fields: dict[str, str] = {}
        for line in reply.iter_lines():
            if not line:
                if "data" in fields:
                    return reply, fields
                fields = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
    raise AssertionError(f"{path}: the stream ended without an event")


def test_streams_start_with_an_event_as_described(fuzz_app: RunningApp, seeded: Seeded) -> None:
    with fuzz_app.client(None) as client:
        document = client.get("/api/openapi.json").json()
        streams = {
            f"/api/jobs/{seeded.completed_job}/stream": ("/api/jobs/{job_id}/stream", "job_update"),
            "/api/jobs/stream?status=completed": ("/api/jobs/stream", "jobs_update"),
            f"/api/jobs/user/{FUZZ_USER}/stream": ("/api/jobs/user/{user_id}/stream", "jobs_update"),
            "/api/jobs/no-such-job/stream": ("/api/jobs/{job_id}/stream", "error"),
        }
        for path, (template, name) in streams.items():
            reply, event = first_event(client, path)
            assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/event-stream"), path
            assert event["event"] == name, (path, event)
            described = document["paths"][template]["get"]["responses"]["200"]["content"]["text/event-stream"]
            shapes = {e["properties"]["event"]["const"]: e for e in described["schema"]["oneOf"]}
            data_schema = {**shapes[name]["properties"]["data"]["contentSchema"], "components": document["components"]}
            errors = [e.message for e in Draft202012Validator(data_schema).iter_errors(json.loads(event["data"]))]
            assert not errors, (path, errors[:3])
