"""Progress of a job, as percentages and messages: pure functions, no Durable, no I/O.

Percentages follow the seed: retrieving 10 (query: 10 rising to 30 as contracts are read), prompt 30 (query plan
35), LLM 50 rising to 80 as calls finish, processing results 80, saving 90, completed 100.
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


def combining(job_id: str, parts: int) -> ProgressStatus:
    message = "Checking the answer" if parts == 1 else f"Combining the answers of {parts} parts"
    return status(job_id, ProcessingStep.PROCESSING_RESULTS, PROCESSING, message, parts, parts)


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
