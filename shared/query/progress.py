"""What a query job's progress says at each point (see shared/jobs/progress.py for who reports it).

A query's combine rounds run at processing results, 80: how many rounds a reduce tree needs is known only as
each round's answers come back, so they cannot honestly take a share of the 50-80 band. Their progress is in
the items instead: partial answers combined of those the round started with.
"""

from __future__ import annotations

from shared.jobs.models import JobProgress, ProcessingStep
from shared.jobs.progress import LLM_END, LLM_START, PROCESSING, RETRIEVING, at, plural, rising

RETRIEVED = 30
PLAN = 35


def retrieving(done: int, total: int) -> JobProgress:
    message = f"Read {done} of {plural(total, 'contract')}" if done else f"Reading {plural(total, 'contract')}"
    return at(ProcessingStep.RETRIEVING_DATA, rising(RETRIEVING, RETRIEVED, done, total), message, done, total)


def planning(contracts: int) -> JobProgress:
    return at(
        ProcessingStep.GENERATING_PROMPT,
        PLAN,
        f"Planning the question over {plural(contracts, 'contract')} within the model's context",
    )


def answering(done: int, total: int) -> JobProgress:
    if total == 1:
        message = "Answered the question" if done else "Answering the question"
    else:
        message = f"Answered all {total} parts" if done >= total else f"Answering part {done + 1} of {total}"
    return at(ProcessingStep.CALLING_LLM, rising(LLM_START, LLM_END, done, total), message, done, total)


def checking() -> JobProgress:
    """A single part: its answer is the answer, checked and saved without a combine call."""
    return at(ProcessingStep.PROCESSING_RESULTS, PROCESSING, "Checking the answer", 1, 1)


def combining(round_: int, done: int, total: int) -> JobProgress:
    """Round 1 combines the parts' answers; later rounds combine the answers of the round before."""
    what = f"the answers of {total} parts" if round_ == 1 else f"{total} partial answers (round {round_})"
    message = f"Combining {what}" if done == 0 else f"Combining {what}: {done} done"
    return at(ProcessingStep.PROCESSING_RESULTS, PROCESSING, message, done, total)


def after_answers(parts: int) -> JobProgress:
    """Once every part is answered: a single part is checked, several are combined in round 1."""
    return checking() if parts == 1 else combining(1, 0, parts)
