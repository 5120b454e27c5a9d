"""Attack (or accident): an internal failure's text reaches users. The Durable client's exceptions carry the task
hub's URLs (with the system key) and hosts; they used to be stored in the job's error_details, which the status
endpoint, the job's stream, job-events and the operations summary all show.

Under devhost, a job whose orchestration cannot start: a queue message for a job id whose Durable instance already
exists and is running (suspended), so the real client's start gets the task hub's 409. The job is failed with a
stable code and a plain message everywhere a user (or an operator's summary) can read it, the exception is in the
log with the job id, and another user's cheap request stays fast meanwhile."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from api.queue_starter import JOB_REQUESTS_QUEUE, job_id_for_message
from shared.comparison.names import ORCHESTRATOR as COMPARISON_ORCHESTRATOR
from shared.jobs.submission import START_FAILED_MESSAGE
from tests.e2e.app import SYSTEM_KEY, RunningApp
from tests.e2e.helpers import principal_headers, upload_text, wait_until
from tests.security.devhost_apps import running_app
from tests.support.bystander import Bystander

pytestmark = pytest.mark.slow

USER = "start-failure-user"
TEXT = "1. Governing Law. This Agreement is governed by the laws of Delaware.\n\n2. Term. Two years.\n"
DURABLE = "/runtime/webhooks/durabletask"
# What the Durable client's exception holds: none of it may reach a user.
INTERNALS = ("already exists", "409", SYSTEM_KEY, "Exception", "webhooks", "127.0.0.1")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with running_app(tmp_path_factory.mktemp("start-failure")) as running:
        yield running


def test_a_start_failure_shows_users_a_code_and_a_plain_message(app: RunningApp) -> None:
    storage = app.env["AzureWebJobsStorage"]
    with (
        app.client(USER) as client,
        QueueClient.from_connection_string(
            storage, JOB_REQUESTS_QUEUE, message_encode_policy=TextBase64EncodePolicy()
        ) as queue,
        Bystander(app.base_url) as bystander,
    ):
        with contextlib.suppress(ResourceExistsError):
            queue.create_queue()
        standard, other = upload_text(client, "Standard", TEXT), upload_text(client, "Other", TEXT)
        request = {"standardContractId": standard, "compareContractIds": [other]}
        message = {"user_id": USER, "job_type": "comparison", "request": request}
        # Invisible until its job's instance id is occupied on the task hub, then made visible at once (a fixed
        # few seconds of invisibility raced the suspension on a loaded machine).
        sent = queue.send_message(json.dumps(message), visibility_timeout=120)
        job_id = job_id_for_message(sent.id)
        occupy_instance(app, job_id)
        queue.update_message(sent.id, pop_receipt=sent.pop_receipt, visibility_timeout=0)

        wait_until(lambda: client.get(f"/api/jobs/{job_id}").status_code == 200, timeout=30, what="the job")
        wait_until(lambda: client.get(f"/api/jobs/{job_id}").json()["status"] == "failed", timeout=30, what="failed")
        job = client.get(f"/api/jobs/{job_id}").json()
        status = client.get(f"/api/jobs/{job_id}/status").json()
        with client.stream("GET", f"/api/jobs/{job_id}/stream") as stream:
            events = "".join(stream.iter_text())
        summary = client.get("/api/ops/summary", headers=principal_headers(USER, "ops")).json()

    bystander.assert_responsive()
    expected = {"code": "start_failed", "message": START_FAILED_MESSAGE}
    assert job["error_details"] == expected
    assert status["output"]["error"] == expected
    [failed] = [f for f in summary["failed_jobs"] if f["job_id"] == job_id]
    assert (failed["error_type"], failed["message"]) == ("start_failed", START_FAILED_MESSAGE)
    for shown in (json.dumps(job), json.dumps(status), events, json.dumps(failed)):
        leaked = [text for text in INTERNALS if text in shown]
        assert not leaked, f"{leaked} shown to the user: {shown[:500]}"
    # The detail is the operators': in the log, with the job id.
    log = [line for line in app.output().splitlines() if job_id in line and "could not start orchestration" in line]
    assert log, app.output()[-3000:]


def occupy_instance(app: RunningApp, instance_id: str) -> None:
    """A running (suspended) instance with this id on the task hub, through Durable's own management API."""
    with httpx.Client(base_url=app.base_url, params={"code": SYSTEM_KEY}, timeout=10) as durable:
        started = durable.post(
            f"{DURABLE}/orchestrators/{COMPARISON_ORCHESTRATOR}/{instance_id}",
            json={"job_id": instance_id, "user_id": "someone-else"},
        )
        assert started.status_code == 202, started.text

        def suspended() -> bool:
            return durable.get(f"{DURABLE}/instances/{instance_id}").json()["runtimeStatus"] == "Suspended"

        # A suspend that reaches the instance while its first episode runs may not take (seen on a loaded machine):
        # ask again until it has, for up to 30 s.
        deadline = time.monotonic() + 30
        while True:
            assert durable.post(f"{DURABLE}/instances/{instance_id}/suspend").status_code == 202
            try:
                wait_until(suspended, timeout=3, what="the instance suspended")
                return
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
