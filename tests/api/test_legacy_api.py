"""The seed's endpoints: inline for small work, a background job (seed response shape) for big work."""

from __future__ import annotations

from typing import Any

from shared.storage.base import Repositories
from tests.api.conftest import SAMPLE_DATA, Api, FakeDurableClient, upload

BATCH_KEYS = {"success", "batch_mode", "job_id", "message", "status"}


async def nda_pair(api: Api) -> tuple[str, str]:
    standard = await upload(api, "NDA standard", (SAMPLE_DATA / "nda_mutual_standard.md").read_text())
    variant = await upload(api, "NDA variant A", (SAMPLE_DATA / "nda_mutual_variant_a.md").read_text())
    return standard, variant


def compare_body(standard: str, *others: str, **extra: Any) -> dict[str, Any]:
    return {
        "standardContractId": standard,
        "compareContractIds": list(others),
        "comparisonMode": "full",
        "modelSelection": "primary",
        "userEmail": "system",
        **extra,
    }


async def test_small_comparison_runs_inline(api: Api, durable: FakeDurableClient) -> None:
    standard, variant = await nda_pair(api)
    reply = await api.call("POST", "/api/compare-contracts", json_body=compare_body(standard, variant))
    assert reply.status == 200, reply.body
    body = reply.json
    assert set(body) == {"success", "standardContractId", "compareContractIds", "comparisonMode", "results"}
    assert body["success"] is True
    assert body["compareContractIds"] == [variant]
    comparisons = body["results"]["comparisons"]
    assert [c["contract_id"] for c in comparisons] == [variant]
    statuses = {f["status"] for f in comparisons[0]["clauses"]}
    assert "added" in statuses  # variant A adds a Non-Solicitation clause
    assert durable.started == []
    assert (await api.call("GET", "/api/jobs")).json["jobs"] == []


async def test_three_contracts_or_force_batch_become_a_job(api: Api, durable: FakeDurableClient) -> None:
    a = await upload(api, "A")
    b = await upload(api, "B")
    c = await upload(api, "C")
    d = await upload(api, "D")
    reply = await api.call("POST", "/api/compare-contracts", json_body=compare_body(a, b, c, d))
    assert reply.status == 202
    body = reply.json
    assert set(body) == BATCH_KEYS
    assert body["batch_mode"] is True and body["status"] == "queued"
    assert body["message"] == f"Comparison job submitted successfully. Job ID: {body['job_id']}"

    forced = await api.call("POST", "/api/compare-contracts", json_body=compare_body(a, b, forceBatch=True))
    assert forced.status == 202
    assert set(forced.json) == BATCH_KEYS
    assert [s[1] for s in durable.started] == [body["job_id"], forced.json["job_id"]]


async def test_legacy_compare_rejects_foreign_contracts_and_bad_input(api: Api, durable: FakeDurableClient) -> None:
    mine = await upload(api)
    bobs = await upload(api, user="bob")
    reply = await api.call("POST", "/api/compare-contracts", json_body=compare_body(mine, bobs))
    assert reply.status == 422
    assert reply.error_code == "unknown_contracts"
    reply = await api.call("POST", "/api/compare-contracts", json_body=compare_body(mine, "x", comparisonMode="odd"))
    assert reply.status == 422
    assert durable.started == []


def query_body(*ids: str, **extra: Any) -> dict[str, Any]:
    return {
        "question": "What is the governing law?",
        "contract_ids": list(ids),
        "modelSelection": "primary",
        "userEmail": "system",
        **extra,
    }


async def test_small_query_runs_inline(api: Api, durable: FakeDurableClient) -> None:
    standard, variant = await nda_pair(api)
    reply = await api.call(
        "POST", "/api/query_contracts", json_body=query_body(standard, variant, estimatedTokens=5000)
    )
    assert reply.status == 200, reply.body
    body = reply.json
    assert body["success"] is True
    assert body["results"]["question"] == "What is the governing law?"
    assert body["results"]["answer"]
    assert 0 < body["estimated_tokens"] < 42_000
    assert durable.started == []


async def test_query_batch_by_client_estimate_force_or_our_count(
    api: Api, durable: FakeDurableClient, configure: Any
) -> None:
    standard, variant = await nda_pair(api)
    by_client = await api.call("POST", "/api/query_contracts", json_body=query_body(standard, estimatedTokens=50000))
    assert by_client.status == 202
    assert set(by_client.json) == BATCH_KEYS | {"estimated_tokens"}
    assert by_client.json["message"] == f"Query job submitted successfully. Job ID: {by_client.json['job_id']}"
    assert by_client.json["estimated_tokens"] == 50000

    forced = await api.call("POST", "/api/query_contracts", json_body=query_body(standard, forceBatch=True))
    assert forced.status == 202

    # The client says "small", but our exact count says otherwise: our count decides.
    configure(query_batch_token_threshold=500)
    by_us = await api.call("POST", "/api/query_contracts", json_body=query_body(standard, variant, estimatedTokens=10))
    assert by_us.status == 202
    assert by_us.json["estimated_tokens"] > 500
    assert len(durable.started) == 3


async def test_legacy_query_takes_the_retrieval_option(api: Api, durable: FakeDurableClient) -> None:
    standard, _ = await nda_pair(api)
    forced = await api.call("POST", "/api/query_contracts", json_body=query_body(standard, forceBatch=True))
    everything = query_body(standard, forceBatch=True, retrieval="all")
    sent_whole = await api.call("POST", "/api/query_contracts", json_body=everything)
    jobs = [(await api.call("GET", f"/api/jobs/{r.json['job_id']}")).json for r in (forced, sent_whole)]
    assert [job["request"]["retrieval"] for job in jobs] == ["ranked", "all"]
    odd = await api.call("POST", "/api/query_contracts", json_body=query_body(standard, retrieval="most"))
    assert odd.status == 422 and odd.json["error"]["details"][0]["field"] == "retrieval"


async def test_query_with_unknown_contract_is_422(api: Api, repos: Repositories) -> None:
    reply = await api.call("POST", "/api/query_contracts", json_body=query_body("contract_missing"))
    assert reply.status == 422
    assert reply.json["error"]["details"] == {"missing": ["contract_missing"]}
