"""What both backends share for the cross-user job queries of the operations summary (JobRepository's
counts_by_status_and_type, oldest_running and failed_between): time bounds, and rows from projected fields.

`completed_at` and `started_at` are stored as pydantic writes them ("…:05Z" or "…:05.3Z"), whose string order is
time order only to the second: failures are selected by the second-precision prefix, which every stored form of a
moment begins with, so a bound is exact to the second and a second is never cut in two.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from shared.jobs.document import request_model
from shared.jobs.models import JobStatus, JobType
from shared.jobs.titles import fallback_title
from shared.storage.base import FailedJobRow, RunningJobRow


def second(moment: datetime) -> str:
    """The UTC second of `moment` as every stored form of it begins."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def second_bounds(since: datetime, until: datetime) -> tuple[str, str]:
    """String bounds (>= lower, < upper) of the moments from since's second to until's second, both included."""
    return second(since), second(until + timedelta(seconds=1))


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def tally(rows: Iterable[tuple[Any, Any, int]]) -> dict[tuple[JobStatus, JobType], int]:
    """Counts by (status, job_type) from (status, job_type, count) rows; values this version does not know are
    left out."""
    statuses, types = {s.value for s in JobStatus}, {t.value for t in JobType}
    counted: Counter[tuple[str, str]] = Counter()
    for status, job_type, count in rows:
        if status in statuses and job_type in types:
            counted[(status, job_type)] += count
    return {(JobStatus(s), JobType(t)): n for (s, t), n in counted.items()}


def title(data: Mapping[str, Any]) -> str:
    """The projected job's title; for a job stored before titles, the one its request gives."""
    stored = data.get("title")
    if isinstance(stored, str) and stored:
        return stored
    model = request_model(JobType(data["job_type"]))
    request = data.get("request")
    if model is None or not isinstance(request, dict):
        return fallback_title(None)
    try:
        return fallback_title(model.model_validate(request))
    except ValidationError:
        return fallback_title(None)


def running_row(data: Mapping[str, Any]) -> RunningJobRow:
    created = parse_time(data.get("created_at"))
    return RunningJobRow(
        job_id=str(data["job_id"]),
        user_id=str(data["user_id"]),
        job_type=JobType(data["job_type"]),
        created_at=created or datetime.fromtimestamp(0, UTC),
        started_at=parse_time(data.get("started_at")),
        step=str(data.get("step") or ""),
        title=title(data),
    )


def failed_row(data: Mapping[str, Any]) -> FailedJobRow:
    error = data.get("error")
    return FailedJobRow(
        job_id=str(data["job_id"]),
        user_id=str(data["user_id"]),
        job_type=JobType(data["job_type"]),
        completed_at=parse_time(data.get("completed_at")),
        error=error if isinstance(error, dict) else None,
        title=title(data),
    )
