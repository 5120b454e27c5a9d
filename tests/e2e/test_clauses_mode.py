"""The seed's own comparison requests, sent byte for byte (only the contract ids are real) to the app under devhost:
`comparisonMode: "clauses"` without `selectedClauses` compares every clause of the standard, clause by clause."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.seed_requests import (
    COMPARE_CONTRACTS_BATCH,
    JOBS_COMPARISON,
    JOBS_COMPARISON_PATH,
    JOBS_COMPARISON_QUERY,
    as_clauses_mode,
    with_ids,
)
from tests.e2e.app import RunningApp
from tests.e2e.helpers import (
    NDA_STANDARD,
    NDA_VARIANT_A,
    NDA_VARIANT_B,
    comparison_for,
    finding,
    get_json,
    result_of,
    status_url,
    upload_sample,
    wait_for_job,
)
from tests.support.openai_server import OpenAITestServer, RecordedRequest, echo_content, parse_contracts

pytestmark = [pytest.mark.slow, pytest.mark.azurite]

USER = "clauses-mode-lawyer"
JSON = {"Content-Type": "application/json"}


def upload_ndas(app: RunningApp) -> dict[str, str]:
    with app.client(USER) as client:
        ids = {name: upload_sample(client, name) for name in (NDA_STANDARD, NDA_VARIANT_A, NDA_VARIANT_B)}
        ids["variant_a_copy"] = upload_sample(client, NDA_VARIANT_A, title="NDA variant A (copy)")
        return ids


@pytest.fixture(scope="module")
def ndas(offline_app: RunningApp) -> dict[str, str]:
    return upload_ndas(offline_app)


def standard_titles(client: httpx.Client, standard_id: str) -> list[str]:
    """The standard's top-level clause titles, as the contracts endpoint lists them."""
    contract = get_json(client, f"/api/contracts/{standard_id}")
    return [c["title"] for c in contract["clauses"] if c["level"] == 1]


def post_seed_job(client: httpx.Client, body: str) -> dict[str, Any]:
    """POST /api/jobs/comparison?user_id=system with the seed's body; the completed job's stored result."""
    reply = client.post(f"{JOBS_COMPARISON_PATH}?{JOBS_COMPARISON_QUERY}", content=body.encode(), headers=JSON)
    assert reply.status_code == 202, reply.text
    stored: dict[str, Any] = result_of(client, wait_for_job(client, reply.json()["statusQueryGetUri"]))
    return stored["result"]


def assert_clause_by_clause(comparison: dict[str, Any], titles: list[str]) -> None:
    assert [f["title"] for f in comparison["clauses"]] == titles, comparison["clauses"]
    assert "added" not in {f["status"] for f in comparison["clauses"]}


def test_seed_compare_contracts_batch_body_compares_every_standard_clause(
    offline_app: RunningApp, ndas: dict[str, str]
) -> None:
    compared = [ndas[NDA_VARIANT_A], ndas[NDA_VARIANT_B], ndas["variant_a_copy"]]
    body = with_ids(COMPARE_CONTRACTS_BATCH, ndas[NDA_STANDARD], *compared)
    with offline_app.client(USER) as client:
        reply = client.post("/api/compare-contracts", content=body.encode(), headers=JSON)
        assert reply.status_code == 202, reply.text
        assert (reply.json()["batch_mode"], reply.json()["status"]) == (True, "queued")
        stored = result_of(client, wait_for_job(client, status_url(reply.json()["job_id"])))
        titles = standard_titles(client, ndas[NDA_STANDARD])
    result = stored["result"]
    assert [c["contract_id"] for c in result["comparisons"]] == compared
    for comparison in result["comparisons"]:
        assert_clause_by_clause(comparison, titles)
    variant_a, variant_b = comparison_for(result, compared[0]), comparison_for(result, compared[1])
    assert (finding(variant_a, "Governing Law")["status"], finding(variant_a, "Governing Law")["severity"]) == (
        "modified",
        "high",
    )
    assert finding(variant_b, "Remedies")["status"] == "missing"  # variant B dropped its remedies clause


def test_seed_jobs_comparison_body_full_and_clauses(offline_app: RunningApp, ndas: dict[str, str]) -> None:
    body = with_ids(JOBS_COMPARISON, ndas[NDA_STANDARD], ndas[NDA_VARIANT_A])
    with offline_app.client(USER) as client:
        [full] = post_seed_job(client, body)["comparisons"]
        [by_clause] = post_seed_job(client, as_clauses_mode(body))["comparisons"]
        titles = standard_titles(client, ndas[NDA_STANDARD])
    # Full mode is the whole-document comparison: variant A's own Non-Solicitation clause is reported as added.
    assert [f["title"] for f in full["clauses"] if f["status"] == "added"] == ["Non-Solicitation"]
    assert_clause_by_clause(by_clause, titles)
    assert finding(by_clause, "Term and Duration")["status"] == "modified"


def test_llm_provider_lists_every_standard_clause_and_gets_one_finding_each(
    openai_app: RunningApp, openai_server: OpenAITestServer
) -> None:
    ids = upload_ndas(openai_app)
    body = as_clauses_mode(with_ids(JOBS_COMPARISON, ids[NDA_STANDARD], ids[NDA_VARIANT_B]))
    with openai_app.client(USER) as client:
        result = post_seed_job(client, body)
        titles = standard_titles(client, ids[NDA_STANDARD])
    [sent] = openai_server.requests  # one model call for the one compared contract
    standard, compared = parse_contracts(sent.text())
    assert [title for title, _ in standard.clauses] == titles
    assert compared.contract_id == ids[NDA_VARIANT_B]
    assert sent.json_schema is not None and "added" not in str(sent.json_schema)
    [comparison] = result["comparisons"]
    assert_clause_by_clause(comparison, titles)
    assert finding(comparison, "Remedies")["status"] == "missing"
    assert result["usage"]["llm_calls"] == 1


def test_a_clause_the_model_skips_twice_is_not_assessed_and_the_job_completes(
    openai_app: RunningApp, openai_server: OpenAITestServer
) -> None:
    """A model that never reports the Remedies clause: the reply is asked again for that clause only, then the
    clause is reported as not assessed, with a warning, and every other finding is kept."""

    def without_remedies(request: RecordedRequest) -> Any:
        reply = echo_content(request)
        reply["clauses"] = [f for f in reply["clauses"] if "remedies" not in f["title"].lower()]
        return reply

    openai_server.set_default(without_remedies)
    ids = upload_ndas(openai_app)
    body = as_clauses_mode(with_ids(JOBS_COMPARISON, ids[NDA_STANDARD], ids[NDA_VARIANT_A]))
    with openai_app.client(USER) as client:
        result = post_seed_job(client, body)
        titles = standard_titles(client, ids[NDA_STANDARD])

    first, again = openai_server.requests
    [remedies] = [title for title in titles if "Remedies" in title]
    assert f'<selected_clauses>["{remedies}"]</selected_clauses>' in again.text()
    assert [title for title, _ in parse_contracts(again.text())[0].clauses] == [remedies]  # only its standard text
    assert len(again.text()) < len(first.text())
    [comparison] = result["comparisons"]
    assert_clause_by_clause(comparison, titles)  # still one finding per standard clause, in order
    skipped = finding(comparison, "Remedies")
    assert (skipped["status"], skipped["severity"], skipped["compared_excerpt"]) == ("not_assessed", None, "")
    assert skipped["standard_excerpt"]
    warning = f"Clause {remedies!r} was not assessed: the model's reply omitted it twice"
    assert comparison["warnings"] == [warning]
    assert result["warnings"] == [f"{comparison['contract_title']}: {warning}"]
    assert result["usage"]["llm_calls"] == 2
    assert [f["status"] for f in comparison["clauses"]].count("not_assessed") == 1
