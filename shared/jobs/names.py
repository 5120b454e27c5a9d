"""Durable names every workflow shares: the job's bookkeeping activities and the cancel event."""

from __future__ import annotations

START_JOB = "job_start"
FINALIZE_JOB = "job_finalize"

# External event the cancel endpoint raises on a job's orchestration instance (instance id == job id).
CANCEL_EVENT = "cancel"
