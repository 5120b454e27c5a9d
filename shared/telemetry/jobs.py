"""A job's life as operators see it: one log line per event (submitted, started, completed, failed, cancelled) with
the job's id and type, at INFO (a failure at WARNING), and the jobs metrics. Heard from the job service's writes
(shared/jobs/service.py), so every path that changes a job is covered and an activity that runs twice counts once
(a write that changes nothing is never reported).

The lines are logged whether telemetry is on or off (the Functions host forwards them to its own logs too); with
telemetry on they are also OpenTelemetry log records carrying the same fields as attributes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from shared.telemetry import attributes as a
from shared.telemetry.state import active

if TYPE_CHECKING:
    from shared.jobs.document import Job

log = logging.getLogger("contractjobs.jobs")

PROCESSING = "processing"
TERMINAL = frozenset({"completed", "failed", "cancelled"})


def job_changed(before: Job | None, after: Job) -> None:
    """`after` was written over `before` (None: created). Never raises: telemetry must not fail a job's write."""
    try:
        _report(before, after)
    except Exception:  # pragma: no cover - a defect here must not fail the write it reports
        log.exception("job %s: reporting its change failed", after.job_id)


def _report(before: Job | None, after: Job) -> None:
    old = None if before is None else str(before.status)
    new = str(after.status)
    if old == new:
        return
    telemetry = active()
    fields: dict[str, Any] = {a.JOB_ID: after.job_id, a.JOB_TYPE: str(after.job_type), a.JOB_STATUS: new}
    if telemetry is not None:
        fields[a.USER_HASH] = telemetry.user_hash(after.user_id)
    kind = {a.JOB_TYPE: fields[a.JOB_TYPE]}
    if before is None:
        log.info("job %s submitted: %s, priority %s", after.job_id, after.job_type, after.priority, extra=fields)
        if telemetry is not None:
            telemetry.instruments.jobs_submitted.add(1, kind)
    elif new == PROCESSING:
        log.info("job %s started: %s", after.job_id, after.job_type, extra=fields)
        if telemetry is not None:
            telemetry.instruments.jobs_started.add(1, kind)
    elif new in TERMINAL and old not in TERMINAL:
        _finished(after, fields, telemetry)


def _finished(job: Job, fields: dict[str, Any], telemetry: Any) -> None:
    end = job.completed_at or job.progress.updated_at
    seconds = max((end - job.created_at).total_seconds(), 0.0)
    fields["job.duration_s"] = round(seconds, 3)
    status = fields[a.JOB_STATUS]
    if status == "failed":
        # The error's code and step only: its message may quote what a model said.
        details = job.error_details or {}
        fields[a.STEP_ERROR] = str(details.get("type") or details.get("code") or "unknown")
        fields[a.JOB_STEP] = str(details.get("step") or "")
        log.warning(
            "job %s failed: %s after %.1f s at %s (%s)",
            job.job_id,
            job.job_type,
            seconds,
            fields[a.JOB_STEP] or "start",
            fields[a.STEP_ERROR],
            extra=fields,
        )
    else:
        log.info("job %s %s: %s after %.1f s", job.job_id, status, job.job_type, seconds, extra=fields)
    if telemetry is not None:
        labels = {a.JOB_TYPE: fields[a.JOB_TYPE], a.JOB_STATUS: status}
        telemetry.instruments.jobs_finished.add(1, labels)
        telemetry.instruments.job_duration.record(seconds, labels)
