"""Live progress as Server-Sent Events, in the seed's event names so its JavaScript client works unchanged.

- GET /api/jobs/{job_id}/stream: `job_update` (data: the job document) on connect and whenever the job's status
  or progress changes; the stream ends after the event with a terminal status. Each event's id is the job's
  progress `seq`: a reconnect with Last-Event-ID gets only what is newer, and one that already has the terminal
  event gets 204, which tells EventSource to stop. An unknown job, or another user's, gets an `error` event (the
  error shape) and the end of the stream, and nothing about the job.
- GET /api/jobs/stream (and the seed's GET /api/jobs/user/{user_id}/stream, 403 unless it is the caller):
  `jobs_update` ({"jobs": [...], "counts": {...}}) on connect and whenever a listed job changes. Listed: the
  `?status=a,b` filter, or by default the queued and processing jobs plus those that ended since the stream
  opened. Each event's id is a cursor that orders all of the caller's changes (the newest change's time).
- `heartbeat` events every STREAM_HEARTBEAT_SECONDS and keep-alive comments between events; every stream ends
  itself after STREAM_MAX_SECONDS (Azure ends a response at 230 s) and the client resumes with Last-Event-ID.
- A user has at most MAX_STREAMS_PER_USER streams open per worker process (api/stream_slots.py): one more is 429
  `too_many_streams` with Retry-After.

Where updates come from: the job document, read when a change in this process wakes the stream
(shared/jobs/stream_wakeups.py), and otherwise every STREAM_POLL_SECONDS while a listed job runs
(STREAM_IDLE_POLL_SECONDS when none does) — one point read per job stream, one partition-scoped query per user stream,
never faster than MIN_READ_INTERVAL.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import azure.durable_functions as df
from azurefunctions.extensions.http.fastapi import Request, Response

from api import sse
from api.http import blocking, handle, path_param, path_user
from api.jobs import parse_statuses
from api.stream_slots import held, stream_slots
from shared.errors import DomainError, ErrorBody, ErrorInfo, NotFoundError
from shared.identity import Caller, require_same_user
from shared.jobs.document import Job, JobsUpdate
from shared.jobs.models import JobStatus, utcnow
from shared.jobs.service import JobService, job_service
from shared.jobs.stream_wakeups import Subscription, stream_wakeups
from shared.settings import Settings, get_settings
from shared.storage.common import iso

logger = logging.getLogger(__name__)

bp = df.Blueprint()

MIN_READ_INTERVAL = 0.2
"""Progress comes in bursts (a fan-out's calls finish together): one read covers a burst."""
ACTIVE = (JobStatus.QUEUED, JobStatus.PROCESSING)
LISTED_MAX = 100
CLOCK_SKEW = timedelta(seconds=2)
"""Changes are ordered by their writers' clocks: a user stream looks this far behind its cursor, and skips what it
has already sent, so a change stamped by a slightly slow clock is not lost."""


@bp.route(route="jobs/{job_id}/stream", methods=["GET"])
async def stream_job(req: Request) -> Response:
    return await handle(req, _job_stream)


@bp.route(route="jobs/stream", methods=["GET"])
async def stream_my_jobs(req: Request) -> Response:
    return await handle(req, lambda req, caller: _user_stream(req, caller))


@bp.route(route="jobs/user/{user_id}/stream", methods=["GET"])
async def stream_user_jobs(req: Request) -> Response:
    async def impl(req: Request, caller: Caller) -> Response:
        require_same_user(caller, path_user(req))
        return await _user_stream(req, caller)

    return await handle(req, impl)


# --- one job ---------------------------------------------------------------------------------------------


async def _job_stream(req: Request, caller: Caller) -> Response:
    settings = get_settings()
    job_id = path_param(req, "job_id")
    last = _last_seq(req)
    try:
        job = await blocking(job_service().get_job, caller.user_id, job_id)
    except NotFoundError as exc:
        return sse.response(_error_only(exc, settings))
    if last is not None and job.status.is_terminal and job.progress.seq <= last:
        return Response(status_code=204)  # the client has the terminal event: EventSource stops reconnecting
    slot = stream_slots().acquire(caller.user_id, settings)  # 429 when the user has too many open
    return sse.response(held(follow_job(job_service(), job, last, settings), slot))


async def follow_job(service: JobService, job: Job, last: int | None, settings: Settings) -> AsyncIterator[str]:
    """The events of one job's stream, from `job` (as just read) on; `last` is the client's Last-Event-ID."""
    yield sse.retry(settings.stream_retry_ms)
    clock = sse.StreamClock(settings)
    with stream_wakeups().subscribe(job.user_id) as changes:
        while True:
            if last is None or job.progress.seq > last:
                last = job.progress.seq
                yield sse.event("job_update", job.model_dump(mode="json"), last)
                clock.sent()
                if job.status.is_terminal:
                    return
            reread = await _wait(changes, clock, settings.stream_poll_seconds)
            for note in reread.notes:
                yield note
            if reread.expired:
                return
            try:
                job = await blocking(service.get_job, job.user_id, job.job_id)
            except NotFoundError as exc:  # expired (TTL) while watched
                yield _error(exc)
                return
            except Exception:
                logger.exception("job stream %s: reading the job failed", job.job_id)
                yield _error(DomainError("the job could not be read; reconnect to resume"))
                return


# --- the caller's jobs -----------------------------------------------------------------------------------


async def _user_stream(req: Request, caller: Caller) -> Response:
    statuses = parse_statuses(req.query_params.get("status"))
    cursor = _last_cursor(req)
    settings = get_settings()
    slot = stream_slots().acquire(caller.user_id, settings)  # 429 when the user has too many open
    return sse.response(held(follow_user(job_service(), caller.user_id, statuses, cursor, settings), slot))


class _Listed:
    """The jobs a user stream shows, and which of their changes are news."""

    def __init__(self, statuses: list[JobStatus] | None, opened: datetime) -> None:
        self.statuses = statuses
        self.opened = opened
        self.jobs: dict[str, Job] = {}

    def shows(self, job: Job) -> bool:
        if self.statuses:
            return job.status in self.statuses
        return job.status in ACTIVE or job.progress.updated_at > self.opened

    def is_news(self, job: Job, cursor: datetime) -> bool:
        known = self.jobs.get(job.job_id)
        return job.progress.seq > known.progress.seq if known is not None else job.progress.updated_at > cursor

    def apply(self, changed: list[Job], cursor: datetime) -> tuple[bool, bool]:
        """Take the changed jobs in: (what the stream shows changed, a job's status changed: new counts)."""
        news = statuses_moved = False
        for job in changed:
            if not self.is_news(job, cursor):
                continue
            known = self.jobs.get(job.job_id)
            statuses_moved |= known is None or known.status != job.status
            if self.shows(job):
                self.jobs[job.job_id] = job
                news = True
            elif self.jobs.pop(job.job_id, None) is not None:
                news = True
        if len(self.jobs) > LISTED_MAX:  # the oldest ended jobs go first
            ended = sorted((j for j in self.jobs.values() if j.status.is_terminal), key=lambda j: j.progress.updated_at)
            for job in ended[: len(self.jobs) - LISTED_MAX]:
                del self.jobs[job.job_id]
        return news, statuses_moved

    @property
    def running(self) -> bool:
        return any(job.status in ACTIVE for job in self.jobs.values())

    def body(self, counts: dict[str, int]) -> dict[str, object]:
        ordered = sorted(self.jobs.values(), key=lambda j: (j.created_at, j.job_id), reverse=True)
        return JobsUpdate(jobs=ordered, counts=counts).model_dump(mode="json")


async def follow_user(
    service: JobService, user_id: str, statuses: list[JobStatus] | None, cursor: datetime | None, settings: Settings
) -> AsyncIterator[str]:
    """The events of a user's stream; `cursor` is the client's Last-Event-ID (None: a new stream)."""
    yield sse.retry(settings.stream_retry_ms)
    clock = sse.StreamClock(settings)
    resumed = cursor is not None
    cursor = cursor or utcnow()
    listed = _Listed(statuses, opened=cursor)
    with stream_wakeups().subscribe(user_id) as changes:
        try:
            page = await blocking(service.list_user_jobs, user_id, statuses=statuses or ACTIVE, limit=LISTED_MAX)
            # A resumed stream's client already has what changed up to its cursor; what changed after it is news.
            known = [job for job in page.items if not resumed or job.progress.updated_at <= cursor]
            listed.apply(known, datetime.min.replace(tzinfo=cursor.tzinfo))
            counts: dict[str, int] | None = None
            if not resumed:  # a new stream starts with what it shows; a resumed one only with what is newer
                counts = await blocking(service.counts, user_id)
                yield sse.event("jobs_update", listed.body(counts), iso(cursor))
                clock.sent()
            while True:
                changed = await blocking(service.changed_since, user_id, cursor - CLOCK_SKEW, limit=LISTED_MAX)
                newest = max((job.progress.updated_at for job in changed), default=cursor)
                news, statuses_moved = listed.apply(changed, cursor)
                if news:
                    if counts is None or statuses_moved:  # progress alone leaves the counts as they are
                        counts = await blocking(service.counts, user_id)
                    yield sse.event("jobs_update", listed.body(counts), iso(max(newest, cursor)))
                    clock.sent()
                cursor = max(newest, cursor)
                poll = settings.stream_poll_seconds if listed.running else settings.stream_idle_poll_seconds
                reread = await _wait(changes, clock, poll)
                for note in reread.notes:
                    yield note
                if reread.expired:
                    return
        except Exception:
            logger.exception("jobs stream of %s: reading the jobs failed", user_id)
            yield _error(DomainError("the jobs could not be read; reconnect to resume"))


# --- shared by both --------------------------------------------------------------------------------------


class _Waited:
    def __init__(self) -> None:
        self.notes: list[str] = []  # heartbeats and keep-alive comments that fell due while waiting
        self.expired = False


async def _wait(changes: Subscription, clock: sse.StreamClock, poll: float) -> _Waited:
    """Sleep until a change in this process, the next poll, or the stream's end; heartbeats and keep-alive
    comments are collected on the way. Never returns sooner than MIN_READ_INTERVAL after it was called."""
    waited = _Waited()
    started = time.monotonic()
    deadline = started + poll
    while True:
        if clock.expired:
            waited.expired = True
            return waited
        note = clock.due()
        if note is not None:
            waited.notes.append(note)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return waited
        if await changes.wait(min(remaining, clock.wait_at_most(remaining))):
            rest = MIN_READ_INTERVAL - (time.monotonic() - started)
            if rest > 0:
                await asyncio.sleep(rest)
            return waited


def _error(error: DomainError) -> str:
    body = ErrorBody(error=ErrorInfo(code=error.code, message=error.message, details=error.details))
    return sse.event("error", body.model_dump(mode="json"))


async def _error_only(error: DomainError, settings: Settings) -> AsyncIterator[str]:
    yield sse.retry(settings.stream_retry_ms)
    yield _error(error)


def _last_seq(req: Request) -> int | None:
    raw = (req.headers.get("last-event-id") or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() else None  # "²".isdigit(), but int("²") fails


def _last_cursor(req: Request) -> datetime | None:
    raw = (req.headers.get("last-event-id") or "").strip()
    try:
        moment = datetime.fromisoformat(raw) if raw else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None
