"""Stored results (container `analysis_results`, partition key /user_id), linked from a completed job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from shared.jobs.models import JOB_TTL_SECONDS, JobType, utcnow


class AnalysisResult(BaseModel):
    """A stored result, linked by job.result_id."""

    result_id: str
    job_id: str
    user_id: str
    job_type: JobType
    created_at: datetime = Field(default_factory=utcnow)
    result: dict[str, Any]
    ttl: int | None = JOB_TTL_SECONDS


class ResultView(BaseModel):
    """200 body of GET /api/results/{result_id}: the stored result (not its owner). `result` is the workflow's own
    result model, by job_type: ComparisonResult, QueryResult, StagingResult or RunResult."""

    result_id: str
    job_id: str
    job_type: JobType
    created_at: datetime
    result: dict[str, Any]


def view(stored: AnalysisResult) -> ResultView:
    return ResultView.model_validate(dict(stored))  # its owner and TTL stay out


def result_id_for(job_id: str) -> str:
    """Deterministic, so a save that runs twice upserts the same result."""
    return f"res_{job_id}"
