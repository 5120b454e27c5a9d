"""What a comparison job's progress says at each point (see shared/jobs/progress.py for who reports it)."""

from __future__ import annotations

from shared.jobs.models import JobProgress, ProcessingStep
from shared.jobs.progress import LLM_END, LLM_START, PROCESSING, PROMPT, RETRIEVING, at, plural, rising


def retrieving(compared: int) -> JobProgress:
    return at(ProcessingStep.RETRIEVING_DATA, RETRIEVING, f"Retrieving the standard and {plural(compared, 'contract')}")


def prompting(compared: int) -> JobProgress:
    return at(ProcessingStep.GENERATING_PROMPT, PROMPT, f"Preparing {plural(compared, 'comparison')}", 0, compared)


def comparing(done: int, total: int) -> JobProgress:
    """Before the first call finishes: "Comparing contract 1 of 10"; after each: the next one's number."""
    message = f"Compared all {total} contracts" if done >= total else f"Comparing contract {done + 1} of {total}"
    return at(ProcessingStep.CALLING_LLM, rising(LLM_START, LLM_END, done, total), message, done, total)


def processing(compared: int) -> JobProgress:
    return at(ProcessingStep.PROCESSING_RESULTS, PROCESSING, "Checking and combining the findings", compared, compared)
