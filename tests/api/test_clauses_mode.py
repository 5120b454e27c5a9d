"""comparisonMode "clauses" as the seed and the existing frontend send it: without selectedClauses it compares
every clause of the standard; a selected title the standard lacks is a 422 naming it, and nothing starts."""

from __future__ import annotations

from typing import Any

import pytest

from shared.comparison.names import ORCHESTRATOR as COMPARISON_ORCHESTRATOR
from shared.jobs.service import JobService
from shared.storage.base import Repositories
from tests.api.conftest import SAMPLE_DATA, Api, FakeDurableClient, upload
from tests.api.seed_requests import (
    COMPARE_CONTRACTS_BATCH,
    JOBS_COMPARISON,
    JOBS_COMPARISON_PATH,
    JOBS_COMPARISON_QUERY,
    as_clauses_mode,
    with_ids,
)

NDA_STANDARD = "nda_mutual_standard.md"
NDA_VARIANT_A = "nda_mutual_variant_a.md"
NDA_VARIANT_B = "nda_mutual_variant_b.txt"


async def upload_sample_text(api: Api, filename: str) -> str:
    return await upload(api, filename, (SAMPLE_DATA / filename).read_text(encoding="utf-8"))


@pytest.fixture
async def ndas(api: Api) -> dict[str, str]:
    return {name: await upload_sample_text(api, name) for name in (NDA_STANDARD, NDA_VARIANT_A, NDA_VARIANT_B)}


def standard_titles(api_contract: dict[str, Any]) -> list[str]:
    return [c["title"] for c in api_contract["clauses"] if c["level"] == 1]


async def stored_request(repos: Repositories, job_id: str) -> dict[str, Any]:
    """The job document's request as stored (JSON)."""
    return JobService(repos.jobs).get_job("alice", job_id).request.model_dump(mode="json")


# --- the seed's exact bodies ------------------------------------------------------------------------------------


async def test_seed_compare_contracts_batch_body_starts_a_clauses_job(
    api: Api, durable: FakeDurableClient, repos: Repositories, ndas: dict[str, str]
) -> None:
    copy_of_a = await upload_sample_text(api, NDA_VARIANT_A)
    body = with_ids(COMPARE_CONTRACTS_BATCH, ndas[NDA_STANDARD], ndas[NDA_VARIANT_A], ndas[NDA_VARIANT_B], copy_of_a)

    reply = await api.call("POST", "/api/compare-contracts", raw=body.encode())

    assert reply.status == 202, reply.body
    assert set(reply.json) == {"success", "batch_mode", "job_id", "message", "status"}
    assert (reply.json["batch_mode"], reply.json["status"]) == (True, "queued")
    job_id = reply.json["job_id"]
    assert durable.started == [(COMPARISON_ORCHESTRATOR, job_id, {"job_id": job_id, "user_id": "alice"})]
    request = await stored_request(repos, job_id)
    assert (request["comparisonMode"], request["selectedClauses"]) == ("clauses", None)


async def test_seed_jobs_comparison_body_is_accepted_as_sent(
    api: Api, durable: FakeDurableClient, repos: Repositories, ndas: dict[str, str]
) -> None:
    body = with_ids(JOBS_COMPARISON, ndas[NDA_STANDARD], ndas[NDA_VARIANT_A])
    for sent, mode in ((body, "full"), (as_clauses_mode(body), "clauses")):
        reply = await api.call("POST", JOBS_COMPARISON_PATH, raw=sent.encode(), query=JOBS_COMPARISON_QUERY)
        assert reply.status == 202, reply.body
        job = (await api.call("GET", f"/api/jobs/{reply.json['job_id']}")).json
        assert (job["user_id"], job["priority"]) == ("alice", 5)  # the principal, never ?user_id=system
        assert (job["request"]["comparisonMode"], job["request"]["selectedClauses"]) == (mode, None)
    assert len(durable.started) == 2


# --- what "clauses" without a selection means ---------------------------------------------------------------------


@pytest.mark.parametrize("selection", [{}, {"selectedClauses": None}, {"selectedClauses": []}])
async def test_inline_clauses_comparison_without_selection_covers_every_standard_clause(
    api: Api, durable: FakeDurableClient, ndas: dict[str, str], selection: dict[str, Any]
) -> None:
    standard = (await api.call("GET", f"/api/contracts/{ndas[NDA_STANDARD]}")).json
    body = {
        "standardContractId": ndas[NDA_STANDARD],
        "compareContractIds": [ndas[NDA_VARIANT_A], ndas[NDA_VARIANT_B]],
        "comparisonMode": "clauses",
        "modelSelection": "primary",
        "userEmail": "system",
        **selection,
    }

    reply = await api.call("POST", "/api/compare-contracts", json_body=body)

    assert reply.status == 200, reply.body
    assert reply.json["comparisonMode"] == "clauses"
    variant_a, variant_b = reply.json["results"]["comparisons"]
    for comparison in (variant_a, variant_b):
        assert [f["title"] for f in comparison["clauses"]] == standard_titles(standard)
        assert "added" not in {f["status"] for f in comparison["clauses"]}
    remedies = {f["title"]: f for f in variant_b["clauses"]}["Remedies"]
    assert remedies["status"] == "missing"  # variant B has no remedies clause
    assert durable.started == []


async def test_full_mode_still_reports_clauses_added_by_the_compared_contract(api: Api, ndas: dict[str, str]) -> None:
    body = {"standardContractId": ndas[NDA_STANDARD], "compareContractIds": [ndas[NDA_VARIANT_A]]}
    for mode, added in (("full", ["Non-Solicitation"]), ("clauses", [])):
        reply = await api.call("POST", "/api/compare-contracts", json_body={**body, "comparisonMode": mode})
        assert reply.status == 200, reply.body
        [comparison] = reply.json["results"]["comparisons"]
        assert [f["title"] for f in comparison["clauses"] if f["status"] == "added"] == added


async def test_a_selection_still_limits_the_comparison(api: Api, ndas: dict[str, str]) -> None:
    body = {
        "standardContractId": ndas[NDA_STANDARD],
        "compareContractIds": [ndas[NDA_VARIANT_A]],
        "comparisonMode": "clauses",
        "selectedClauses": ["governing law", "Remedies"],
    }
    reply = await api.call("POST", "/api/compare-contracts", json_body=body)
    assert reply.status == 200, reply.body
    [comparison] = reply.json["results"]["comparisons"]
    assert [(f["title"], f["status"]) for f in comparison["clauses"]] == [
        ("Remedies", "matched"),
        ("Governing Law and Jurisdiction", "modified"),
    ]


# --- a selected title the standard does not have -----------------------------------------------------------------


def unknown_selection(standard: str, *compared: str) -> dict[str, Any]:
    return {
        "standardContractId": standard,
        "compareContractIds": list(compared),
        "comparisonMode": "clauses",
        "selectedClauses": ["Remedies", "Force Majeure"],
    }


def assert_names_force_majeure(reply: Any) -> None:
    assert reply.status == 422, reply.body
    error = reply.json["error"]
    assert error["code"] == "unknown_clauses"
    assert "'Force Majeure'" in error["message"] and "'Remedies'" not in error["message"]
    assert error["details"]["unknown"] == ["Force Majeure"]
    assert "Remedies" in error["details"]["standard_clauses"]


async def test_unknown_selected_title_is_422_on_every_path_and_starts_nothing(
    api: Api, durable: FakeDurableClient, ndas: dict[str, str]
) -> None:
    standard, a, b = ndas[NDA_STANDARD], ndas[NDA_VARIANT_A], ndas[NDA_VARIANT_B]
    copy_of_a = await upload_sample_text(api, NDA_VARIANT_A)

    inline = await api.call("POST", "/api/compare-contracts", json_body=unknown_selection(standard, a))
    batch = await api.call("POST", "/api/compare-contracts", json_body=unknown_selection(standard, a, b, copy_of_a))
    job = await api.call("POST", "/api/jobs/comparison", json_body={"request": unknown_selection(standard, a)})

    for reply in (inline, batch, job):
        assert_names_force_majeure(reply)
    assert durable.started == []
    assert (await api.call("GET", "/api/jobs")).json["jobs"] == []
