"""The README walkthrough, as a newcomer runs it: upload the sample NDAs, compare them, ask a question.

The findings asserted are the real differences documented in sample_data/README.md, the ones a reviewing lawyer
would check first.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.app import RunningApp
from tests.e2e.helpers import (
    NDA_STANDARD,
    NDA_VARIANT_A,
    NDA_VARIANT_B,
    comparison_for,
    finding,
    get_json,
    result_of,
    submit_comparison,
    submit_query,
    upload_sample,
    wait_for_job,
)

pytestmark = [pytest.mark.slow, pytest.mark.azurite]

USER = "walkthrough-lawyer"


@pytest.fixture(scope="module")
def ndas(offline_app: RunningApp) -> dict[str, str]:
    with offline_app.client(USER) as client:
        return {name: upload_sample(client, name) for name in (NDA_STANDARD, NDA_VARIANT_A, NDA_VARIANT_B)}


@pytest.fixture(scope="module")
def comparison(offline_app: RunningApp, ndas: dict[str, str]) -> dict[str, Any]:
    """One comparison job, polled to completion through the statusQueryGetUri the submit returned."""
    with offline_app.client(USER) as client:
        submitted = submit_comparison(client, ndas[NDA_STANDARD], [ndas[NDA_VARIANT_A], ndas[NDA_VARIANT_B]])
        watch = wait_for_job(client, submitted["statusQueryGetUri"])
        assert watch.final["status"] == "completed", watch.final
        assert watch.final["runtimeStatus"] == "Completed"
        assert watch.final["customStatus"]["percentage"] == 100
        stored = result_of(client, watch)
        job = get_json(client, f"/api/jobs/{submitted['job_id']}")
        return {"submitted": submitted, "watch": watch, "stored": stored, "job": job}


def test_uploaded_contracts_are_listed_with_their_clauses(offline_app: RunningApp, ndas: dict[str, str]) -> None:
    with offline_app.client(USER) as client:
        listed = {c["contract_id"] for c in get_json(client, "/api/contracts")["contracts"]}
        assert set(ndas.values()) <= listed
        standard = get_json(client, f"/api/contracts/{ndas[NDA_STANDARD]}")
    titles = [c["title"] for c in standard["clauses"]]
    assert any("Governing Law" in t for t in titles), titles
    assert any("Remedies" in t for t in titles), titles


def test_comparison_job_reports_progress_and_completes(comparison: dict[str, Any]) -> None:
    job = comparison["job"]
    assert job["status"] == "completed"
    assert job["progress"]["percentage"] == 100
    assert job["result_id"] == comparison["watch"].final["output"]["result_id"]
    assert job["started_at"] and job["completed_at"]
    stored = comparison["stored"]
    assert stored["job_type"] == "comparison"
    # Durable semantics for the poller: the URL we gave is ours, never Durable's system-key URL.
    assert "/api/jobs/" in comparison["submitted"]["statusQueryGetUri"]
    assert "code=" not in comparison["submitted"]["statusQueryGetUri"]
    assert "runtime/webhooks" not in str(comparison["watch"].final)


def test_variant_a_governing_law_term_and_non_solicit(comparison: dict[str, Any], ndas: dict[str, str]) -> None:
    result = comparison["stored"]["result"]
    assert result["standard_contract_id"] == ndas[NDA_STANDARD]
    variant_a = comparison_for(result, ndas[NDA_VARIANT_A])

    law = finding(variant_a, "Governing Law")
    assert (law["status"], law["severity"]) == ("modified", "high")
    assert "Delaware" in law["standard_excerpt"] and "New York" in law["compared_excerpt"]
    assert "Delaware" in law["explanation"] and "New York" in law["explanation"]

    term = finding(variant_a, "Term")
    assert term["status"] == "modified" and term["severity"] in ("medium", "high")
    assert "five (5) years" in term["standard_excerpt"] and "two (2) years" in term["compared_excerpt"]

    solicit = finding(variant_a, "Non-Solicitation")
    assert solicit["status"] == "added"
    assert solicit["standard_excerpt"] == "" and "solicit" in solicit["compared_excerpt"].lower()

    # Clauses the variant leaves alone (renumbered only) are matched, and nothing is reported missing.
    for unchanged in ("Definitions", "Exclusions", "Remedies", "No License"):
        assert finding(variant_a, unchanged)["status"] == "matched", unchanged
    assert not [c["title"] for c in variant_a["clauses"] if c["status"] == "missing"]
    # Notices was only reworded: at most a low-severity note, never a substantive deviation.
    notices = finding(variant_a, "Notices")
    assert notices["status"] == "matched" or notices["severity"] == "low", notices
    assert 0.0 < variant_a["similarity"] < 1.0


def test_variant_b_remedies_missing_and_reformatting_matched(comparison: dict[str, Any], ndas: dict[str, str]) -> None:
    variant_b = comparison_for(comparison["stored"]["result"], ndas[NDA_VARIANT_B])

    remedies = finding(variant_b, "Remedies")
    assert remedies["status"] == "missing" and remedies["severity"] in ("medium", "high")
    assert remedies["compared_excerpt"] == "" and "irreparable harm" in remedies["standard_excerpt"]

    destruction = finding(variant_b, "Return or Destruction")
    assert destruction["status"] == "modified"
    assert "thirty (30) days" in destruction["standard_excerpt"] and "ten (10) days" in destruction["compared_excerpt"]

    # B is the standard re-typed as plain text: reformatting alone must not count as a change.
    for reformatted in ("Definitions", "Governing Law", "Term", "Notices", "General"):
        assert finding(variant_b, reformatted)["status"] == "matched", reformatted
    assert not [c["title"] for c in variant_b["clauses"] if c["status"] == "added"]


def test_query_job_cites_each_contracts_governing_law(offline_app: RunningApp, ndas: dict[str, str]) -> None:
    with offline_app.client(USER) as client:
        submitted = submit_query(client, "What is the governing law?", list(ndas.values()))
        watch = wait_for_job(client, submitted["statusQueryGetUri"])
        stored = result_of(client, watch)
    assert stored["job_type"] == "query"
    result = stored["result"]
    assert result["question"] == "What is the governing law?"
    expected_state = {ndas[NDA_STANDARD]: "Delaware", ndas[NDA_VARIANT_A]: "New York", ndas[NDA_VARIANT_B]: "Delaware"}
    cited = {c["contract_id"]: c for c in result["citations"]}
    assert set(cited) == set(expected_state), result["citations"]
    for contract_id, state in expected_state.items():
        quote = cited[contract_id]["quote"]
        assert f"State of {state}" in quote, (contract_id, quote)
        assert "Governing Law" in cited[contract_id]["clause_title"]
    # The answer itself says which contract is governed by which law.
    assert "New York" in result["answer"] and "Delaware" in result["answer"]


def test_clause_mode_reports_only_the_selected_clauses(offline_app: RunningApp, ndas: dict[str, str]) -> None:
    selected = ["Governing Law and Jurisdiction", "Remedies"]
    with offline_app.client(USER) as client:
        submitted = submit_comparison(
            client,
            ndas[NDA_STANDARD],
            [ndas[NDA_VARIANT_A], ndas[NDA_VARIANT_B]],
            comparisonMode="clauses",
            selectedClauses=selected,
        )
        stored = result_of(client, wait_for_job(client, submitted["statusQueryGetUri"]))
    variant_a = comparison_for(stored["result"], ndas[NDA_VARIANT_A])
    variant_b = comparison_for(stored["result"], ndas[NDA_VARIANT_B])
    for comparison in (variant_a, variant_b):
        assert sorted(c["title"] for c in comparison["clauses"]) == sorted(selected), comparison["clauses"]
    assert finding(variant_a, "Governing Law")["status"] == "modified"
    assert finding(variant_a, "Remedies")["status"] == "matched"
    assert finding(variant_b, "Governing Law")["status"] == "matched"
    assert finding(variant_b, "Remedies")["status"] == "missing"
