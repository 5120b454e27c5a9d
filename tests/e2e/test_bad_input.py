"""Bad requests over real HTTP: a clear error in the one error shape, the right status, and nothing created."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.app import RunningApp
from tests.e2e.helpers import NDA_STANDARD, NDA_VARIANT_B, get_json, submit_comparison, upload_sample, wait_for_job

pytestmark = [pytest.mark.slow, pytest.mark.azurite]

USER = "bad-input-user"


@pytest.fixture(scope="module")
def contracts(offline_app: RunningApp) -> tuple[str, str]:
    with offline_app.client(USER) as client:
        return upload_sample(client, NDA_STANDARD), upload_sample(client, NDA_VARIANT_B)


def assert_error(reply: Any, statuses: tuple[int, ...]) -> None:
    assert reply.status_code in statuses, f"{reply.status_code} {reply.text[:500]}"
    error = reply.json()["error"]
    assert error["code"] and error["message"], error
    assert "details" in error


def test_invalid_job_requests_are_rejected_and_create_nothing(
    offline_app: RunningApp, contracts: tuple[str, str]
) -> None:
    standard, variant = contracts
    comparison = {"standardContractId": standard, "compareContractIds": [variant]}
    cases: list[tuple[str, str, Any]] = [
        ("/api/jobs/comparison", "malformed", b'{"request": {"standardContractId": '),
        ("/api/jobs/comparison", "missing", {"request": {"standardContractId": standard}}),
        ("/api/jobs/comparison", "wrong-type", {"request": {**comparison, "compareContractIds": variant}}),
        ("/api/jobs/comparison", "priority", {"request": comparison, "priority": 11}),
        ("/api/jobs/comparison", "mode", {"request": {**comparison, "comparisonMode": "vibes"}}),
        ("/api/jobs/comparison", "self", {"request": {**comparison, "compareContractIds": [standard]}}),
        ("/api/jobs/comparison", "unknown", {"request": {**comparison, "compareContractIds": ["contract_nope"]}}),
        ("/api/jobs/query", "blank", {"request": {"question": "   ", "contract_ids": [standard]}}),
        ("/api/jobs/query", "no-contracts", {"request": {"question": "Governing law?", "contract_ids": []}}),
        ("/api/compare-contracts", "legacy-missing", {"compareContractIds": [variant]}),
        ("/api/query_contracts", "legacy-blank", {"question": "", "contract_ids": [standard]}),
    ]
    with offline_app.client(USER) as client:
        for url, name, body in cases:
            if isinstance(body, bytes):
                reply = client.post(url, content=body, headers={"Content-Type": "application/json"})
            else:
                reply = client.post(url, json=body)
            assert reply.status_code != 500, (name, reply.text)
            assert_error(reply, (400, 404, 422))
        assert get_json(client, "/api/jobs")["jobs"] == [], "a rejected request created a job"


def test_oversized_body_is_413(offline_app: RunningApp) -> None:
    text = "1. Term. " + "word " * (11 * 1024 * 1024 // 5)  # over MAX_CONTRACT_BYTES (10 MiB)
    with offline_app.client(USER) as client:
        before = get_json(client, "/api/contracts")["contracts"]
        reply = client.post("/api/contracts", json={"title": "Huge", "text": text})
        assert_error(reply, (413,))
        assert get_json(client, "/api/contracts")["contracts"] == before


def test_unknown_ids_404_and_finished_jobs_409(offline_app: RunningApp, contracts: tuple[str, str]) -> None:
    with offline_app.client(USER) as client:
        for method, url in [
            ("GET", "/api/jobs/job_does_not_exist"),
            ("GET", "/api/jobs/job_does_not_exist/status"),
            ("POST", "/api/jobs/job_does_not_exist/cancel"),
            ("GET", "/api/results/result_does_not_exist"),
            ("GET", "/api/contracts/contract_does_not_exist"),
        ]:
            assert_error(client.request(method, url), (404,))
        submitted = submit_comparison(client, *contracts[:1], [contracts[1]])
        assert wait_for_job(client, submitted["statusQueryGetUri"]).final["status"] == "completed"
        assert_error(client.post(f"/api/jobs/{submitted['job_id']}/cancel"), (409,))
        assert_error(client.post(f"/api/jobs/{submitted['job_id']}/retry"), (409,))
        assert get_json(client, f"/api/jobs/{submitted['job_id']}")["status"] == "completed"
