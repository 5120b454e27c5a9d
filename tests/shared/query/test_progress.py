"""The progress a query job shows while it runs: what each step records on the job, as the seed's users saw it
(reading 10 rising to 30, planning 35, answering 50 rising to 80, combining or checking 80, saving 90, 100)."""

from __future__ import annotations

import pytest

from shared.analysis.factory import get_analyzer
from shared.jobs.messages import Outcome
from shared.jobs.scope import JobScope
from shared.query import progress
from shared.query import steps as query_steps
from shared.settings import Settings, use_settings
from shared.storage.base import Repositories
from tests.support.jobs import Shown, add_sample, complete_job, job_scope, query_job, shown, start_job

QUESTION = "Which law governs the agreement?"
SET = ["nda_mutual_standard.md", "msa_standard.txt", "commercial_lease.txt"]
RESERVE = 500


class Recorder:
    """What the job shows after each step, checked against what the step returned."""

    def __init__(self, scope: JobScope) -> None:
        self.scope = scope
        self.seen: list[Shown] = []
        self.seqs: list[int] = []

    def __call__(self, outcome: Outcome | None = None) -> None:
        stored = self.scope.job().progress
        if outcome is not None and outcome.progress is not None:
            assert outcome.progress == stored  # what the orchestrator copies into its custom status
        self.seen.append(shown(stored))
        self.seqs.append(stored.seq)


@pytest.fixture
def scope(repos: Repositories) -> JobScope:
    for name in SET:
        add_sample(repos, name)
    return job_scope(repos, "job-q")


def test_each_step_of_a_split_question_records_the_progress_users_see(scope: JobScope, settings: Settings) -> None:
    use_settings(settings.model_copy(update={"llm_context_tokens_primary": 4_000}))  # several parts
    query_job(scope.repos, QUESTION, SET)
    record = Recorder(scope)
    analyzer = get_analyzer()

    start_job(scope)
    record()
    record(query_steps.retrieve_chunk(scope, SET[:2], len(SET)))
    record(query_steps.retrieve_chunk(scope, SET[2:], len(SET)))
    planned = query_steps.plan(scope, analyzer, RESERVE)
    record(planned)
    parts = planned.parts
    assert parts >= 2
    for index in range(parts):
        record(query_steps.answer_part(scope, analyzer, index, parts))
    grouped = query_steps.group(scope, analyzer, 0, parts, RESERVE)
    assert grouped.groups == [parts]
    record(grouped)
    record(query_steps.combine(scope, analyzer, 1, 0, 0, parts, parts))
    record(query_steps.finish(scope, [parts, 1]))
    complete_job(scope, query_steps.save(scope).result_id)
    record()

    answering = [
        ("calling_llm", 50 + 30 * done // parts, f"Answering part {done + 1} of {parts}", done, parts)
        for done in range(parts)
    ]
    assert record.seen == [
        ("retrieving_data", 10, "Reading 3 contracts", 0, 3),
        ("retrieving_data", 23, "Read 2 of 3 contracts", 2, 3),
        ("generating_prompt", 35, "Planning the question over 3 contracts within the model's context", 0, 0),
        *answering,
        ("processing_results", 80, f"Combining the answers of {parts} parts", 0, parts),
        ("processing_results", 80, f"Combining the answers of {parts} parts", 0, parts),  # grouping: no news
        ("processing_results", 80, f"Combining the answers of {parts} parts: {parts} done", parts, parts),
        ("saving_results", 90, "Saving the results", 0, 0),
        ("completed", 100, "Completed: result res_job-q", 0, 0),
    ]
    # One update per change, none for the grouping that changed nothing: the streams' event ids.
    assert record.seqs == [*range(1, 5 + parts), *range(4 + parts, 8 + parts)]


def test_a_question_answered_in_one_part_is_checked_not_combined(scope: JobScope) -> None:
    query_job(scope.repos, QUESTION, SET[:2])
    record = Recorder(scope)
    analyzer = get_analyzer()

    start_job(scope)
    record()
    record(query_steps.retrieve_chunk(scope, SET[:2], 2))
    planned = query_steps.plan(scope, analyzer, RESERVE)
    assert planned.parts == 1
    record(planned)
    record(query_steps.answer_part(scope, analyzer, 0, 1))
    record(query_steps.finish(scope, [1]))
    complete_job(scope, query_steps.save(scope).result_id)
    record()

    assert record.seen == [
        ("retrieving_data", 10, "Reading 2 contracts", 0, 2),
        ("generating_prompt", 35, "Planning the question over 2 contracts within the model's context", 0, 0),
        ("calling_llm", 50, "Answering the question", 0, 1),
        ("processing_results", 80, "Checking the answer", 1, 1),
        ("saving_results", 90, "Saving the results", 0, 0),
        ("completed", 100, "Completed: result res_job-q", 0, 0),
    ]
    assert record.seqs == list(range(1, 7))


def test_later_combine_rounds_say_which_round_they_are() -> None:
    assert shown(progress.combining(2, 0, 3)) == (
        "processing_results",
        80,
        "Combining 3 partial answers (round 2)",
        0,
        3,
    )
    assert shown(progress.combining(2, 2, 3))[2] == "Combining 3 partial answers (round 2): 2 done"


def test_reading_rises_from_10_to_30_as_chunks_finish() -> None:
    assert [progress.retrieving(done, 25).percentage for done in (0, 10, 20, 25)] == [10, 18, 26, 30]
    assert progress.retrieving(1, 1).message == "Read 1 of 1 contract"
    assert progress.answering(4, 4).message == "Answered all 4 parts"
    assert progress.answering(1, 1).message == "Answered the question"
