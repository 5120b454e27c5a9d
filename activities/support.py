"""What every activity needs: the process-wide stores, a job scope, and the permanent-failure guard."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from shared.jobs import job_service
from shared.models.jobs import JobRef
from shared.pipeline.errors import PERMANENT_ERRORS, describe
from shared.pipeline.messages import Outcome
from shared.pipeline.scope import JobScope
from shared.settings import get_settings
from shared.storage.factory import get_repositories

log = logging.getLogger(__name__)

OutcomeT = TypeVar("OutcomeT", bound=Outcome)


def job_scope(ref: JobRef) -> JobScope:
    jobs = job_service()
    return JobScope(
        repos=get_repositories(),
        user_id=ref.user_id,
        job_id=ref.job_id,
        ttl=get_settings().job_ttl_seconds,
        is_cancelled=lambda: jobs.is_cancelled(ref.user_id, ref.job_id),
    )


def guarded(step: str, outcome: type[OutcomeT], run: Callable[[], OutcomeT]) -> dict[str, Any]:
    """Run a step; a failure retrying cannot fix comes back as an error summary (no Durable retry), anything
    else propagates so the step's retry policy applies."""
    try:
        result = run()
    except PERMANENT_ERRORS as exc:
        log.warning("step %s failed permanently: %s", step, exc)
        result = outcome(status="error", error=describe(step, exc))
    return result.model_dump(mode="json")
