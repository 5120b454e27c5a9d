"""A batch run in mode economy through devhost, against the Batch API of the OpenAI test server: documents →
batch → stage → run {"mode": "economy"} (polled every second: BATCH_API_POLL_SECONDS=1) → the records answered
from the output file, failed lines F, the summary with the mode and the cost saved; a cancel mid-run that cancels
the remote batch; a host killed while polling that, restarted, finds its remote batch and reads it without
sending anything twice."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.app import RunningApp, make_app, openai_settings
from tests.e2e.helpers import get_json, wait_for_job, wait_until
from tests.e2e.test_batches import responses, staged_batch, upload_folder
from tests.support.openai_server import OpenAITestServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def economy_app(
    tmp_path_factory: pytest.TempPathFactory, private_azurite: str, _openai_server_session: OpenAITestServer
) -> Iterator[RunningApp]:
    settings = openai_settings(_openai_server_session, BATCH_API_POLL_SECONDS="1")
    app = make_app(tmp_path_factory.mktemp("economy-app"), private_azurite, **settings).start()
    yield app
    app.stop()


def run_economy(client: httpx.Client, batch_id: str) -> dict[str, Any]:
    reply = client.post(f"/api/batches/{batch_id}/run", json={"mode": "economy"})
    assert reply.status_code == 202, reply.text
    return dict(reply.json())


def remote_status(client: httpx.Client, batch_id: str) -> str | None:
    remote = get_json(client, f"/api/batches/{batch_id}")["remote_batches"]
    return str(remote[0]["status"]) if remote else None


def test_an_economy_run_answers_through_the_batch_api_and_shows_the_cost_saved(
    economy_app: RunningApp, openai_server: OpenAITestServer
) -> None:
    with economy_app.client("economy-user") as client:
        upload_folder(client, "Suppliers")
        batch_id = staged_batch(client, "Suppliers")
        queued = responses(client, batch_id)
        failing = {queued[("msa.txt", "Governing law")]["record_id"]: "This document cannot be processed",
                   queued[("lease.docx", "Term")]["record_id"]: "The request was blocked"}  # fmt: skip
        openai_server.reset()
        openai_server.batch_api.fail_lines(failing)
        openai_server.batch_api.complete_after = 3.0  # polls see it in progress first

        messages: list[str] = []
        watch = wait_for_job(
            client, run_economy(client, batch_id)["statusQueryGetUri"], timeout=120,
            until=lambda body: messages.append(body["customStatus"]["message"]) and False,
        )  # fmt: skip
        assert watch.final["status"] == "completed", watch.final
        batch = get_json(client, f"/api/batches/{batch_id}")

    assert any(m.startswith("Batch API in_progress") for m in messages), messages
    assert batch["status"] == "COMPLETED_WITH_ERRORS" and batch["counts"] == {"QUEUED": 0, "S": 6, "F": 2}
    (remote,) = batch["remote_batches"]
    assert (remote["status"], remote["requests"], remote["completed"], remote["failed"]) == ("completed", 8, 6, 2)
    summary = batch["summary"]
    assert summary["mode"] == "economy" and summary["model_calls"] == 6
    assert summary["cost_saved"] > 0 and summary["estimated_cost"] == pytest.approx(summary["cost_saved"], abs=1e-6)
    with economy_app.client("economy-user") as client:
        found = responses(client, batch_id)
    for (filename, prompt), record in found.items():
        if record["record_id"] in failing:
            assert record["status"] == "F" and failing[record["record_id"]] in record["error"], record
            assert "HTTP 400" in record["error"]
        else:
            assert record["status"] == "S" and record["evidence"] and record["score"] is not None, (filename, prompt)
    api = openai_server.batch_api
    assert (len(api.uploads), len(api.created), api.cancel_requests) == (1, 1, [])
    assert openai_server.requests == []  # not one record went the standard way


def test_a_cancel_mid_run_cancels_the_remote_batch_and_keeps_its_answers(
    economy_app: RunningApp, openai_server: OpenAITestServer
) -> None:
    with economy_app.client("economy-canceller") as client:
        upload_folder(client, "Cancelled")
        batch_id = staged_batch(client, "Cancelled")
        openai_server.reset()
        openai_server.batch_api.hold()
        submitted = run_economy(client, batch_id)
        wait_until(lambda: remote_status(client, batch_id) == "in_progress", timeout=60, what="the remote batch")
        openai_server.batch_api.process(2)  # two lines answered before the cancel
        assert client.post(f"/api/batches/{batch_id}/cancel").status_code == 202

        watch = wait_for_job(client, submitted["statusQueryGetUri"], timeout=60)
        assert watch.final["status"] == "cancelled"
        wait_until(
            lambda: get_json(client, f"/api/batches/{batch_id}")["status"] == "CANCELLED",
            timeout=60,
            what="the batch to show CANCELLED",
        )
        batch = get_json(client, f"/api/batches/{batch_id}")

    assert len(openai_server.batch_api.cancel_requests) == 1
    assert batch["remote_batches"][0]["status"] == "cancelled"
    assert batch["counts"] == {"QUEUED": 6, "S": 2, "F": 0}  # answered before the cancel: kept; the rest not run


def test_a_host_killed_while_polling_finds_its_remote_batch_and_sends_nothing_twice(
    tmp_path_factory: pytest.TempPathFactory, private_azurite: str, openai_server: OpenAITestServer
) -> None:
    settings = openai_settings(openai_server, BATCH_API_POLL_SECONDS="1")
    app = make_app(tmp_path_factory.mktemp("economy-crash"), private_azurite, **settings)
    try:
        app.start()
        with app.client("economy-crash") as client:
            upload_folder(client, "Vendors")
            batch_id = staged_batch(client, "Vendors")
            openai_server.reset()
            openai_server.batch_api.hold()
            run_economy(client, batch_id)
            wait_until(lambda: remote_status(client, batch_id) == "in_progress", timeout=60, what="the remote batch")
        app.kill()
        openai_server.batch_api.release()  # it completes while nobody polls

        app.start()
        with app.client("economy-crash") as client:
            wait_until(
                lambda: get_json(client, f"/api/batches/{batch_id}")["status"] == "COMPLETED",
                timeout=120,
                what="the batch to complete after the restart",
            )
            batch = get_json(client, f"/api/batches/{batch_id}")
    finally:
        app.stop()
    api = openai_server.batch_api
    assert (len(api.uploads), len(api.created)) == (1, 1)
    assert batch["counts"] == {"QUEUED": 0, "S": 8, "F": 0} and batch["remote_batches"][0]["ingested"]
