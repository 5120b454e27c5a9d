"""A job's human title: what the job monitor, the notifications, the streams and the ops view call it.

Fixed when the job is submitted, whatever client submitted it (shared/jobs/workflows.py ``job_title`` reads the
names this module words): "NDA Mutual Standard vs NDA Variant A", "NDA Mutual Standard vs 3 contracts", the
question's first words, "Staging — Vendor review". A job stored before titles existed gets ``fallback_title`` when
it is read: readable words from its request alone, never an id.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from shared.batches.request import EvaluationJobRequest, StagingJobRequest
from shared.comparison.request import ComparisonJobRequest
from shared.query.request import QueryJobRequest

MAX_TITLE_CHARS = 200
QUESTION_WORDS = 12
QUESTION_CHARS = 90


def shorten(text: str, limit: int) -> str:
    """`text` on one line, cut at a word boundary with an ellipsis when longer than `limit`."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:.-") + "…"


def _contracts(count: int) -> str:
    return f"{count} contract{'s' if count != 1 else ''}"


def comparison_title(standard: str, compared: Sequence[str] | int) -> str:
    """The standard against one contract by name, or against how many there are."""
    other = compared[0] if not isinstance(compared, int) and len(compared) == 1 else None
    count = compared if isinstance(compared, int) else len(compared)
    return shorten(f"{standard} vs {other if other is not None else _contracts(count)}", MAX_TITLE_CHARS)


def query_title(question: str) -> str:
    """The question's first words, quoted."""
    words = question.split()
    head = " ".join(words[:QUESTION_WORDS])
    if len(words) > QUESTION_WORDS:
        head += " …"
    return f"“{shorten(head, QUESTION_CHARS)}”"


def batch_title(request: StagingJobRequest | EvaluationJobRequest, batch_name: str | None) -> str:
    if isinstance(request, StagingJobRequest):
        what = "Reprocess staging" if request.reprocess else "Staging"
    else:
        what = "Economy run" if request.mode == "economy" else "Run"
    return shorten(f"{what} — {batch_name}" if batch_name else f"Batch {what.lower()}", MAX_TITLE_CHARS)


def fallback_title(request: BaseModel | None) -> str:
    """A title from the request alone (a job stored before titles existed): no contract or batch names, no ids."""
    if isinstance(request, ComparisonJobRequest):
        return f"Comparison of {_contracts(len(request.compareContractIds))} with a standard"
    if isinstance(request, QueryJobRequest):
        return query_title(request.question)
    if isinstance(request, StagingJobRequest | EvaluationJobRequest):
        return batch_title(request, None)
    return "Job"
