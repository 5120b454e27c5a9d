"""Orchestrators driven with the real activities over SQLite and the offline analyzer: what a user would see."""

from __future__ import annotations

import json
from typing import Any

import pytest

from activities import comparison as comparison_activities
from activities import jobs as job_activities
from activities import query as query_activities
from orchestrators.comparison import comparison_orchestration
from orchestrators.job_run import StepFailed
from orchestrators.query import query_orchestration
from shared.analysis.factory import get_analyzer
from shared.comparison import names as comparison_names
from shared.comparison.models import ComparisonResult
from shared.comparison.request import ComparisonJobRequest
from shared.jobs.artifacts import Artifacts
from shared.jobs.models import JobRef, JobStatus, JobType
from shared.jobs.names import CANCEL_EVENT
from shared.jobs.service import JobService
from shared.llm.errors import LLMPermanentError
from shared.query import artifacts as query_artifacts
from shared.query import names as query_names
from shared.query.models import AnalyzedPart, QueryPartTask, QueryResult
from shared.query.plan import budget_for, part_tokens
from shared.query.request import QueryJobRequest
from shared.settings import Settings, use_settings
from shared.storage.base import Repositories
from tests.orchestrators.fake_context import FakeContext, activity_table, drive
from tests.support.jobs import USER, add_sample, add_text, clause_contract

ACTIVITIES = activity_table(job_activities.bp, comparison_activities.bp, query_activities.bp)
VARIANTS = ["nda_mutual_variant_a.md", "nda_mutual_variant_b.txt"]
OTHERS = ["msa_standard.txt", "msa_variant_a.txt", "commercial_lease.txt", "employment_agreement.md"]


def ten_contract_job(repos: Repositories) -> tuple[JobService, str, list[str]]:
    add_sample(repos, "nda_mutual_standard.md", contract_id="std")
    compared = []
    for i in range(10):
        name = (VARIANTS + OTHERS)[i % 6]
        add_sample(repos, name, contract_id=f"cmp{i}_{name}")
        compared.append(f"cmp{i}_{name}")
    jobs = JobService(repos.jobs)
    request = ComparisonJobRequest(standardContractId="std", compareContractIds=compared)
    jobs.create_job(USER, JobType.COMPARISON, request.model_dump(mode="json"), job_id="job-10")
    return jobs, "job-10", compared


def context(job_id: str, handlers: dict[str, Any] | None = None) -> FakeContext:
    return FakeContext(
        JobRef(job_id=job_id, user_id=USER).model_dump(mode="json"), handlers or dict(ACTIVITIES), job_id
    )


def test_ten_contract_comparison_completes_with_real_findings_and_small_history(repos: Repositories) -> None:
    jobs, job_id, compared = ten_contract_job(repos)
    ctx = context(job_id)

    output = drive(comparison_orchestration(ctx), ctx)

    assert output == {"job_id": job_id, "status": "completed", "result_id": f"res_{job_id}"}
    job = jobs.get_job(USER, job_id)
    assert job.status is JobStatus.COMPLETED
    assert job.result_id == f"res_{job_id}"
    assert (job.progress.percentage, job.progress.current_step.value) == (100, "completed")
    assert job.instance_id == job_id

    stored = repos.results.get(USER, f"res_{job_id}")
    result = ComparisonResult.model_validate(stored.result)
    assert [c.contract_id for c in result.comparisons] == compared
    variant_a = {f.title: f for f in result.comparisons[0].clauses}
    assert variant_a["Term and Duration of Obligations"].status == "modified"
    assert variant_a["Term and Duration of Obligations"].severity == "high"
    assert "two (2) years" in variant_a["Term and Duration of Obligations"].explanation
    assert variant_a["Non-Solicitation"].status == "added"
    assert "New York" in variant_a["Governing Law and Jurisdiction"].explanation
    variant_b = {f.title: f for f in result.comparisons[1].clauses}
    assert variant_b["Remedies"].status == "missing"

    # Only ids and summaries crossed history: inputs and outputs of all ~35 activities together.
    print(f"\n10-contract comparison: {len(ctx.calls)} activity calls, {ctx.history_bytes} bytes of activity I/O")
    assert ctx.history_bytes < 20_000
    largest = max(len(json.dumps(c.payload)) + len(json.dumps(c.output)) for c in ctx.calls)
    assert largest < 2_000


def test_running_every_activity_twice_changes_nothing(repos: Repositories) -> None:
    jobs, job_id, _ = ten_contract_job(repos)
    calls: list[str] = []

    def twice(name: str) -> Any:
        def run(payload: dict[str, Any]) -> Any:
            calls.append(name)
            ACTIVITIES[name](payload)  # at-least-once delivery: the first run's output is lost
            return ACTIVITIES[name](payload)

        return run

    ctx = context(job_id, {name: twice(name) for name in ACTIVITIES})
    assert drive(comparison_orchestration(ctx), ctx)["status"] == "completed"
    job = jobs.get_job(USER, job_id)
    assert (job.status, job.result_id) == (JobStatus.COMPLETED, f"res_{job_id}")
    result = ComparisonResult.model_validate(repos.results.get(USER, f"res_{job_id}").result)
    assert len(result.comparisons) == 10


def test_cancel_stops_model_calls_and_ends_cancelled(repos: Repositories) -> None:
    jobs, job_id, _ = ten_contract_job(repos)
    analyzer = get_analyzer()
    model_calls: list[str] = []
    original = analyzer.compare

    def counting_compare(task: Any) -> Any:
        model_calls.append(task.compared.contract_id)
        return original(task)

    handlers = dict(ACTIVITIES)

    def compare(payload: dict[str, Any]) -> Any:
        out = ACTIVITIES[comparison_names.COMPARE](payload)
        if len(model_calls) == 2 and not jobs.is_cancelled(USER, job_id):
            jobs.cancel(USER, job_id)  # what the cancel endpoint does...
            ctx.raise_event(CANCEL_EVENT)  # ...then it raises the event
        return out

    handlers[comparison_names.COMPARE] = compare
    ctx = context(job_id, handlers)
    analyzer.compare = counting_compare  # type: ignore[method-assign]
    try:
        output = drive(comparison_orchestration(ctx), ctx)
    finally:
        del analyzer.compare

    assert output["status"] == "cancelled"
    assert len(model_calls) == 2
    job = jobs.get_job(USER, job_id)
    assert job.status is JobStatus.CANCELLED
    assert job.result_id is None
    with pytest.raises(Exception, match="not found"):
        repos.results.get(USER, f"res_{job_id}")


def test_model_rejection_fails_the_job_with_error_details(repos: Repositories, monkeypatch: pytest.MonkeyPatch) -> None:
    jobs, job_id, _ = ten_contract_job(repos)

    class Rejecting:
        provider = "offline"  # a stand-in with no context limit: the prompt step has nothing to count

        def compare(self, task: Any) -> Any:
            raise LLMPermanentError("LLM rejected the request (400): content filter triggered")

    monkeypatch.setattr(comparison_activities, "get_analyzer", lambda: Rejecting())
    ctx = context(job_id)
    with pytest.raises(StepFailed):
        drive(comparison_orchestration(ctx), ctx)

    job = jobs.get_job(USER, job_id)
    assert job.status is JobStatus.FAILED
    assert job.error_details == {
        "step": "calling_llm",
        "type": "llm_rejected",
        "message": "LLM rejected the request (400): content filter triggered",
    }


def test_contract_deleted_after_submission_fails_clearly(repos: Repositories) -> None:
    jobs, job_id, compared = ten_contract_job(repos)
    repos.contracts.delete(USER, compared[3])
    ctx = context(job_id)
    with pytest.raises(StepFailed):
        drive(comparison_orchestration(ctx), ctx)

    job = jobs.get_job(USER, job_id)
    assert job.status is JobStatus.FAILED
    assert job.error_details is not None
    assert job.error_details["type"] == "contracts_missing"
    assert compared[3] in job.error_details["message"]


def test_query_over_a_set_larger_than_one_context_is_split_and_combined(
    repos: Repositories, settings: Settings
) -> None:
    use_settings(settings.model_copy(update={"llm_context_tokens_primary": 4_000, "llm_max_output_tokens": 500}))
    add_sample(repos, "nda_mutual_standard.md", contract_id="nda")
    add_sample(repos, "msa_standard.txt", contract_id="msa")
    add_sample(repos, "commercial_lease.txt", contract_id="lease")
    add_text(repos, "filler", clause_contract("f", 12, 120))
    ids = ["nda", "msa", "lease", "filler"]
    jobs = JobService(repos.jobs)
    request = QueryJobRequest(question="Which law governs the agreement?", contract_ids=ids)
    jobs.create_job(USER, JobType.QUERY, request, job_id="job-q")
    ctx = context("job-q")

    output = drive(query_orchestration(ctx), ctx)

    assert output["status"] == "completed"
    (plan,) = [c.output for c in ctx.calls if c.name == query_names.PLAN]
    assert plan["parts"] > 1
    budget = budget_for(get_analyzer(), request, 500)
    store = Artifacts(repos.artifacts, USER, "job-q", None)
    tasks = [store.get(query_artifacts.part(i), QueryPartTask) for i in range(plan["parts"])]
    assert all(part_tokens(task, budget.encoding) <= budget.part_tokens for task in tasks)
    assert len([c for c in ctx.calls if c.name == query_names.COMBINE]) == 1
    root = store.get(query_artifacts.node(1, 0), AnalyzedPart)
    assert root.model  # the combine was a model call (the offline analyzer's), not a pass-through
    result = QueryResult.model_validate(repos.results.get(USER, "res_job-q").result)
    assert [p.contract_id for p in result.per_contract] == ids
    laws = {c.contract_id: c.quote for c in result.citations}
    assert "Delaware" in laws["nda"]
    assert "Washington" in laws["msa"]
    assert jobs.get_job(USER, "job-q").status is JobStatus.COMPLETED
