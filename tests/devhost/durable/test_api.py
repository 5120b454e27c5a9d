"""The management routes and status codes, over raw HTTP to the webhook app (the loopback rpc listener serves the
same app: test_rpc_listener.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from devhost.durable import DurableEngine
from tests.devhost.durable.conftest import wait_for


@pytest.fixture
async def http(engine: DurableEngine) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=engine.webhook_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def test_start_status_codes_and_payload(http: httpx.AsyncClient) -> None:
    # The Python client double-encodes: the body is a JSON string holding the JSON text.
    response = await http.post("/orchestrators/waiter/my-id", content=json.dumps(json.dumps({"a": 1})))
    assert response.status_code == 202
    body = response.json()
    assert body["id"] == "my-id"
    assert set(body) >= {
        "statusQueryGetUri",
        "sendEventPostUri",
        "terminatePostUri",
        "purgeHistoryDeleteUri",
        "restartPostUri",
        "suspendPostUri",
        "resumePostUri",
    }
    assert response.headers["Location"] == body["statusQueryGetUri"]
    assert (await http.post("/orchestrators/waiter/my-id")).status_code == 409

    status = await http.get("/instances/my-id")
    assert status.status_code == 202
    assert status.json()["input"] == {"a": 1}
    assert status.json()["name"] == "waiter"
    assert (await http.get("/instances/unknown")).status_code == 404

    assert (await http.post("/instances/my-id/terminate?reason=stop")).status_code == 202

    async def terminated() -> bool:
        return (await http.get("/instances/my-id")).json()["runtimeStatus"] == "Terminated"

    await wait_for(terminated)
    final = await http.get("/instances/my-id")
    assert final.status_code == 200
    assert final.json()["output"] == "stop"
    assert (await http.post("/instances/my-id/terminate?reason=again")).status_code == 410
    assert (await http.post("/instances/my-id/raiseEvent/x", json="1")).status_code == 410
    assert (await http.post("/instances/nope/terminate")).status_code == 404
    assert (await http.post("/instances/nope/raiseEvent/x", json="1")).status_code == 404
    # A terminal instance may be started again under the same id.
    assert (await http.post("/orchestrators/waiter/my-id")).status_code == 202
    assert (await http.delete("/instances/my-id")).json() == {"instancesDeleted": 1}
    assert (await http.delete("/instances/my-id")).status_code == 404


@pytest.mark.parametrize("bad", ["a/b", "a\\b", "a#b", "a?b", "a\x01b", "x" * 101, " "])
async def test_invalid_instance_ids_are_refused(http: httpx.AsyncClient, bad: str) -> None:
    from urllib.parse import quote

    response = await http.post(f"/orchestrators/waiter/{quote(bad, safe='')}")
    assert response.status_code == 400
    assert "Invalid instance id" in response.json()["ExceptionMessage"]


async def test_unknown_orchestrator_is_400(http: httpx.AsyncClient) -> None:
    response = await http.post("/orchestrators/hello")
    assert response.status_code == 400
    assert "not an orchestrator" in response.json()["ExceptionMessage"]


async def test_plain_json_body_is_the_input(http: httpx.AsyncClient) -> None:
    response = await http.post("/orchestrators/sequence", json=["raw"])
    instance_id = response.json()["id"]

    async def done() -> bool:
        return (await http.get(f"/instances/{instance_id}")).status_code == 200

    await wait_for(done)
    assert (await http.get(f"/instances/{instance_id}")).json()["output"] == ["Hello raw"]


async def test_list_paging_with_continuation_token(http: httpx.AsyncClient) -> None:
    for i in range(5):
        assert (await http.post(f"/orchestrators/waiter/page-{i}")).status_code == 202
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        headers = {"x-ms-continuation-token": token} if token else {}
        response = await http.get("/instances?top=2", headers=headers)
        assert response.status_code == 200
        seen.extend(item["instanceId"] for item in response.json())
        pages += 1
        token = response.headers.get("x-ms-continuation-token")
        if not token:
            break
    assert sorted(seen) == [f"page-{i}" for i in range(5)]
    assert pages == 3
    filtered = await http.get("/instances?runtimeStatus=Completed,Failed")
    assert filtered.json() == []
    future = await http.get("/instances?createdTimeFrom=2999-01-01T00:00:00.000000Z")
    assert future.json() == []


async def test_restart_runs_the_same_orchestrator_and_input(http: httpx.AsyncClient) -> None:
    await http.post("/orchestrators/sequence/first", content=json.dumps(json.dumps(["R"])))

    async def done(instance_id: str) -> bool:
        return (await http.get(f"/instances/{instance_id}")).status_code == 200

    await wait_for(lambda: done("first"))
    response = await http.post("/instances/first/restart")
    assert response.status_code == 202
    new_id = response.json()["id"]
    assert new_id != "first"
    await wait_for(lambda: done(new_id))
    assert (await http.get(f"/instances/{new_id}")).json()["output"] == ["Hello R"]
    history = (await http.get(f"/instances/{new_id}?showHistory=true&showHistoryOutput=true")).json()["historyEvents"]
    assert [e["EventType"] for e in history] == [
        "ExecutionStarted",
        "TaskScheduled",
        "TaskCompleted",
        "ExecutionCompleted",
    ]
    assert history[2]["Result"] == '"Hello R"'
