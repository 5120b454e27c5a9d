"""Comparison steps over a real SQLite store with the offline analyzer, on the sample contracts."""

from __future__ import annotations

from typing import Any

import pytest

from shared.analysis.factory import get_analyzer
from shared.analysis.token_usage import TokenUsage
from shared.comparison import artifacts as names
from shared.comparison import findings as comparison
from shared.comparison import steps as comparison_steps
from shared.comparison.inline import run_comparison_inline
from shared.comparison.models import (
    AnalyzedComparison,
    ClauseFinding,
    ComparisonResult,
    ComparisonTask,
    ContractComparison,
)
from shared.comparison.request import ComparisonJobRequest
from shared.contracts.analysis import ContractForAnalysis, ContractsMissing
from shared.errors import NotFoundError
from shared.jobs.artifacts import contract_snapshot
from shared.jobs.errors import ResultInvalid
from shared.storage.base import Repositories
from tests.support.jobs import OTHER_USER, USER, add_sample, comparison_job, job_scope

RESERVE = 4_000  # the default LLM_MAX_OUTPUT_TOKENS: what the legacy endpoint passes


class CountingAnalyzer:
    """The offline analyzer, counting model calls."""

    def __init__(self) -> None:
        self.inner = get_analyzer()
        self.calls = 0

    def compare(self, task: Any) -> Any:
        self.calls += 1
        return self.inner.compare(task)


def findings(result: ComparisonResult, contract_id: str) -> dict[str, ClauseFinding]:
    (item,) = [c for c in result.comparisons if c.contract_id == contract_id]
    return {f.title: f for f in item.clauses}


@pytest.fixture
def nda(repos: Repositories) -> Repositories:
    for name in ("nda_mutual_standard.md", "nda_mutual_variant_a.md", "nda_mutual_variant_b.txt"):
        add_sample(repos, name)
    return repos


def test_inline_comparison_finds_what_a_lawyer_would_flag(nda: Repositories) -> None:
    request = ComparisonJobRequest(
        standardContractId="nda_mutual_standard.md",
        compareContractIds=["nda_mutual_variant_a.md", "nda_mutual_variant_b.txt"],
    )
    result = run_comparison_inline(nda, get_analyzer(), USER, request, RESERVE)

    assert result.standard_contract_id == "nda_mutual_standard.md"
    a = findings(result, "nda_mutual_variant_a.md")
    assert (a["Term and Duration of Obligations"].status, a["Term and Duration of Obligations"].severity) == (
        "modified",
        "high",
    )
    assert "two (2) years" in a["Term and Duration of Obligations"].compared_excerpt
    assert "five (5) years" in a["Term and Duration of Obligations"].standard_excerpt
    assert "New York" in a["Governing Law and Jurisdiction"].compared_excerpt
    assert a["Non-Solicitation"].status == "added"
    assert a["Notices"].severity == "low"  # rewording only
    assert a["Definitions"].status == "matched"
    b = findings(result, "nda_mutual_variant_b.txt")
    assert b["Remedies"].status == "missing"
    assert "ten (10) days" in b["Return or Destruction"].compared_excerpt
    assert b["Governing Law and Jurisdiction"].status == "matched"  # reformatting alone is not a change


def test_msa_variant_liability_cap_and_payment_terms(repos: Repositories) -> None:
    add_sample(repos, "msa_standard.txt")
    add_sample(repos, "msa_variant_a.txt")
    request = ComparisonJobRequest(standardContractId="msa_standard.txt", compareContractIds=["msa_variant_a.txt"])
    found = findings(run_comparison_inline(repos, get_analyzer(), USER, request, RESERVE), "msa_variant_a.txt")

    assert found["LIMITATION OF LIABILITY"].severity == "high"
    assert "Cap on Liability" in found["LIMITATION OF LIABILITY"].explanation
    assert "sixty (60) days" in found["FEES AND PAYMENT"].explanation


def test_steps_store_artifacts_and_save_a_result_keyed_by_job(nda: Repositories) -> None:
    comparison_job(nda, "nda_mutual_standard.md", ["nda_mutual_variant_a.md", "nda_mutual_variant_b.txt"])
    scope = job_scope(nda, "job-cmp", ttl=3600)
    analyzer = CountingAnalyzer()
    compared = ["nda_mutual_variant_a.md", "nda_mutual_variant_b.txt"]

    comparison_steps.retrieve(scope)
    standard = scope.artifacts.get(contract_snapshot("nda_mutual_standard.md"), ContractForAnalysis)
    assert standard.contract_id == "nda_mutual_standard.md"
    prompted = comparison_steps.prompt(scope, get_analyzer(), 4_000)
    # One task per compared contract, in request order.
    tasks = [scope.artifacts.get(names.of_contract("task", cid), ComparisonTask) for cid in compared]
    assert [t.compared.contract_id for t in tasks] == compared
    assert prompted.progress is not None and prompted.progress.items_total == 2
    outcomes = [comparison_steps.compare_one(scope, analyzer, cid, len(compared)) for cid in compared]
    assert [o.status for o in outcomes] == ["ok", "ok"] and analyzer.calls == 2
    comparison_steps.enhance(scope)
    saved = comparison_steps.save(scope)

    assert saved.result_id == "res_job-cmp"
    stored = nda.results.get(USER, "res_job-cmp")
    assert (stored.job_id, stored.job_type.value) == ("job-cmp", "comparison")
    result = ComparisonResult.model_validate(stored.result)
    assert [c.contract_id for c in result.comparisons] == compared
    statuses = {c.contract_id: [f.status for f in c.clauses] for c in result.comparisons}
    assert statuses["nda_mutual_variant_a.md"].count("added") == 1
    assert statuses["nda_mutual_variant_b.txt"].count("missing") == 1
    assert sum(f.severity == "high" for c in result.comparisons for f in c.clauses) == 4
    # The raw model output is kept for audit, keyed by job.
    assert nda.artifacts.get(USER, "job-cmp", names.of_contract("raw", "nda_mutual_variant_a.md"))


def test_steps_run_twice_do_not_call_the_model_twice(nda: Repositories) -> None:
    comparison_job(nda, "nda_mutual_standard.md", ["nda_mutual_variant_a.md"])
    scope = job_scope(nda, "job-cmp", ttl=3600)
    analyzer = CountingAnalyzer()
    comparison_steps.retrieve(scope)
    comparison_steps.retrieve(scope)
    comparison_steps.prompt(scope, get_analyzer(), 4_000)
    first = comparison_steps.compare_one(scope, analyzer, "nda_mutual_variant_a.md", 1)
    findings_first = scope.artifacts.get(names.of_contract("output", "nda_mutual_variant_a.md"), AnalyzedComparison)
    again = comparison_steps.compare_one(scope, analyzer, "nda_mutual_variant_a.md", 1)

    assert analyzer.calls == 1
    assert (first.status, again.status) == ("ok", "ok")
    assert (
        scope.artifacts.get(names.of_contract("output", "nda_mutual_variant_a.md"), AnalyzedComparison)
        == findings_first
    )
    assert scope.job().progress.items_done == 1  # the contract is counted once
    comparison_steps.enhance(scope)
    assert comparison_steps.save(scope) == comparison_steps.save(scope)


def test_cancelled_job_skips_the_model_call(nda: Repositories) -> None:
    comparison_job(nda, "nda_mutual_standard.md", ["nda_mutual_variant_a.md"])
    scope = job_scope(nda, "job-cmp", ttl=3600)
    analyzer = CountingAnalyzer()
    comparison_steps.retrieve(scope)
    comparison_steps.prompt(scope, get_analyzer(), 4_000)
    cancelled = scope.jobs.cancel(USER, "job-cmp")

    summary = comparison_steps.compare_one(scope, analyzer, "nda_mutual_variant_a.md", 1)

    assert summary.status == "skipped"
    assert analyzer.calls == 0
    assert scope.job() == cancelled  # nothing recorded on the cancelled job


def test_retrieve_names_a_contract_deleted_after_submission(nda: Repositories) -> None:
    comparison_job(nda, "nda_mutual_standard.md", ["nda_mutual_variant_a.md", "nda_mutual_variant_b.txt"])
    nda.contracts.delete(USER, "nda_mutual_variant_b.txt")

    with pytest.raises(ContractsMissing, match=r"nda_mutual_variant_b\.txt") as caught:
        comparison_steps.retrieve(job_scope(nda, "job-cmp"))
    assert caught.value.contract_ids == ["nda_mutual_variant_b.txt"]


def test_another_users_contracts_are_missing_to_this_user(nda: Repositories) -> None:
    request = ComparisonJobRequest(
        standardContractId="nda_mutual_standard.md", compareContractIds=["nda_mutual_variant_a.md"]
    )
    with pytest.raises(NotFoundError):
        run_comparison_inline(nda, get_analyzer(), OTHER_USER, request, RESERVE)


def test_findings_about_another_contract_are_rejected(nda: Repositories) -> None:
    comparison_job(nda, "nda_mutual_standard.md", ["nda_mutual_variant_a.md"])
    scope = job_scope(nda, "job-cmp")
    comparison_steps.retrieve(scope)
    comparison_steps.prompt(scope, get_analyzer(), 4_000)
    task = scope.artifacts.get(names.of_contract("task", "nda_mutual_variant_a.md"), ComparisonTask)
    wrong = ContractComparison(contract_id="elsewhere", contract_title="x", similarity=0.5, summary="", clauses=[])

    with pytest.raises(ResultInvalid, match="elsewhere"):
        comparison.validate_item(task, wrong)


def test_validation_normalises_severity_and_fills_the_summary(nda: Repositories) -> None:
    comparison_job(nda, "nda_mutual_standard.md", ["nda_mutual_variant_a.md"])
    scope = job_scope(nda, "job-cmp")
    comparison_steps.retrieve(scope)
    comparison_steps.prompt(scope, get_analyzer(), 4_000)
    task = scope.artifacts.get(names.of_contract("task", "nda_mutual_variant_a.md"), ComparisonTask)
    raw = ContractComparison(
        contract_id="nda_mutual_variant_a.md",
        contract_title="echoed title",
        similarity=0.9,
        summary=" ",
        clauses=[
            ClauseFinding(title="Term", status="modified", severity=None, explanation="shorter"),
            ClauseFinding(title="Notices", status="matched", severity="high", explanation="same"),
        ],
    )
    clean = comparison.validate_item(task, raw)

    assert [f.severity for f in clean.clauses] == ["medium", None]
    assert clean.contract_title == "nda_mutual_variant_a.md"
    assert clean.summary == "1 matched, 1 modified; 0 high-severity deviations."


def test_a_clause_not_assessed_stays_unrated_and_the_result_carries_its_warning(nda: Repositories) -> None:
    comparison_job(nda, "nda_mutual_standard.md", ["nda_mutual_variant_a.md"])
    scope = job_scope(nda, "job-cmp")
    comparison_steps.retrieve(scope)
    comparison_steps.prompt(scope, get_analyzer(), 4_000)
    task = scope.artifacts.get(names.of_contract("task", "nda_mutual_variant_a.md"), ComparisonTask)
    warning = "Clause 'Remedies' was not assessed: the model's reply omitted it twice"
    raw = ContractComparison(
        contract_id="nda_mutual_variant_a.md",
        contract_title="Variant A",
        similarity=0.9,
        summary="",
        clauses=[
            ClauseFinding(title="Term", status="matched", explanation="same"),
            ClauseFinding(title="Remedies", status="not_assessed", standard_excerpt="Relief", explanation=""),
        ],
        warnings=[warning],
    )

    clean = comparison.validate_item(task, raw)
    standard = ContractForAnalysis(contract_id="std", title="Standard", clauses=[])
    result = comparison.enhance(standard, [AnalyzedComparison(comparison=clean, model="m", usage=TokenUsage())])

    assert [(f.status, f.severity) for f in clean.clauses] == [("matched", None), ("not_assessed", None)]
    assert clean.summary == "1 matched, 1 not assessed; 0 high-severity deviations."
    assert clean.warnings == [warning]
    assert result.warnings == [f"nda_mutual_variant_a.md: {warning}"]
