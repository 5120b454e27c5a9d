"""Durable names, in one place: the HTTP/queue starters, the orchestrators and the tests use these constants."""

from __future__ import annotations

from shared.models.jobs import JobType

COMPARISON_ORCHESTRATOR = "comparison_orchestrator"
QUERY_ORCHESTRATOR = "query_orchestrator"

ORCHESTRATOR_BY_JOB_TYPE: dict[JobType, str] = {
    JobType.COMPARISON: COMPARISON_ORCHESTRATOR,
    JobType.QUERY: QUERY_ORCHESTRATOR,
}

# External event the cancel endpoint raises on a job's orchestration instance (instance id == job id).
CANCEL_EVENT = "cancel"
