"""The DocumentEvaluator flow through devhost against the OpenAI-compatible test server: documents into a folder,
a batch staged and run; a model that rejects some records (400) and throttles others (429); a re-run of the
failures only; a host killed mid-run that resumes without paying again for answers it already has; a cancel."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.app import RunningApp, make_app, openai_settings
from tests.e2e.helpers import get_json, wait_for_job, wait_until
from tests.support.openai_server import OpenAITestServer, RecordedRequest

pytestmark = pytest.mark.slow

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
DOCUMENTS = {
    "nda_a.md": "nda_mutual_variant_a.md",
    "nda_b.txt": "nda_mutual_variant_b.txt",
    "msa.txt": "msa_standard.txt",
    "lease.docx": "commercial_lease.docx",
}
PROMPTS = [
    {"name": "Governing law", "text": "Which law governs the agreement?"},
    {"name": "Term", "text": "How long does the agreement last?", "scoring": {"type": "scale", "min": 1, "max": 5}},
]
_FILENAME = re.compile(r'<document filename="(?P<name>[^"]+)"')


def record_of(request: RecordedRequest) -> tuple[str, str]:
    """Which record a model call is for: (document filename, prompt name)."""
    user = str(request.messages[-1]["content"])
    filename = m["name"] if (m := _FILENAME.search(user)) else "?"
    prompt = next((p["name"] for p in PROMPTS if p["text"] in user), "?")
    return filename, prompt


def upload_folder(client: httpx.Client, folder: str, names: dict[str, str] = DOCUMENTS) -> None:
    for filename, sample in names.items():
        content = base64.b64encode((SAMPLES / sample).read_bytes()).decode()
        body = {"folder": folder, "filename": filename, "content_base64": content}
        reply = client.post("/api/documents", json=body)
        assert reply.status_code == 201, reply.text


def staged_batch(client: httpx.Client, folder: str, prompts: list[dict[str, Any]] = PROMPTS) -> str:
    reply = client.post("/api/batches", json={"name": f"Batch of {folder}", "folders": [folder], "prompts": prompts})
    assert reply.status_code == 201, reply.text
    batch_id = str(reply.json()["batch_id"])
    staging = client.post(f"/api/batches/{batch_id}/stage")
    assert staging.status_code == 202, staging.text
    watch = wait_for_job(client, staging.json()["statusQueryGetUri"], timeout=60)
    assert watch.final["status"] == "completed", watch.final
    return batch_id


def run(client: httpx.Client, batch_id: str) -> dict[str, Any]:
    reply = client.post(f"/api/batches/{batch_id}/run")
    assert reply.status_code == 202, reply.text
    return dict(reply.json())


def responses(client: httpx.Client, batch_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    body = get_json(client, f"/api/batches/{batch_id}/responses?limit=1000")
    return {(r["filename"], r["prompt_name"]): r for r in body["responses"]}


def test_rejected_and_throttled_records_then_a_re_run_of_the_failures_only(
    openai_app: RunningApp, openai_server: OpenAITestServer
) -> None:
    with openai_app.client("batch-user") as client:
        upload_folder(client, "Suppliers")
        batch_id = staged_batch(client, "Suppliers")
        openai_server.reset()
        openai_server.fail(400, "This document cannot be processed")  # one record: rejected
        openai_server.rate_limit(retry_after_ms=50, times=2)  # another: throttled twice, then answered
        watch = wait_for_job(client, run(client, batch_id)["statusQueryGetUri"], timeout=120)
        assert watch.final["status"] == "completed", watch.final

        first = get_json(client, f"/api/batches/{batch_id}")
        assert first["status"] == "COMPLETED_WITH_ERRORS"
        assert first["counts"] == {"QUEUED": 0, "S": 7, "F": 1}
        found = responses(client, batch_id)
        (failed,) = [r for r in found.values() if r["status"] == "F"]
        assert "cannot be processed" in failed["error"] and "400" in failed["error"]
        throttled = [r for r in openai_server.requests if r.reply_status == 429]
        assert len(throttled) == 2  # answered on the third call: no record failed for being throttled
        answered = [r for r in found.values() if r["status"] == "S"]
        assert all(r["evidence"] and r["score"] is not None for r in answered)

        calls_before = len(openai_server.requests)
        watch = wait_for_job(client, run(client, batch_id)["statusQueryGetUri"], timeout=120)
        assert watch.final["status"] == "completed", watch.final
        again = openai_server.requests[calls_before:]
        assert [record_of(r) for r in again] == [(failed["filename"], failed["prompt_name"])]  # the failure only
        second = get_json(client, f"/api/batches/{batch_id}")
        assert second["status"] == "COMPLETED" and second["counts"]["S"] == 8
        assert second["summary"]["model_calls"] == 1


def test_a_host_killed_mid_run_resumes_and_never_pays_twice_for_an_answer(
    tmp_path_factory: pytest.TempPathFactory, private_azurite: str, openai_server: OpenAITestServer
) -> None:
    app = make_app(tmp_path_factory.mktemp("batch-crash"), private_azurite, **openai_settings(openai_server))
    try:
        app.start()
        with app.client("crash-batch") as client:
            upload_folder(client, "Vendors")
            batch_id = staged_batch(client, "Vendors")
            openai_server.reset()
            for _ in range(8):
                openai_server.slow(1.5)
            run(client, batch_id)
            wait_until(
                lambda: get_json(client, f"/api/batches/{batch_id}/responses?status=S")["responses"] != [],
                timeout=60,
                what="a first answered record",
            )
            answered = {k for k, r in responses(client, batch_id).items() if r["status"] == "S"}
        app.kill()
        calls_before = len(openai_server.requests)

        app.start()
        with app.client("crash-batch") as client:
            wait_until(
                lambda: get_json(client, f"/api/batches/{batch_id}")["status"] == "COMPLETED",
                timeout=120,
                what="the batch to complete after the restart",
            )
            final = responses(client, batch_id)
        after = [record_of(r) for r in openai_server.requests[calls_before:]]
    finally:
        app.stop()
    assert all(r["status"] == "S" for r in final.values()) and len(final) == 8
    assert answered and not answered & set(after)  # no answer paid for before the kill was bought again
    assert all(count == 1 for count in (after.count(k) for k in set(after)))


def test_a_cancel_mid_run_keeps_the_answers_and_stops_the_rest(
    openai_app: RunningApp, openai_server: OpenAITestServer
) -> None:
    prompts = [*PROMPTS, {"name": "Notice", "text": "How much notice ends the agreement?"}]
    with openai_app.client("batch-canceller") as client:
        upload_folder(client, "Cancelled")
        batch_id = staged_batch(client, "Cancelled", prompts)  # 4 documents x 3 prompts: more than run at once
        openai_server.reset()
        openai_server.slow(0.1)  # the first record is answered; the calls after it wait until the cancel
        gates = [openai_server.hold() for _ in range(11)]
        try:
            submitted = run(client, batch_id)
            wait_until(
                lambda: get_json(client, f"/api/batches/{batch_id}/responses?status=S")["responses"] != [],
                timeout=60,
                what="a first answered record",
            )
            assert client.post(f"/api/batches/{batch_id}/cancel").status_code == 202
        finally:
            for gate in gates:
                gate.set()  # the calls already made come back: their answers are kept
        watch = wait_for_job(client, submitted["statusQueryGetUri"], timeout=60)
        assert watch.final["status"] == "cancelled"
        wait_until(
            lambda: get_json(client, f"/api/batches/{batch_id}")["status"] == "CANCELLED",
            timeout=30,
            what="the batch to show CANCELLED",
        )
        counts = get_json(client, f"/api/batches/{batch_id}")["counts"]
        assert counts["S"] >= 1 and sum(counts.values()) == 12
        assert counts["QUEUED"] >= 1  # what had not started when the cancel came was not run
        assert len(openai_server.requests) < 12
