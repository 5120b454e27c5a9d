"""Jobs API: submit, status polling, lists, cancel, retry; bad input creates nothing. (Health: test_health.py.)"""

from __future__ import annotations

import json
from typing import Any

import pytest
from azure.storage.queue import QueueClient, TextBase64DecodePolicy

from shared.comparison.names import ORCHESTRATOR as COMPARISON_ORCHESTRATOR
from shared.jobs import events
from shared.jobs.models import JobProgress, JobStatus, ProcessingStep
from shared.jobs.names import CANCEL_EVENT
from shared.jobs.service import JobService
from shared.query.names import ORCHESTRATOR as QUERY_ORCHESTRATOR
from shared.storage.base import Repositories
from tests.api.conftest import Api, FakeDurableClient, upload

PROGRESS_FIELDS = {"current_step", "percentage", "message", "items_done", "items_total", "updated_at", "seq"}


async def three_contracts(api: Api, user: str = "alice") -> tuple[str, str, str]:
    return (
        await upload(api, "Standard", user=user),
        await upload(api, "Vendor A", user=user),
        await upload(api, "Vendor B", user=user),
    )


def comparison_body(standard: str, *others: str, **extra: Any) -> dict[str, Any]:
    request = {"standardContractId": standard, "compareContractIds": list(others), "comparisonMode": "full"}
    return {"request": request | extra.pop("request", {}), "priority": 5, **extra}


async def submit(api: Api, user: str = "alice") -> dict[str, Any]:
    a, b, _ = await three_contracts(api, user)
    reply = await api.call("POST", "/api/jobs/comparison", json_body=comparison_body(a, b), user=user)
    assert reply.status == 202, reply.body
    return dict(reply.json)


async def test_submit_comparison_starts_one_orchestration_and_hands_out_our_urls(
    api: Api, durable: FakeDurableClient, repos: Repositories
) -> None:
    a, b, c = await three_contracts(api)
    reply = await api.call("POST", "/api/jobs/comparison", json_body=comparison_body(a, b, c))
    assert reply.status == 202
    body = reply.json
    job_id = body["job_id"]
    assert body["status"] == "queued"
    assert body["id"] == job_id
    assert body["statusQueryGetUri"] == f"http://localhost:7071/api/jobs/{job_id}/status"
    assert body["terminatePostUri"].endswith(f"/api/jobs/{job_id}/cancel")
    assert reply.headers["location"] == body["statusQueryGetUri"]
    # Durable's own management URLs carry the system key: none may reach a user.
    assert "webhooks" not in reply.body.decode() and "code=" not in reply.body.decode()

    assert durable.started == [(COMPARISON_ORCHESTRATOR, job_id, {"job_id": job_id, "user_id": "alice"})]
    job = JobService(repos.jobs).get_job("alice", job_id)
    assert job.instance_id == job_id
    assert job.request.model_dump(mode="json")["compareContractIds"] == [b, c]


async def test_submit_query(api: Api, durable: FakeDurableClient) -> None:
    a, b, _ = await three_contracts(api)
    body = {"request": {"question": "What are the payment terms?", "contract_ids": [a, b]}, "priority": 9}
    reply = await api.call("POST", "/api/jobs/query", json_body=body)
    assert reply.status == 202
    assert durable.started[0][0] == QUERY_ORCHESTRATOR
    job = (await api.call("GET", f"/api/jobs/{reply.json['job_id']}")).json
    assert job["priority"] == 9
    assert job["job_type"] == "query"
    assert job["progress"]["percentage"] == 0
    assert job["request"]["retrieval"] == "ranked"  # the default: a model is sent the ranked clauses


async def test_a_query_may_ask_for_every_clause_to_be_sent(api: Api, durable: FakeDurableClient) -> None:
    a, b, _ = await three_contracts(api)
    body = {"request": {"question": "What are the payment terms?", "contract_ids": [a, b], "retrieval": "all"}}
    reply = await api.call("POST", "/api/jobs/query", json_body=body)
    assert reply.status == 202
    job = (await api.call("GET", f"/api/jobs/{reply.json['job_id']}")).json
    assert job["request"]["retrieval"] == "all"


async def test_public_base_url_setting_shapes_urls(api: Api, configure: Any) -> None:
    configure(public_base_url="https://contracts.example.com/")
    body = await submit(api)
    assert body["statusQueryGetUri"].startswith("https://contracts.example.com/api/jobs/")


async def assert_no_jobs(api: Api, durable: FakeDurableClient) -> None:
    listed = (await api.call("GET", "/api/jobs")).json
    assert listed["jobs"] == []
    assert sum(listed["counts"].values()) == 0
    assert durable.started == []


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"priority": 0}, "priority"),
        ({"priority": 11}, "priority"),
        ({"priority": "high"}, "priority"),
        ({"request": {"comparisonMode": "everything"}}, "request.comparisonMode"),
        ({"request": {"compareContractIds": "c1"}}, "request.compareContractIds"),
        ({"request": {"compareContractIds": []}}, "request.compareContractIds"),
        ({"request": {"modelSelection": "tertiary"}}, "request.modelSelection"),
        ({"surprise": True}, "surprise"),
    ],
)
async def test_invalid_comparison_bodies_are_422_with_field_paths(
    api: Api, durable: FakeDurableClient, patch: dict[str, Any], field: str
) -> None:
    body = comparison_body("std", "other", **patch)
    reply = await api.call("POST", "/api/jobs/comparison", json_body=body)
    assert reply.status == 422, reply.body
    error = reply.json["error"]
    assert error["code"] == "invalid_request"
    assert field in [d["field"] for d in error["details"]]
    assert all(d["message"] for d in error["details"])
    await assert_no_jobs(api, durable)


@pytest.mark.parametrize(
    "request_body",
    [
        {"question": "   ", "contract_ids": ["c1"]},
        {"question": "x" * 4001, "contract_ids": ["c1"]},
        {"question": "ok?", "contract_ids": []},
        {"question": "ok?", "contract_ids": ["c1", "c1"]},
        {"contract_ids": ["c1"]},
        {"question": "ok?", "contract_ids": ["c1"], "retrieval": "some"},
    ],
)
async def test_invalid_query_bodies_are_422(api: Api, durable: FakeDurableClient, request_body: Any) -> None:
    reply = await api.call("POST", "/api/jobs/query", json_body={"request": request_body})
    assert reply.status == 422
    assert reply.json["error"]["details"][0]["field"].startswith("request")
    await assert_no_jobs(api, durable)


async def test_malformed_and_oversized_bodies(api: Api, durable: FakeDurableClient, configure: Any) -> None:
    reply = await api.call("POST", "/api/jobs/comparison", raw=b"{'single': 'quotes'}")
    assert reply.status == 400
    assert reply.error_code == "malformed_json"
    reply = await api.call("POST", "/api/jobs/query", raw=b"")
    assert reply.status == 400
    configure(max_request_bytes=64)
    reply = await api.call("POST", "/api/jobs/comparison", json_body=comparison_body("a" * 100, "b"))
    assert reply.status == 413
    configure(max_request_bytes=1_000_000)
    await assert_no_jobs(api, durable)


async def test_unknown_and_foreign_contracts_are_rejected_before_a_job_exists(
    api: Api, durable: FakeDurableClient
) -> None:
    mine = await upload(api)
    bobs = await upload(api, user="bob")
    reply = await api.call("POST", "/api/jobs/comparison", json_body=comparison_body(mine, bobs, "contract_nope"))
    assert reply.status == 422
    assert reply.error_code == "unknown_contracts"
    assert sorted(reply.json["error"]["details"]["missing"]) == sorted([bobs, "contract_nope"])
    await assert_no_jobs(api, durable)


async def test_failed_start_marks_the_job_failed(api: Api, durable: FakeDurableClient) -> None:
    durable.fail_start = True
    a, b, _ = await three_contracts(api)
    reply = await api.call("POST", "/api/jobs/comparison", json_body=comparison_body(a, b))
    assert reply.status == 503
    assert reply.error_code == "start_failed"
    job_id = reply.json["error"]["details"]["job_id"]
    job = (await api.call("GET", f"/api/jobs/{job_id}")).json
    assert job["status"] == "failed"
    # A stable code and a plain message: the Durable client's exception stays in the log.
    assert job["error_details"]["code"] == "start_failed"
    assert "ConnectionError" not in job["error_details"]["message"]
    assert "task hub unreachable" not in json.dumps(job)


@pytest.mark.azurite
async def test_failed_start_is_announced_on_job_events(
    api: Api, durable: FakeDurableClient, configure: Any, azurite_connection_string: str
) -> None:
    configure(storage_connection=azurite_connection_string, job_events_queue="job-events-failed-start")
    events.reset_clients()
    durable.fail_start = True
    a, b, _ = await three_contracts(api)
    reply = await api.call("POST", "/api/jobs/comparison", json_body=comparison_body(a, b))
    job_id = reply.json["error"]["details"]["job_id"]
    queue = QueueClient.from_connection_string(
        azurite_connection_string, "job-events-failed-start", message_decode_policy=TextBase64DecodePolicy()
    )
    published = [json.loads(m.content) for m in queue.receive_messages(max_messages=10)]
    events.reset_clients()
    assert [(e["job_id"], e["status"]) for e in published] == [(job_id, "failed")]
    assert published[0]["error"]["code"] == "start_failed"
    assert "task hub unreachable" not in json.dumps(published[0])


async def test_job_and_status_are_owner_checked(api: Api) -> None:
    job_id = (await submit(api))["job_id"]
    for path in (f"/api/jobs/{job_id}", f"/api/jobs/{job_id}/status"):
        assert (await api.call("GET", path, user="bob")).status == 404
    assert (await api.call("GET", "/api/jobs/job_unknown")).status == 404


async def test_status_is_202_while_running_and_200_when_done(api: Api, repos: Repositories) -> None:
    job_id = (await submit(api))["job_id"]
    reply = await api.call("GET", f"/api/jobs/{job_id}/status")
    assert reply.status == 202
    assert reply.headers["retry-after"]
    view = reply.json
    assert (view["job_id"], view["status"], view["runtimeStatus"]) == (job_id, "queued", "Pending")
    assert view["name"] == COMPARISON_ORCHESTRATOR
    assert view["instanceId"] == job_id
    # customStatus is the job's progress (the one JobProgress model); the job's id and status are top-level.
    assert set(view["customStatus"]) == PROGRESS_FIELDS
    assert (view["customStatus"]["current_step"], view["customStatus"]["percentage"]) == ("queued", 0)
    assert view["output"] is None

    service = JobService(repos.jobs)
    service.update_status("alice", job_id, JobStatus.PROCESSING)
    assert (await api.call("GET", f"/api/jobs/{job_id}/status")).json["runtimeStatus"] == "Running"
    service.update_status("alice", job_id, JobStatus.COMPLETED, result_id="res_1")
    reply = await api.call("GET", f"/api/jobs/{job_id}/status")
    assert reply.status == 200
    assert (reply.json["status"], reply.json["runtimeStatus"]) == ("completed", "Completed")
    assert reply.json["output"] == {"result_id": "res_1"}


async def test_status_custom_status_is_the_job_documents_progress(api: Api, repos: Repositories) -> None:
    job_id = (await submit(api))["job_id"]
    service = JobService(repos.jobs)
    service.update_status("alice", job_id, JobStatus.PROCESSING)
    progress = JobProgress(
        current_step=ProcessingStep.CALLING_LLM, percentage=65, message="Comparing contract 2 of 2", items_done=1,
        items_total=2,
    )  # fmt: skip
    stored = service.update_progress("alice", job_id, progress).progress
    assert stored.seq == 2  # moved to processing, then this progress: every change counts

    view = (await api.call("GET", f"/api/jobs/{job_id}/status")).json
    document = (await api.call("GET", f"/api/jobs/{job_id}")).json
    [listed] = (await api.call("GET", "/api/jobs")).json["jobs"]

    assert view["customStatus"] == document["progress"] == listed["progress"] == stored.model_dump(mode="json")
    assert view["customStatus"]["seq"] == stored.seq
    assert (view["customStatus"]["message"], view["customStatus"]["items_done"]) == ("Comparing contract 2 of 2", 1)
    assert view["lastUpdatedTime"] == document["progress"]["updated_at"]


async def test_list_filters_counts_and_continuation(api: Api, repos: Repositories) -> None:
    a, b, c = await three_contracts(api)
    ids = []
    for _ in range(5):
        reply = await api.call("POST", "/api/jobs/comparison", json_body=comparison_body(a, b))
        ids.append(reply.json["job_id"])
    query = {"request": {"question": "Who pays?", "contract_ids": [a, c]}}
    ids.append((await api.call("POST", "/api/jobs/query", json_body=query)).json["job_id"])
    JobService(repos.jobs).cancel("alice", ids[0])
    await submit(api, user="bob")

    everything = (await api.call("GET", "/api/jobs")).json
    assert sorted(j["job_id"] for j in everything["jobs"]) == sorted(ids)
    assert everything["counts"]["queued"] == 5
    assert everything["counts"]["cancelled"] == 1

    queued = (await api.call("GET", "/api/jobs", query="status=queued,processing&job_type=comparison")).json
    assert len(queued["jobs"]) == 4

    seen: list[str] = []
    continuation = None
    for _ in range(10):
        q = "limit=4" + (f"&continuation={continuation}" if continuation else "")
        page = (await api.call("GET", "/api/jobs", query=q)).json
        assert len(page["jobs"]) <= 4
        seen += [j["job_id"] for j in page["jobs"]]
        continuation = page["continuation"]
        if not continuation:
            break
    assert sorted(seen) == sorted(ids)


@pytest.mark.parametrize("query", ["status=done", "job_type=poem", "limit=0", "limit=101", "limit=x"])
async def test_bad_list_parameters_are_400(api: Api, query: str) -> None:
    reply = await api.call("GET", "/api/jobs", query=query)
    assert reply.status == 400
    assert reply.error_code == "bad_request"


async def test_user_path_is_the_callers_own_or_403(api: Api) -> None:
    await submit(api)
    mine = await api.call("GET", "/api/jobs/user/alice", query="status=queued&limit=10")
    assert mine.status == 200
    assert len(mine.json["jobs"]) == 1
    other = await api.call("GET", "/api/jobs/user/bob")
    assert other.status == 403
    assert other.error_code == "forbidden"


async def test_cancel_then_cancel_again_is_409(api: Api, durable: FakeDurableClient) -> None:
    job_id = (await submit(api))["job_id"]
    assert (await api.call("POST", f"/api/jobs/{job_id}/cancel", user="bob")).status == 404
    reply = await api.call("POST", f"/api/jobs/{job_id}/cancel")
    assert reply.status == 202
    assert reply.json["status"] == "cancelled"
    assert durable.events == [(job_id, CANCEL_EVENT, {"reason": "Cancelled by user"})]
    again = await api.call("POST", f"/api/jobs/{job_id}/cancel")
    assert again.status == 409
    assert again.json["error"]["details"]["status"] == "cancelled"


async def test_retry_only_failed_or_cancelled(api: Api, durable: FakeDurableClient) -> None:
    job_id = (await submit(api))["job_id"]
    assert (await api.call("POST", f"/api/jobs/{job_id}/retry")).status == 409
    await api.call("POST", f"/api/jobs/{job_id}/cancel")
    assert (await api.call("POST", f"/api/jobs/{job_id}/retry", user="bob")).status == 404
    reply = await api.call("POST", f"/api/jobs/{job_id}/retry")
    assert reply.status == 202
    new_id = reply.json["job_id"]
    assert new_id != job_id
    new_job = (await api.call("GET", f"/api/jobs/{new_id}")).json
    assert new_job["retry_of"] == job_id
    assert new_job["status"] == "queued"
    assert [s[1] for s in durable.started] == [job_id, new_id]


async def test_retry_refuses_when_contracts_were_deleted(api: Api, durable: FakeDurableClient) -> None:
    job = await submit(api)
    await api.call("POST", f"/api/jobs/{job['job_id']}/cancel")
    request = (await api.call("GET", f"/api/jobs/{job['job_id']}")).json["request"]
    await api.call("DELETE", f"/api/contracts/{request['standardContractId']}")
    reply = await api.call("POST", f"/api/jobs/{job['job_id']}/retry")
    assert reply.status == 422
    assert reply.error_code == "unknown_contracts"
    assert len(durable.started) == 1


def test_literal_routes_are_not_captured_by_job_id(api: Api) -> None:
    assert api.resolve("GET", "/api/jobs/health")[0].info.name == "jobs_health"
    assert api.resolve("GET", "/api/jobs/user/alice")[0].info.name == "list_user_jobs"
    assert api.resolve("GET", "/api/jobs/job_1")[0].info.name == "get_job"
    assert api.resolve("POST", "/api/jobs/comparison")[0].info.name == "submit_comparison_job"


async def test_status_poll_records_an_orchestration_that_died_without_finishing_the_job(
    api: Api, durable: FakeDurableClient, repos: Repositories, caplog: pytest.LogCaptureFixture
) -> None:
    crashed = (await submit(api))["job_id"]
    JobService(repos.jobs).update_status("alice", crashed, JobStatus.PROCESSING)
    durable.runtime_status[crashed] = "Failed"
    durable.outputs[crashed] = "Non-deterministic workflow detected\nTraceback (most recent call last): ..."
    with caplog.at_level("ERROR", logger="shared.jobs.reconcile"):
        reply = await api.call("GET", f"/api/jobs/{crashed}/status")
    assert reply.status == 200
    assert reply.json["runtimeStatus"] == "Failed"
    error = reply.json["output"]["error"]
    assert error["code"] == "orchestration_ended" and "ended Failed" in error["message"]
    assert "Non-deterministic" not in json.dumps(reply.json)  # the orchestration's own output: in the log only
    assert any(crashed in r.getMessage() and "Non-deterministic" in r.getMessage() for r in caplog.records)

    terminated = (await submit(api))["job_id"]
    durable.runtime_status[terminated] = "Terminated"
    reply = await api.call("GET", f"/api/jobs/{terminated}/status")
    assert reply.json["status"] == "cancelled"


async def test_status_poll_never_overrides_a_finished_job_or_fails_when_durable_is_down(
    api: Api, durable: FakeDurableClient, repos: Repositories
) -> None:
    job_id = (await submit(api))["job_id"]
    durable.runtime_status[job_id] = "unreachable"
    assert (await api.call("GET", f"/api/jobs/{job_id}/status")).status == 202
    durable.runtime_status[job_id] = "Running"
    assert (await api.call("GET", f"/api/jobs/{job_id}/status")).json["status"] == "queued"
    JobService(repos.jobs).update_status("alice", job_id, JobStatus.PROCESSING)
    JobService(repos.jobs).update_status("alice", job_id, JobStatus.COMPLETED, result_id="res_9")
    durable.runtime_status[job_id] = "Failed"  # e.g. the orchestrator threw after finalizing
    reply = await api.call("GET", f"/api/jobs/{job_id}/status")
    assert reply.json["status"] == "completed"
    assert reply.json["output"] == {"result_id": "res_9"}
