"""Progress of a job, as percentages and messages: pure functions, no Durable, no I/O.

Percentages follow the seed: retrieving 10 (query: 10 rising to 30 as contracts are read), prompt 30 (query plan
35), LLM 50 rising to 80 as calls finish, processing results 80, saving 90, completed 100.

A query's combine rounds run at processing results, 80: how many rounds a reduce tree needs is known only as
each round's answers come back, so they cannot honestly take a share of the 50-80 band. Their progress is in
the items instead: partial answers combined of those the round started with.
"""

from __future__ import annotations

from shared.models.jobs import JobStatus, ProcessingStep
from shared.pipeline.messages import ProgressStatus

RETRIEVING = 10
QUERY_RETRIEVED = 30
PROMPT = 30
QUERY_PLAN = 35
LLM_START = 50
LLM_END = 80
PROCESSING = 80
SAVING = 90
COMPLETED = 100


def rising(start: int, end: int, done: int, total: int) -> int:
    """`start` with nothing done, `end` with everything done, linear (rounded down) in between."""
    if total <= 0:
        return end
    done = max(0, min(done, total))
    return start + (end - start) * done // total


def status(
    job_id: str,
    step: ProcessingStep,
    percentage: int,
    message: str,
    done: int = 0,
    total: int = 0,
    job_status: JobStatus = JobStatus.PROCESSING,
) -> ProgressStatus:
    return ProgressStatus(
        job_id=job_id,
        status=job_status,
        current_step=step,
        percentage=percentage,
        message=message,
        items_done=done,
        items_total=total,
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# --- comparison ----------------------------------------------------------------------------------


def comparison_retrieving(job_id: str, compared: int) -> ProgressStatus:
    return status(
        job_id,
        ProcessingStep.RETRIEVING_DATA,
        RETRIEVING,
        f"Retrieving the standard and {_plural(compared, 'contract')}",
    )


def comparison_prompting(job_id: str, compared: int) -> ProgressStatus:
    return status(
        job_id, ProcessingStep.GENERATING_PROMPT, PROMPT, f"Preparing {_plural(compared, 'comparison')}", 0, compared
    )


def comparing(job_id: str, done: int, total: int) -> ProgressStatus:
    """Before the first call finishes: "Comparing contract 1 of 10"; after each: the next one's number."""
    message = f"Compared all {total} contracts" if done >= total else f"Comparing contract {done + 1} of {total}"
    return status(job_id, ProcessingStep.CALLING_LLM, rising(LLM_START, LLM_END, done, total), message, done, total)


def comparison_processing(job_id: str, compared: int) -> ProgressStatus:
    return status(
        job_id, ProcessingStep.PROCESSING_RESULTS, PROCESSING, "Checking and combining the findings", compared, compared
    )


# --- query ---------------------------------------------------------------------------------------


def query_retrieving(job_id: str, done: int, total: int) -> ProgressStatus:
    message = f"Read {done} of {_plural(total, 'contract')}" if done else f"Reading {_plural(total, 'contract')}"
    return status(
        job_id, ProcessingStep.RETRIEVING_DATA, rising(RETRIEVING, QUERY_RETRIEVED, done, total), message, done, total
    )


def query_planning(job_id: str, contracts: int) -> ProgressStatus:
    return status(
        job_id,
        ProcessingStep.GENERATING_PROMPT,
        QUERY_PLAN,
        f"Planning the question over {_plural(contracts, 'contract')} within the model's context",
    )


def answering(job_id: str, done: int, total: int) -> ProgressStatus:
    if total == 1:
        message = "Answered the question" if done else "Answering the question"
    else:
        message = f"Answered all {total} parts" if done >= total else f"Answering part {done + 1} of {total}"
    return status(job_id, ProcessingStep.CALLING_LLM, rising(LLM_START, LLM_END, done, total), message, done, total)


def checking(job_id: str) -> ProgressStatus:
    """A single part: its answer is the answer, checked and saved without a combine call."""
    return status(job_id, ProcessingStep.PROCESSING_RESULTS, PROCESSING, "Checking the answer", 1, 1)


def combining(job_id: str, round_: int, done: int, total: int) -> ProgressStatus:
    """Round 1 combines the parts' answers; later rounds combine the answers of the round before."""
    what = f"the answers of {total} parts" if round_ == 1 else f"{total} partial answers (round {round_})"
    message = f"Combining {what}" if done == 0 else f"Combining {what}: {done} done"
    return status(job_id, ProcessingStep.PROCESSING_RESULTS, PROCESSING, message, done, total)


# --- both ----------------------------------------------------------------------------------------


def saving(job_id: str) -> ProgressStatus:
    return status(job_id, ProcessingStep.SAVING_RESULTS, SAVING, "Saving the results")


def completed(job_id: str, result_id: str) -> ProgressStatus:
    return status(
        job_id, ProcessingStep.COMPLETED, COMPLETED, f"Completed: result {result_id}", job_status=JobStatus.COMPLETED
    )


def ended(last: ProgressStatus, job_status: JobStatus, message: str) -> ProgressStatus:
    """A failed or cancelled job keeps the step and percentage it reached: that is where it stopped."""
    return last.model_copy(update={"status": job_status, "message": message})
