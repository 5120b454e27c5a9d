"""The operations summary, from the store: every worker's model-call figures (shared/ops/usage_figures.py) for the last
hour and day, jobs counted across users, the quota scheduler's queue per deployment, the oldest running job and the last
day's failures. A handful of reads, none of a whole job document: one query of usage items, two counts, one job,
at most FAILED_LIMIT failures, and one budget item per configured deployment.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import get_args

from shared.analysis.token_usage import TokenUsage
from shared.jobs.errors import shorten
from shared.jobs.models import JobStatus, JobType, ModelSelection
from shared.llm import adapt
from shared.llm.budget import LATE_S
from shared.llm.config import deployment_key, model_for
from shared.llm.prices import COST_DIGITS, prices_for
from shared.llm.quota import QuotaScheduler
from shared.ops.models import (
    DeploymentBacklog,
    DeploymentUsage,
    FailedJob,
    JobCounts,
    OpsSummary,
    OpsWindow,
    Period,
    RunningJob,
    UsageFigures,
)
from shared.ops.usage_figures import ModelUsage, bucket_start
from shared.settings import Settings
from shared.storage.base import FailedJobRow, Repositories, RunningJobRow
from shared.telemetry.attributes import user_hash

PERIODS: dict[Period, timedelta] = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
FAILED_LIMIT = 20
MESSAGE_CHARS = 300
SELECTIONS: tuple[ModelSelection, ...] = get_args(ModelSelection)


def window_start(now: datetime, period: Period) -> datetime:
    """The period back from now, down to the start of its five-minute bucket (what the usage items are kept by)."""
    return bucket_start((now - PERIODS[period]).timestamp())


def build_summary(repos: Repositories, settings: Settings, now: datetime) -> OpsSummary:
    starts = {period: window_start(now, period) for period in PERIODS}
    usage = repos.usage.since(starts["day"])
    windows = {period: _window(period, since, usage, repos, settings, now) for period, since in starts.items()}
    salt = settings.telemetry_user_salt
    oldest = repos.jobs.oldest_running()
    failed = repos.jobs.failed_between(starts["day"], now, limit=FAILED_LIMIT)
    return OpsSummary(
        generated_at=now,
        provider=settings.llm_provider,
        currency=settings.cost_currency,
        last_hour=windows["hour"],
        last_day=windows["day"],
        backlog=backlog(repos, settings, now),
        oldest_running=None if oldest is None else running_job(oldest, now, salt),
        failed_jobs=[failed_job(row, salt) for row in failed],
        failed_jobs_limit=FAILED_LIMIT,
    )


def _window(
    period: Period, since: datetime, usage: list[ModelUsage], repos: Repositories, settings: Settings, now: datetime
) -> OpsWindow:
    rows = deployment_usage((item for item in usage if item.bucket >= since), settings)
    counts = repos.jobs.counts_by_status_and_type(since, now)
    return OpsWindow(period=period, since=since, jobs=job_counts(counts), deployments=rows, total=total(rows))


# --- jobs -------------------------------------------------------------------------------------------------------


def job_counts(counts: dict[tuple[JobStatus, JobType], int]) -> JobCounts:
    by_status = {status.value: 0 for status in JobStatus}
    by_type = {job_type.value: 0 for job_type in JobType}
    for (status, job_type), count in counts.items():
        by_status[status.value] += count
        by_type[job_type.value] += count
    return JobCounts(total=sum(counts.values()), by_status=by_status, by_type=by_type)


def running_job(row: RunningJobRow, now: datetime, salt: str | None) -> RunningJob:
    return RunningJob(
        job_id=row.job_id,
        title=row.title,
        job_type=row.job_type,
        step=row.step,
        age_s=_seconds(now - row.created_at),
        running_s=None if row.started_at is None else _seconds(now - row.started_at),
        user_hash=user_hash(row.user_id, salt),
    )


def failed_job(row: FailedJobRow, salt: str | None) -> FailedJob:
    """What the job's error_details say, whichever shape they have: a step's (step, message, type), a start
    failure's or a healed orchestration's (code, message), or a reason."""
    error = row.error or {}
    message = str(error.get("message") or error.get("reason") or "no reason recorded")
    return FailedJob(
        job_id=row.job_id,
        title=row.title,
        job_type=row.job_type,
        failed_at=row.completed_at,
        step=str(error["step"]) if error.get("step") else None,
        error_type=str(error.get("type") or error.get("code") or "unknown"),
        message=shorten(message, MESSAGE_CHARS),
        user_hash=user_hash(row.user_id, salt),
    )


# --- model calls ------------------------------------------------------------------------------------------------


def configured_names(settings: Settings) -> dict[str, ModelSelection]:
    """Deployment (or model) name -> the selection it serves now (primary first when both name one)."""
    names: dict[str, ModelSelection] = {}
    for selection in SELECTIONS:
        names.setdefault(model_for(settings, selection), selection)
    return names


def deployment_usage(items: Iterable[ModelUsage], settings: Settings) -> list[DeploymentUsage]:
    """Every worker's items added up per deployment, busiest first."""
    summed: dict[str, ModelUsage] = {}
    for item in items:
        summed[item.deployment] = summed[item.deployment].add(item) if item.deployment in summed else item
    names = configured_names(settings)
    rows = []
    for name, usage in summed.items():
        selection = names.get(name) or usage.selection
        figures = _figures(usage, settings, selection)
        rows.append(DeploymentUsage(deployment=name, selection=selection, **figures.model_dump()))
    return sorted(rows, key=lambda row: (-row.calls, row.deployment))


def total(rows: list[DeploymentUsage]) -> UsageFigures:
    calls = sum(row.calls for row in rows)
    waited = sum(row.avg_queue_wait_s * row.calls for row in rows)
    sums = {name: sum(getattr(row, name) for row in rows) for name in _SUMMED}
    return UsageFigures(
        **sums,
        throttled_share=_share(sums["throttled"], calls),
        estimated_cost=round(sum(row.estimated_cost for row in rows), COST_DIGITS),
        avg_queue_wait_s=round(waited / calls, 3) if calls else 0.0,
    )


_SUMMED = ("calls", "answered", "throttled", "failed", "prompt_tokens", "completion_tokens", "deferrals")


def _figures(usage: ModelUsage, settings: Settings, selection: str) -> UsageFigures:
    prices = prices_for(settings, "secondary" if selection == "secondary" else "primary")
    tokens = TokenUsage(prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens)
    return UsageFigures(
        **{name: getattr(usage, name) for name in _SUMMED},
        throttled_share=_share(usage.throttled, usage.calls),
        estimated_cost=round(prices.standard_cost(tokens), COST_DIGITS),
        avg_queue_wait_s=round(usage.queue_wait_s / usage.calls, 3) if usage.calls else 0.0,
    )


def backlog(repos: Repositories, settings: Settings, now: datetime) -> list[DeploymentBacklog]:
    """Each configured deployment's queue as the scheduler keeps it (none without a model service, or with the
    scheduler off)."""
    if settings.llm_provider == "offline" or settings.llm_scheduler != "on":
        return []
    scheduler = QuotaScheduler(repos.quota)
    moment = now.timestamp()
    rows: dict[str, DeploymentBacklog] = {}
    for selection in SELECTIONS:
        key = deployment_key(settings, selection)
        if key in rows:
            continue
        state = scheduler.state(key)
        waiting = [w for w in state.waiters if moment <= w.until + LATE_S]  # those the scheduler still counts
        rows[key] = DeploymentBacklog(
            deployment=model_for(settings, selection),
            selection=selection,
            waiting=len(waiting),
            waiting_tokens=sum(w.tokens for w in waiting),
            oldest_wait_s=round(moment - min(w.since for w in waiting), 3) if waiting else None,
            paused_for_s=round(max(state.paused_until - moment, 0.0), 3),
            rate=round(adapt.current_rate(state, moment), 3),
        )
    return list(rows.values())


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _seconds(delta: timedelta) -> float:
    return round(max(delta.total_seconds(), 0.0), 3)
