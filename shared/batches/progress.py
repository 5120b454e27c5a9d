"""What a batch job's progress says at each point (see shared/jobs/progress.py for who reports it)."""

from __future__ import annotations

from shared.jobs.models import JobProgress, ProcessingStep
from shared.jobs.progress import LLM_END, LLM_START, PROCESSING, PROMPT, RETRIEVING, at, plural, rising


def finding(folders: int) -> JobProgress:
    return at(ProcessingStep.RETRIEVING_DATA, RETRIEVING, f"Finding the documents of {plural(folders, 'folder')}")


def staging(done: int, total: int) -> JobProgress:
    message = f"Staged all {plural(total, 'document')}" if done >= total else f"Staging document {done + 1} of {total}"
    return at(ProcessingStep.RETRIEVING_DATA, rising(RETRIEVING, PROCESSING, done, total), message, done, total)


def checking_staged(documents: int) -> JobProgress:
    return at(ProcessingStep.PROCESSING_RESULTS, PROCESSING, f"Checking {plural(documents, 'staged document')}")


def selecting(records: int = 0) -> JobProgress:
    return at(ProcessingStep.GENERATING_PROMPT, PROMPT, "Selecting the records to run", 0, records)


def evaluating(done: int, total: int) -> JobProgress:
    message = (
        f"Evaluated all {plural(total, 'record')}" if done >= total else f"Evaluating record {done + 1} of {total}"
    )
    return at(ProcessingStep.CALLING_LLM, rising(LLM_START, LLM_END, done, total), message, done, total)


def scoring(records: int) -> JobProgress:
    return at(ProcessingStep.PROCESSING_RESULTS, PROCESSING, f"Scoring {plural(records, 'record')}", records, records)


# --- economy runs (the Batch API) ------------------------------------------------------------------------


def batch_api_prepared(done: int, total: int) -> JobProgress:
    return at(
        ProcessingStep.GENERATING_PROMPT, PROMPT, f"Prepared {done} of {plural(total, 'record')} for the Batch API"
    )


def batch_api_waiting(status: str, done: int, failed: int, requests: int) -> JobProgress:
    message = f"Batch API {status}: {done} of {plural(requests, 'request')} answered"
    if failed:
        message += f", {failed} failed"
    percentage = rising(LLM_START, LLM_END, done + failed, requests)
    return at(ProcessingStep.CALLING_LLM, percentage, message, done + failed, requests)


def batch_api_reading() -> JobProgress:
    return at(ProcessingStep.PROCESSING_RESULTS, PROCESSING, "Reading the Batch API's answers")
