"""What every activity needs: a job scope over the process-wide stores, and the outcome of a failed step."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from shared import telemetry
from shared.jobs.errors import outcome_of_failure
from shared.jobs.messages import Outcome, history_json
from shared.jobs.models import JobRef
from shared.jobs.scope import JobScope
from shared.jobs.service import job_service
from shared.llm.calls import call_context, call_key
from shared.settings import get_settings
from shared.storage.factory import get_repositories
from shared.storage.unavailable import StoreUnavailable, is_unavailable, unavailable

log = logging.getLogger(__name__)


def job_scope(ref: JobRef) -> JobScope:
    return JobScope(
        repos=get_repositories(),
        jobs=job_service(),
        user_id=ref.user_id,
        job_id=ref.job_id,
        ttl=get_settings().job_ttl_seconds,
    )


def run_step(activity: str, step: str, ref: JobRef, run: Callable[[JobScope], Outcome]) -> dict[str, Any]:
    """`_run_step`, with a store that did not answer raised as StoreUnavailable: the job's retry policy applies as
    to any raised failure, and if the job fails of it, its error says so in plain words, not the SDK's (which name
    hosts, ports and request ids)."""
    try:
        return _run_step(activity, step, ref, run)
    except Exception as exc:
        if is_unavailable(exc) and not isinstance(exc, StoreUnavailable):
            raise unavailable(exc) from exc
        raise


def _run_step(activity: str, step: str, ref: JobRef, run: Callable[[JobScope], Outcome]) -> dict[str, Any]:
    """Run a step of the activity named `activity` (its Durable name: its spans carry it) in the job's scope. A failure
    it knows how to classify becomes its outcome (`error`: the job fails at once; `retry`: the orchestrator tries again
    after a durable timer; `wait`: a model call waits for its turn at the quota, on a durable timer too); any other
    failure propagates, so the step's Durable retry policy applies.

    The step's model calls reserve quota as this job's user (the quota is shared fairly between users, weighted by
    user and job type) and at this job's priority (which orders that user's own calls), under a key of the step and
    its input: the same activity call, run again after a wait, keeps its place in the queue. The step runs in a
    span of its job's trace (shared/telemetry), which records its outcome."""
    scope = job_scope(ref)
    key = call_key(step, type(ref).__name__, ref.model_dump_json())
    job = functools.cache(scope.job)  # read once, when first needed: its trace, its priority and its type
    with telemetry.activity_span(activity, step, ref.job_id, ref.user_id, job) as span:
        try:
            with call_context(
                key,
                job_id=ref.job_id,
                user_id=ref.user_id,
                priority=lambda: job().priority,
                job_type=lambda: job().job_type.value,
            ):
                result = run(scope)
        except Exception as exc:
            outcome = outcome_of_failure(step, exc)
            if outcome is None:
                raise
            if outcome.status == "wait":
                log.info("job %s: step %s waits: %s", ref.job_id, step, exc)
            else:
                log.warning("job %s: step %s failed (%s): %s", ref.job_id, step, outcome.status, exc)
            result = outcome
        span.finished(result)
    return history_json(result)
