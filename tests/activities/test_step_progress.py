"""The progress each activity records on the job document as it ends: what the job list, the status endpoint
and the streams show while a job runs, with no activity of its own for it. Every change gets the next `seq`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from activities import comparison as comparison_activities
from activities import jobs as job_activities
from activities import query as query_activities
from shared.comparison import names as comparison_names
from shared.jobs import names as job_names
from shared.jobs.messages import JobFinalized, JobStarted, Outcome, ResultSaved
from shared.jobs.models import JobProgress, ProcessingStep
from shared.jobs.service import JobService
from shared.query import names as query_names
from shared.query.messages import QueryGrouped, QueryPlanned
from shared.settings import Settings, use_settings
from shared.storage.base import Repositories
from tests.orchestrators.fake_context import activity_table
from tests.support.jobs import USER, add_sample, comparison_job, query_job

ACT = activity_table(job_activities.bp, comparison_activities.bp, query_activities.bp)
AT = datetime(2026, 1, 1, tzinfo=UTC).isoformat()

STANDARD = "nda_mutual_standard.md"
VARIANTS = ["nda_mutual_variant_a.md", "nda_mutual_variant_b.txt"]
QUERIED = ["nda_mutual_standard.md", "msa_standard.txt", "commercial_lease.txt"]

Shown = tuple[ProcessingStep, int, str, int, int]  # what a user sees: step, percentage, message, items done/total


@dataclass
class DrivenJob:
    """One job driven activity by activity, as its orchestrator would, checking the document after each."""

    repos: Repositories
    job_id: str
    seqs: list[int]
    last: Outcome | None = None

    def progress(self) -> JobProgress:
        return JobService(self.repos.jobs).get_job(USER, self.job_id).progress

    def run(self, name: str, **payload: Any) -> dict[str, Any]:
        return ACT[name]({"job_id": self.job_id, "user_id": USER, **payload})

    def step(self, name: str, outcome: type[Outcome] = Outcome, **payload: Any) -> Shown:
        """Run a step activity: it reports the progress it recorded, which is the job document's, with a newer
        seq. Returns what the document now shows."""
        out = self.last = outcome.model_validate(self.run(name, **payload))
        assert out.status == "ok", out
        stored = self.progress()
        assert out.progress == stored, "the outcome carries the progress the activity recorded"
        return self._shown(stored)

    def unchanged(self, name: str, outcome: type[Outcome] = Outcome, **payload: Any) -> Outcome:
        """Run a step activity whose report shows nothing new: the document keeps its progress and seq."""
        before = self.progress()
        out = outcome.model_validate(self.run(name, **payload))
        assert out.status == "ok", out
        assert self.progress() == before
        return out

    def start(self) -> Shown:
        started = JobStarted.model_validate(self.run(job_names.START_JOB, instance_id=self.job_id, started_at=AT))
        assert started.progress == self.progress()
        return self._shown(self.progress())

    def finalize(self, result_id: str) -> Shown:
        out = self.run(job_names.FINALIZE_JOB, status="completed", result_id=result_id, finished_at=AT)
        assert JobFinalized.model_validate(out).progress == self.progress()
        return self._shown(self.progress())

    def _shown(self, progress: JobProgress) -> Shown:
        assert progress.seq > self.seqs[-1], f"seq went from {self.seqs[-1]} to {progress.seq}"
        self.seqs.append(progress.seq)
        p = progress
        return (p.current_step, p.percentage, p.message, p.items_done, p.items_total)


def test_comparison_activities_record_each_step_and_each_contract_compared(repos: Repositories) -> None:
    for name in (STANDARD, *VARIANTS):
        add_sample(repos, name)
    comparison_job(repos, STANDARD, VARIANTS)
    job = DrivenJob(repos, "job-cmp", [0])
    a, b = VARIANTS

    assert job.start() == (ProcessingStep.RETRIEVING_DATA, 10, "Retrieving the standard and 2 contracts", 0, 0)
    assert job.step(comparison_names.RETRIEVE) == (
        ProcessingStep.GENERATING_PROMPT, 30, "Preparing 2 comparisons", 0, 2,
    )  # fmt: skip
    assert job.step(comparison_names.PROMPT) == (ProcessingStep.CALLING_LLM, 50, "Comparing contract 1 of 2", 0, 2)
    assert job.step(comparison_names.COMPARE, contract_id=a, items_total=2) == (
        ProcessingStep.CALLING_LLM, 65, "Comparing contract 2 of 2", 1, 2,
    )  # fmt: skip
    # The same compare again (Durable runs an activity at least once): not asked again, not counted again.
    job.unchanged(comparison_names.COMPARE, contract_id=a, items_total=2)
    assert job.step(comparison_names.COMPARE, contract_id=b, items_total=2) == (
        ProcessingStep.PROCESSING_RESULTS, 80, "Checking and combining the findings", 2, 2,
    )  # fmt: skip
    assert job.step(comparison_names.ENHANCE) == (ProcessingStep.SAVING_RESULTS, 90, "Saving the results", 0, 0)
    saved = job.unchanged(comparison_names.SAVE, ResultSaved)
    assert isinstance(saved, ResultSaved) and saved.result_id == "res_job-cmp"
    assert job.finalize(saved.result_id) == (ProcessingStep.COMPLETED, 100, "Completed: result res_job-cmp", 0, 0)
    assert job.seqs == list(range(len(job.seqs)))  # one seq per change, none skipped or repeated


@pytest.fixture
def small_context(settings: Settings) -> Settings:
    """A model context the three contracts do not fit together: the query is answered in parts and combined."""
    configured = settings.model_copy(update={"llm_context_tokens_primary": 4_000, "llm_max_output_tokens": 500})
    use_settings(configured)
    return configured


def test_query_activities_record_chunks_read_parts_answered_and_answers_combined(
    repos: Repositories, small_context: Settings
) -> None:
    for name in QUERIED:
        add_sample(repos, name)
    query_job(repos, "Which law governs the agreement?", QUERIED)
    job = DrivenJob(repos, "job-q", [0])

    assert job.start() == (ProcessingStep.RETRIEVING_DATA, 10, "Reading 3 contracts", 0, 3)
    # Read in chunks (the orchestrator reads 10 at a time): each chunk moves the count; the last moves on.
    assert job.step(query_names.RETRIEVE, contract_ids=QUERIED[:2], total=3) == (
        ProcessingStep.RETRIEVING_DATA, 23, "Read 2 of 3 contracts", 2, 3,
    )  # fmt: skip
    assert job.step(query_names.RETRIEVE, contract_ids=QUERIED[2:], total=3) == (
        ProcessingStep.GENERATING_PROMPT, 35, "Planning the question over 3 contracts within the model's context", 0, 0,
    )  # fmt: skip

    shown = job.step(query_names.PLAN, QueryPlanned)
    assert isinstance(job.last, QueryPlanned)
    parts = job.last.parts
    assert parts >= 2
    assert shown == (ProcessingStep.CALLING_LLM, 50, f"Answering part 1 of {parts}", 0, parts)
    for i in range(parts - 1):
        assert job.step(query_names.ANSWER_PART, part_index=i, parts_total=parts) == (
            ProcessingStep.CALLING_LLM, 50 + 30 * (i + 1) // parts, f"Answering part {i + 2} of {parts}", i + 1, parts,
        )  # fmt: skip
    assert job.step(query_names.ANSWER_PART, part_index=parts - 1, parts_total=parts) == (
        ProcessingStep.PROCESSING_RESULTS, 80, f"Combining the answers of {parts} parts", 0, parts,
    )  # fmt: skip

    # Grouping says what the last answer already said: nothing new to show, no new seq.
    grouped = job.unchanged(query_names.GROUP, QueryGrouped, level=0, count=parts)
    assert isinstance(grouped, QueryGrouped) and grouped.groups == [parts]
    combine = {"level": 1, "index": 0, "first": 0, "count": parts, "round_total": parts}
    assert job.step(query_names.COMBINE, **combine) == (
        ProcessingStep.PROCESSING_RESULTS, 80, f"Combining the answers of {parts} parts: {parts} done", parts, parts,
    )  # fmt: skip
    assert job.step(query_names.FINISH, levels=[parts, 1]) == (
        ProcessingStep.SAVING_RESULTS, 90, "Saving the results", 0, 0,
    )  # fmt: skip
    saved = job.unchanged(query_names.SAVE, ResultSaved)
    assert isinstance(saved, ResultSaved)
    assert job.finalize(saved.result_id) == (ProcessingStep.COMPLETED, 100, "Completed: result res_job-q", 0, 0)
    assert job.seqs == list(range(len(job.seqs)))
