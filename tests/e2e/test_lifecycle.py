"""Job lifecycle edges a user runs into: cancel before any model call, cancel a query mid-map, a host that is
stopped gracefully or killed right after a cancel, a retry whose contracts were deleted meanwhile."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.e2e.app import SYSTEM_KEY, RunningApp, make_app, openai_settings
from tests.e2e.helpers import (
    JOB_EVENTS,
    NDA_STANDARD,
    NDA_VARIANT_A,
    NDA_VARIANT_B,
    clear_queue,
    events_for,
    get_json,
    result_of,
    status_url,
    submit_comparison,
    submit_query,
    upload_sample,
    wait_for_job,
    wait_until,
)
from tests.support.openai_server import OpenAITestServer

pytestmark = [pytest.mark.slow, pytest.mark.azurite]

USER = "lifecycle-user"


def test_cancel_right_after_submit_makes_no_model_call(
    tmp_path_factory: pytest.TempPathFactory, private_azurite: str, openai_server: OpenAITestServer
) -> None:
    """A job cancelled before its first step never calls the model.

    "Right after submit" alone does not make the cancel land first: on an idle host the job reaches its model calls
    about 30 ms after the 202, sooner than a client's next request. So the host here runs one activity at a time,
    busy with another job's model call held open: the job under test waits for a worker while the user cancels."""
    one_worker = {"AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions": "1"}
    app = make_app(
        tmp_path_factory.mktemp("one-worker-app"), private_azurite, **openai_settings(openai_server, **one_worker)
    )
    try:
        app.start()
        with app.client(USER) as client:
            standard = upload_sample(client, NDA_STANDARD)
            busy = submit_comparison(client, standard, [upload_sample(client, NDA_VARIANT_B, title="Keeps it busy")])
            release = openai_server.hold()
            wait_until(lambda: len(openai_server.requests) == 1, timeout=30, what="the busy job's model call")

            compared = [upload_sample(client, NDA_VARIANT_A, title=f"Early cancel {i}") for i in range(3)]
            submitted = submit_comparison(client, standard, compared)
            reply = client.post(f"/api/jobs/{submitted['job_id']}/cancel")
            assert reply.status_code == 202, reply.text
            release.set()  # the worker is free: the cancelled job's start finds it cancelled

            watch = wait_for_job(client, submitted["statusQueryGetUri"], timeout=30)
            assert watch.final["status"] == "cancelled", watch.final
            assert wait_for_job(client, busy["statusQueryGetUri"], timeout=30).final["status"] == "completed"
            job = get_json(client, f"/api/jobs/{submitted['job_id']}")
            assert job["status"] == "cancelled", job
            assert job["started_at"] is None, "the cancel was to land while the job waited for a worker"
    finally:
        app.stop()
    # Every prompt names the contracts it compares: none of the cancelled job's reached the model.
    sent = [r for r in openai_server.requests if any(cid in r.text() for cid in compared)]
    assert sent == [], "a job cancelled before its first step called the model"
    assert len(openai_server.requests) == 1  # the busy job's call, and nothing else


def test_cancel_query_during_slow_map(openai_app: RunningApp, openai_server: OpenAITestServer) -> None:
    with openai_app.client(USER) as client:
        ids = [upload_sample(client, name) for name in (NDA_STANDARD, NDA_VARIANT_A, NDA_VARIANT_B)]
        for _ in range(10):
            openai_server.slow(3.0)
        body = {  # every clause on the small model: several parts, so a combine would follow the map
            "request": {
                "question": "What is the governing law?",
                "contract_ids": ids,
                "modelSelection": "secondary",
                "retrieval": "all",
            }
        }
        reply = client.post("/api/jobs/query", json=body)
        assert reply.status_code == 202, reply.text
        submitted = reply.json()
        wait_until(lambda: len(openai_server.requests) >= 1, timeout=30, what="the first part's model call")
        assert client.post(f"/api/jobs/{submitted['job_id']}/cancel").status_code == 202
        watch = wait_for_job(client, submitted["statusQueryGetUri"], timeout=10)
        assert watch.final["status"] == "cancelled", watch.final
        time.sleep(3.5)  # the parts in flight finish; the combine step must not run
        assert [r.schema_name for r in openai_server.requests if r.schema_name == "query_answer"] == []
        assert get_json(client, f"/api/jobs/{submitted['job_id']}")["status"] == "cancelled"


@pytest.fixture(scope="module")
def terminated_job(
    openai_app: RunningApp, _openai_server_session: OpenAITestServer, private_azurite: str
) -> dict[str, Any]:
    """An operator terminates a running job's instance from the portal (Durable's own API, with the system key)
    while its model call is in flight. Returns what the user's poller then saw."""
    server = _openai_server_session
    server.reset()
    clear_queue(private_azurite, JOB_EVENTS)
    with openai_app.client(USER) as client:
        standard = upload_sample(client, NDA_STANDARD)
        variant = upload_sample(client, NDA_VARIANT_A, title="Terminated by operator")
        server.slow(3.0)
        submitted = submit_comparison(client, standard, [variant])
        job_id = submitted["job_id"]
        wait_until(lambda: len(server.requests) >= 1, timeout=30, what="the model call")
        instance_id = get_json(client, f"/api/jobs/{job_id}")["instance_id"]
        terminate = client.post(
            f"/runtime/webhooks/durabletask/instances/{instance_id}/terminate",
            params={"reason": "stuck, terminated by operator", "code": SYSTEM_KEY},
        )
        assert terminate.status_code == 202, terminate.text
        watch = wait_for_job(client, submitted["statusQueryGetUri"], timeout=15)
        time.sleep(3.0)  # the cut-off model call returns; nothing may resurrect the job
        job = get_json(client, f"/api/jobs/{job_id}")
        unauthenticated = client.get(f"/runtime/webhooks/durabletask/instances/{instance_id}").status_code
    server.reset()
    return {"job_id": job_id, "final": watch.final, "job": job, "unauthenticated": unauthenticated}


def test_orchestration_terminated_by_an_operator_leaves_no_job_processing(terminated_job: dict[str, Any]) -> None:
    final, job = terminated_job["final"], terminated_job["job"]
    assert final["status"] in ("cancelled", "failed"), final
    assert final["runtimeStatus"] in ("Terminated", "Failed")
    assert job["status"] == final["status"] and job["result_id"] is None, job
    # Durable's API itself is not open to users: without the system key it refuses.
    assert terminated_job["unauthenticated"] in (401, 403, 404)


def test_orchestration_terminated_by_an_operator_is_announced_on_job_events(
    terminated_job: dict[str, Any], private_azurite: str
) -> None:
    job_id = terminated_job["job_id"]
    wait_until(lambda: bool(events_for(private_azurite, job_id)), timeout=5, what="a job-events message")
    assert {e["status"] for e in events_for(private_azurite, job_id)} == {terminated_job["job"]["status"]}


def test_retry_after_contracts_were_deleted_is_refused(openai_app: RunningApp, openai_server: OpenAITestServer) -> None:
    with openai_app.client(USER) as client:
        ids = [upload_sample(client, NDA_STANDARD), upload_sample(client, NDA_VARIANT_B)]
        openai_server.slow(2.0)
        submitted = submit_query(client, "Which party may seek an injunction?", ids)
        job_id = submitted["job_id"]
        wait_until(lambda: len(openai_server.requests) >= 1, timeout=30, what="the model call")
        assert client.post(f"/api/jobs/{job_id}/cancel").status_code == 202
        assert wait_for_job(client, submitted["statusQueryGetUri"]).final["status"] == "cancelled"
        assert client.delete(f"/api/contracts/{ids[1]}").status_code in (200, 204)
        jobs_before = {j["job_id"] for j in get_json(client, "/api/jobs")["jobs"]}
        reply = client.post(f"/api/jobs/{job_id}/retry")
        assert reply.status_code in (400, 404, 409, 422), reply.text
        assert ids[1] in reply.text, "the error names the missing contract"
        jobs_after = {j["job_id"] for j in get_json(client, "/api/jobs")["jobs"]}
        assert jobs_after == jobs_before, "a refused retry created a job"


def test_graceful_stop_mid_job_and_kill_after_cancel(
    tmp_path_factory: pytest.TempPathFactory, private_azurite: str, openai_server: OpenAITestServer
) -> None:
    """SIGTERM while model calls are in flight: the host stops in bounded time, and after a restart the job
    completes. Then a cancel followed at once by SIGKILL: after a restart the job is cancelled, not stuck."""
    app = make_app(tmp_path_factory.mktemp("lifecycle-app"), private_azurite, **openai_settings(openai_server))
    try:
        app.start()
        with app.client(USER) as client:
            standard = upload_sample(client, NDA_STANDARD)
            compared = [upload_sample(client, NDA_VARIANT_B, title=f"Stop {i}") for i in range(4)]
            for _ in range(4):
                openai_server.slow(3.0)
            first = submit_comparison(client, standard, compared)["job_id"]
            wait_until(lambda: len(openai_server.requests) >= 1, timeout=30, what="model calls in flight")
        stopping = time.monotonic()
        app.stop()
        assert time.monotonic() - stopping < 15, "graceful stop hung on in-flight model calls"

        app.start()
        with app.client(USER) as client:
            watch = wait_for_job(client, status_url(first), timeout=60)
            assert watch.final["status"] == "completed", watch.final
            assert len(result_of(client, watch)["result"]["comparisons"]) == 4

            openai_server.reset()
            for _ in range(8):
                openai_server.slow(3.0)
            second = submit_comparison(client, standard, compared)["job_id"]
            wait_until(lambda: len(openai_server.requests) >= 1, timeout=30, what="model calls in flight")
            assert client.post(f"/api/jobs/{second}/cancel").status_code == 202
        app.kill()

        app.start()
        with app.client(USER) as client:
            watch = wait_for_job(client, status_url(second), timeout=60)
            assert watch.final["status"] == "cancelled", watch.final
            time.sleep(1.0)
            assert get_json(client, f"/api/jobs/{second}")["status"] == "cancelled"
    finally:
        app.stop()
