"""What every activity needs: a job scope over the process-wide stores, and the outcome of a failed step."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from shared.jobs.errors import outcome_of_failure
from shared.jobs.messages import Outcome, history_json
from shared.jobs.models import JobRef
from shared.jobs.scope import JobScope
from shared.jobs.service import job_service
from shared.settings import get_settings
from shared.storage.factory import get_repositories

log = logging.getLogger(__name__)


def job_scope(ref: JobRef) -> JobScope:
    return JobScope(
        repos=get_repositories(),
        jobs=job_service(),
        user_id=ref.user_id,
        job_id=ref.job_id,
        ttl=get_settings().job_ttl_seconds,
    )


def run_step(step: str, ref: JobRef, run: Callable[[JobScope], Outcome]) -> dict[str, Any]:
    """Run a step in the job's scope. A failure it knows how to classify becomes its outcome (`error`: the job
    fails at once; `retry`: the orchestrator tries again after a durable timer); any other failure propagates,
    so the step's Durable retry policy applies."""
    try:
        result = run(job_scope(ref))
    except Exception as exc:
        outcome = outcome_of_failure(step, exc)
        if outcome is None:
            raise
        log.warning("job %s: step %s failed (%s): %s", ref.job_id, step, outcome.status, exc)
        result = outcome
    return history_json(result)
