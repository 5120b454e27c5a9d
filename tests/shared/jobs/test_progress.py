"""A job's live progress over both backends: its `seq` (the streams' event id) and the fan-out count (`advance`)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import datetime

import pytest

from shared.jobs.document import Job
from shared.jobs.models import JobProgress, JobStatus, JobType, ProcessingStep
from shared.jobs.progress import at, rising
from shared.jobs.service import JobService
from shared.query.request import QueryJobRequest
from shared.storage.base import Repositories
from tests.support.jobs import shown
from tests.support.stores import race, race_rounds

pytestmark = pytest.mark.filterwarnings("ignore:Unverified HTTPS request")

REQUEST = QueryJobRequest(question="Who pays?", contract_ids=["c1"])
LLM = ProcessingStep.CALLING_LLM


@pytest.fixture
def service(repos: Repositories, clock: Callable[[], datetime]) -> JobService:
    return JobService(repos.jobs, clock=clock)


def progress(percentage: int, message: str = "", step: ProcessingStep = LLM) -> JobProgress:
    return JobProgress(current_step=step, percentage=percentage, message=message or f"{percentage}%")


def calling(done: int, total: int) -> JobProgress:
    """A fan-out's progress as a workflow renders it: 50 rising to 80."""
    return at(LLM, rising(50, 80, done, total), f"Called {done} of {total}", done, total)


def finished(total: int) -> Callable[[], JobProgress]:
    return lambda: at(ProcessingStep.PROCESSING_RESULTS, 80, "Combining", total, total)


def started(service: JobService, user: str, first: JobProgress | None = None) -> Job:
    job = service.create_job(user, JobType.QUERY, REQUEST)
    return service.update_status(user, job.job_id, JobStatus.PROCESSING, progress=first or progress(10))


# --- seq -----------------------------------------------------------------------------------------------------


def test_seq_grows_by_one_with_every_change_of_status_or_progress(service: JobService, user: str) -> None:
    job = service.create_job(user, JobType.QUERY, REQUEST)
    assert job.progress.seq == 0
    running = service.update_status(user, job.job_id, JobStatus.PROCESSING, progress=progress(10))
    assert running.progress.seq == 1  # status and progress in one write: one update
    assert service.update_progress(user, job.job_id, progress(30)).progress.seq == 2
    assert service.update_progress(user, job.job_id, progress(30, "another message")).progress.seq == 3
    later = service.update_progress(user, job.job_id, progress(20, "a late report"))
    assert (later.progress.seq, later.progress.percentage) == (4, 30)  # new words, the percentage holds
    cancelled = service.cancel(user, job.job_id)
    assert cancelled.progress.seq == 5  # a status change alone is an update too
    assert service.get_job(user, job.job_id).progress.seq == 5  # stored, not only returned


def test_seq_is_unchanged_when_nothing_a_reader_sees_changed(service: JobService, user: str) -> None:
    job = started(service, user)
    reported = service.update_progress(user, job.job_id, progress(40))
    again = service.update_progress(user, job.job_id, progress(40))  # a new report object, a later timestamp
    assert again == reported and again.progress.seq == 2
    assert service.set_instance(user, job.job_id, "inst-1").progress.seq == 2
    done = service.update_status(user, job.job_id, JobStatus.COMPLETED, result_id="r", progress=progress(100))
    assert done.progress.seq == 3
    assert service.update_progress(user, job.job_id, progress(100, "late")).progress.seq == 3  # finished: ignored
    assert service.update_status(user, job.job_id, JobStatus.COMPLETED).progress.seq == 3  # completed again: no-op


def test_seq_never_falls_back_when_a_write_shows_nothing_new(service: JobService, user: str) -> None:
    job = started(service, user)
    service.update_progress(user, job.job_id, progress(60))
    # A late report whose only difference is a lower percentage: the percentage holds, so nothing changed.
    assert service.update_progress(user, job.job_id, progress(55, "60%")).progress.seq == 2
    # The start step run twice (activities run at least once) writes the same status and progress again.
    assert service.update_status(user, job.job_id, JobStatus.PROCESSING, progress=progress(60)).progress.seq == 2
    # One item more than the fan-out has, e.g. a duplicate delivery: clamped at the total, nothing new.
    service.advance(user, job.job_id, LLM, 1, 1, calling)
    before = service.get_job(user, job.job_id).progress.seq
    assert service.advance(user, job.job_id, LLM, 1, 1, calling).progress.seq == before
    assert service.get_job(user, job.job_id).progress.seq == before


def test_seq_never_goes_backwards_while_fan_out_items_finish_at_once(
    repos: Repositories, service: JobService, user: str
) -> None:
    total = 6
    for _ in range(race_rounds(repos) // 2):
        job = started(service, user, calling(0, total))
        first = job.progress.seq
        recorded: list[JobProgress] = []
        read: list[int] = []
        racing = threading.Event()

        def item(job_id: str = job.job_id, out: list[JobProgress] = recorded) -> None:
            out.append(service.advance(user, job_id, LLM, total, 1, calling, after=finished(total)).progress)

        def reader(job_id: str = job.job_id, out: list[int] = read, stop: threading.Event = racing) -> None:
            while not stop.is_set():
                out.append(service.get_job(user, job_id).progress.seq)

        polling = threading.Thread(target=reader)
        polling.start()
        try:
            errors = race(*[item] * total)
        finally:
            racing.set()
            polling.join()
        assert errors == []

        final = service.get_job(user, job.job_id)
        assert shown(final.progress) == ("processing_results", 80, "Combining", total, total)  # every item counted
        assert final.progress.seq == first + total  # one update per item, none lost
        in_order = sorted(recorded, key=lambda p: p.seq)
        assert [p.seq for p in in_order] == list(range(first + 1, first + total + 1))
        assert [p.items_done for p in in_order] == list(range(1, total + 1))
        assert all(a.percentage <= b.percentage for a, b in itertools.pairwise(in_order))
        assert read == sorted(read)  # a reader polling meanwhile never sees seq go back


# --- advance -------------------------------------------------------------------------------------------------


def test_advance_counts_items_as_they_finish(service: JobService, user: str) -> None:
    job = started(service, user, calling(0, 3))
    one = service.advance(user, job.job_id, LLM, 3, 1, calling)
    assert shown(one.progress) == ("calling_llm", 60, "Called 1 of 3", 1, 3)
    two = service.advance(user, job.job_id, LLM, 3, 1, calling)
    assert shown(two.progress) == ("calling_llm", 70, "Called 2 of 3", 2, 3)
    assert service.get_job(user, job.job_id) == two


def test_advance_counts_a_chunk_of_items_at_once(service: JobService, user: str) -> None:
    job = started(service, user, calling(0, 10))
    assert shown(service.advance(user, job.job_id, LLM, 10, 4, calling).progress)[3:] == (4, 10)
    assert shown(service.advance(user, job.job_id, LLM, 10, 4, calling).progress)[3:] == (8, 10)


def test_advance_restarts_the_count_for_another_step_or_total(service: JobService, user: str) -> None:
    job = started(service, user, at(ProcessingStep.RETRIEVING_DATA, 30, "Read 5 of 5", 5, 5))
    # The first answer of the next step's fan-out: its count starts at zero, not at the retrieve's five.
    assert shown(service.advance(user, job.job_id, LLM, 5, 1, calling).progress)[3:] == (1, 5)
    service.advance(user, job.job_id, LLM, 5, 1, calling)
    # A round with another total (the next round of combines) counts afresh as well.
    assert shown(service.advance(user, job.job_id, LLM, 3, 1, calling).progress)[3:] == (1, 3)


def test_advance_records_what_comes_next_when_the_fan_out_completes(service: JobService, user: str) -> None:
    job = started(service, user, calling(0, 2))
    service.advance(user, job.job_id, LLM, 2, 1, calling, after=finished(2))
    last = service.advance(user, job.job_id, LLM, 2, 1, calling, after=finished(2))
    assert shown(last.progress) == ("processing_results", 80, "Combining", 2, 2)
    without_after = started(service, user, calling(0, 1))
    assert shown(service.advance(user, without_after.job_id, LLM, 1, 1, calling).progress) == (
        "calling_llm",
        80,
        "Called 1 of 1",
        1,
        1,
    )


def test_advance_clamps_at_the_total(service: JobService, user: str) -> None:
    job = started(service, user, calling(0, 2))
    assert shown(service.advance(user, job.job_id, LLM, 2, 5, calling).progress)[3:] == (2, 2)
    again = service.advance(user, job.job_id, LLM, 2, 1, calling)
    assert shown(again.progress) == ("calling_llm", 80, "Called 2 of 2", 2, 2)


def test_advance_ignores_a_finished_or_cancelled_job(service: JobService, user: str) -> None:
    job = started(service, user, calling(0, 3))
    cancelled = service.cancel(user, job.job_id)
    assert service.advance(user, job.job_id, LLM, 3, 1, calling) == cancelled
    assert service.get_job(user, job.job_id) == cancelled
    done = started(service, user, calling(0, 3))
    completed = service.update_status(user, done.job_id, JobStatus.COMPLETED, result_id="r")
    assert service.advance(user, done.job_id, LLM, 3, 1, calling, after=finished(3)) == completed


def test_an_item_of_a_fan_out_the_job_has_moved_past_changes_nothing(service: JobService, user: str) -> None:
    job = started(service, user)
    for _ in range(2):
        service.advance(user, job.job_id, ProcessingStep.CALLING_LLM, 2, 1, calling)
    service.update_progress(user, job.job_id, progress(90, "Saving the results", ProcessingStep.SAVING_RESULTS))
    before = service.get_job(user, job.job_id).progress
    # A duplicate run of a compare that finished long ago reports its item again: the job stays where it is.
    late = service.advance(user, job.job_id, ProcessingStep.CALLING_LLM, 2, 1, lambda d, t: progress(51, "late"))
    assert late.progress == before


def test_an_item_of_an_earlier_combine_round_changes_nothing(service: JobService, user: str) -> None:
    job = started(service, user)
    step = ProcessingStep.PROCESSING_RESULTS
    service.update_progress(user, job.job_id, at(step, 80, "round 2: 0 of 3", 0, 3))
    before = service.get_job(user, job.job_id).progress
    late = service.advance(user, job.job_id, step, 9, 4, lambda d, t: at(step, 80, f"round 1: {d} of {t}", d, t))
    assert late.progress == before
    counted = service.advance(user, job.job_id, step, 3, 2, lambda d, t: at(step, 80, f"round 2: {d} of {t}", d, t))
    assert (counted.progress.items_done, counted.progress.items_total) == (2, 3)
