"""The progress a comparison job shows while it runs: what each step records on the job, as the seed's users saw
it (retrieving 10, prompt 30, comparing 50 rising to 80, processing 80, saving 90, completed 100)."""

from __future__ import annotations

import pytest

from shared.analysis.factory import get_analyzer
from shared.comparison import progress
from shared.comparison import steps as comparison_steps
from shared.jobs.messages import Outcome
from shared.jobs.scope import JobScope
from shared.storage.base import Repositories
from tests.support.jobs import Shown, add_sample, comparison_job, complete_job, job_scope, shown, start_job

STANDARD = "nda_mutual_standard.md"
COMPARED = ["nda_mutual_variant_a.md", "nda_mutual_variant_b.txt", "msa_standard.txt"]


@pytest.fixture
def scope(repos: Repositories) -> JobScope:
    for name in (STANDARD, *COMPARED):
        add_sample(repos, name)
    comparison_job(repos, STANDARD, COMPARED)
    return job_scope(repos, "job-cmp")


def test_each_step_records_the_progress_users_see(scope: JobScope) -> None:
    seen: list[Shown] = []
    seqs: list[int] = []

    def record(outcome: Outcome | None = None) -> None:
        stored = scope.job().progress
        if outcome is not None:
            assert outcome.progress == stored  # what the orchestrator copies into its custom status
        seen.append(shown(stored))
        seqs.append(stored.seq)

    start_job(scope)
    record()
    record(comparison_steps.retrieve(scope))
    record(comparison_steps.prompt(scope, get_analyzer(), 4_000))
    for contract_id in COMPARED:
        record(comparison_steps.compare_one(scope, get_analyzer(), contract_id, len(COMPARED)))
    record(comparison_steps.enhance(scope))
    complete_job(scope, comparison_steps.save(scope).result_id)
    record()

    assert seen == [
        ("retrieving_data", 10, "Retrieving the standard and 3 contracts", 0, 0),
        ("generating_prompt", 30, "Preparing 3 comparisons", 0, 3),
        ("calling_llm", 50, "Comparing contract 1 of 3", 0, 3),
        ("calling_llm", 60, "Comparing contract 2 of 3", 1, 3),
        ("calling_llm", 70, "Comparing contract 3 of 3", 2, 3),
        ("processing_results", 80, "Checking and combining the findings", 3, 3),
        ("saving_results", 90, "Saving the results", 0, 0),
        ("completed", 100, "Completed: result res_job-cmp", 0, 0),
    ]
    assert seqs == list(range(1, len(seen) + 1))  # one update each, in order: the streams' event ids


def test_contracts_compared_in_any_order_count_up_in_order(scope: JobScope) -> None:
    start_job(scope)
    comparison_steps.retrieve(scope)
    comparison_steps.prompt(scope, get_analyzer(), 4_000)
    messages = [
        shown(comparison_steps.compare_one(scope, get_analyzer(), cid, len(COMPARED)).progress)[2]
        for cid in reversed(COMPARED)
    ]
    assert messages == ["Comparing contract 2 of 3", "Comparing contract 3 of 3", "Checking and combining the findings"]


def test_a_comparison_run_again_after_a_crash_is_not_counted_twice(scope: JobScope) -> None:
    start_job(scope)
    comparison_steps.retrieve(scope)
    comparison_steps.prompt(scope, get_analyzer(), 4_000)
    comparison_steps.compare_one(scope, get_analyzer(), COMPARED[0], len(COMPARED))
    before = scope.job().progress
    again = comparison_steps.compare_one(scope, get_analyzer(), COMPARED[0], len(COMPARED))
    assert again.status == "ok"
    assert scope.job().progress == before
    assert shown(before)[1:] == (60, "Comparing contract 2 of 3", 1, 3)


def test_the_comparing_percentage_rises_from_50_to_80() -> None:
    shown_four = [shown(progress.comparing(done, 4)) for done in range(5)]
    assert [s[1] for s in shown_four] == [50, 57, 65, 72, 80]
    assert [s[2] for s in shown_four] == [
        "Comparing contract 1 of 4",
        "Comparing contract 2 of 4",
        "Comparing contract 3 of 4",
        "Comparing contract 4 of 4",
        "Compared all 4 contracts",
    ]
    assert progress.retrieving(1).message == "Retrieving the standard and 1 contract"
    assert progress.prompting(1).message == "Preparing 1 comparison"
