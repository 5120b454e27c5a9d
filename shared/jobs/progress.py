"""Progress of a job, as percentages and messages: pure functions over JobProgress, no I/O.

Who reports what: an activity reports the progress the job has *when the activity finishes* — the start of the
step that follows it, or one more item of a fan-out done (shared/jobs/scope.py writes it to the job document,
which gives it its `seq`). The job document therefore always says what is happening now, without a
progress-only activity call, and the orchestrator copies what its activities report into its custom status.

Percentages follow the seed: retrieving 10 (query: 10 rising to 30 as contracts are read), prompt 30 (query plan
35), LLM 50 rising to 80 as calls finish, processing results 80, saving 90, completed 100.
"""

from __future__ import annotations

from shared.jobs.models import JobProgress, ProcessingStep

RETRIEVING = 10
PROMPT = 30
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


def at(step: ProcessingStep, percentage: int, message: str, done: int = 0, total: int = 0) -> JobProgress:
    return JobProgress(current_step=step, percentage=percentage, message=message, items_done=done, items_total=total)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def saving() -> JobProgress:
    return at(ProcessingStep.SAVING_RESULTS, SAVING, "Saving the results")


def completed(result_id: str) -> JobProgress:
    return at(ProcessingStep.COMPLETED, COMPLETED, f"Completed: result {result_id}")


def ended(last: JobProgress, message: str) -> JobProgress:
    """A failed or cancelled job keeps the step and percentage it reached: that is where it stopped."""
    return last.model_copy(update={"message": message})
