"""The seed's endpoints, as the existing frontend calls them: small requests inline, big ones as jobs."""

from __future__ import annotations

import pytest

from tests.e2e.app import RunningApp
from tests.e2e.helpers import (
    NDA_STANDARD,
    NDA_VARIANT_A,
    NDA_VARIANT_B,
    finding,
    result_of,
    status_url,
    upload_sample,
    wait_for_job,
)

pytestmark = [pytest.mark.slow, pytest.mark.azurite]

USER = "legacy-frontend-user"


@pytest.fixture(scope="module")
def contracts(offline_app: RunningApp) -> dict[str, str]:
    with offline_app.client(USER) as client:
        ids = {name: upload_sample(client, name) for name in (NDA_STANDARD, NDA_VARIANT_A, NDA_VARIANT_B)}
        ids["variant_a_copy"] = upload_sample(client, NDA_VARIANT_A, title="NDA variant A (copy)")
        return ids


def test_compare_one_contract_inline(offline_app: RunningApp, contracts: dict[str, str]) -> None:
    body = {
        "standardContractId": contracts[NDA_STANDARD],
        "compareContractIds": [contracts[NDA_VARIANT_A]],
        "comparisonMode": "full",
        "userEmail": "someone@example.com",  # old clients send it; identity comes from the principal
    }
    with offline_app.client(USER) as client:
        jobs_before = {j["job_id"] for j in client.get("/api/jobs").json()["jobs"]}
        reply = client.post("/api/compare-contracts", json=body)
        jobs_after = {j["job_id"] for j in client.get("/api/jobs").json()["jobs"]}
    assert reply.status_code == 200, reply.text
    data = reply.json()
    assert data["success"] is True and "batch_mode" not in data
    assert data["standardContractId"] == contracts[NDA_STANDARD]
    assert data["compareContractIds"] == [contracts[NDA_VARIANT_A]]
    assert data["comparisonMode"] == "full"
    [comparison] = data["results"]["comparisons"]
    law = finding(comparison, "Governing Law")
    assert (law["status"], law["severity"]) == ("modified", "high")
    assert jobs_after == jobs_before, "an inline comparison creates no job"


def test_compare_three_contracts_becomes_a_job(offline_app: RunningApp, contracts: dict[str, str]) -> None:
    compared = [contracts[NDA_VARIANT_A], contracts[NDA_VARIANT_B], contracts["variant_a_copy"]]
    body = {"standardContractId": contracts[NDA_STANDARD], "compareContractIds": compared, "comparisonMode": "full"}
    with offline_app.client(USER) as client:
        reply = client.post("/api/compare-contracts", json=body)
        assert reply.status_code in (200, 202), reply.text
        data = reply.json()
        assert data["success"] is True and data["batch_mode"] is True
        assert data["status"] == "queued" and data["job_id"] in data["message"]
        watch = wait_for_job(client, status_url(data["job_id"]))
        stored = result_of(client, watch)
    assert [c["contract_id"] for c in stored["result"]["comparisons"]] == compared


def test_query_inline_when_small(offline_app: RunningApp, contracts: dict[str, str]) -> None:
    body = {"question": "What is the governing law?", "contract_ids": [contracts[NDA_VARIANT_A]]}
    with offline_app.client(USER) as client:
        reply = client.post("/api/query_contracts", json=body)
    assert reply.status_code == 200, reply.text
    data = reply.json()
    assert data["success"] is True and "batch_mode" not in data
    assert 0 < data["estimated_tokens"] < 42_000
    results = data["results"]
    assert "New York" in results["answer"]
    assert [c["contract_id"] for c in results["citations"]] == [contracts[NDA_VARIANT_A]]


@pytest.mark.parametrize(
    "extra",
    [pytest.param({"forceBatch": True}, id="forceBatch"), pytest.param({"estimatedTokens": 500_000}, id="big")],
)
def test_query_batch_mode(offline_app: RunningApp, contracts: dict[str, str], extra: dict[str, object]) -> None:
    ids = [contracts[NDA_STANDARD], contracts[NDA_VARIANT_A]]
    body = {"question": "How long do confidentiality obligations survive?", "contract_ids": ids, **extra}
    with offline_app.client(USER) as client:
        reply = client.post("/api/query_contracts", json=body)
        assert reply.status_code in (200, 202), reply.text
        data = reply.json()
        assert data["success"] is True and data["batch_mode"] is True and data["status"] == "queued"
        watch = wait_for_job(client, status_url(data["job_id"]))
        stored = result_of(client, watch)
    result = stored["result"]
    assert stored["job_type"] == "query"
    quotes = {c["contract_id"]: c["quote"] for c in result["citations"]}
    assert "five (5) years" in quotes[contracts[NDA_STANDARD]]
    assert "two (2) years" in quotes[contracts[NDA_VARIANT_A]]
