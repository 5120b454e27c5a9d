"""The app's spans: one per HTTP request, per activity and per model call, and how a job's spans become one trace.

A job's trace: the submit request's span is current while the job service creates the job, which stores that
span's W3C `traceparent` on the job document (`job_submitted`). Orchestrators replay, so they emit nothing; every
activity's span (`activity_span`) takes the job's stored traceparent as its parent, so the job's steps and their
model calls (`model_call_span`, children of the step) join the request's trace from submit to saved result, in any
worker, across restarts, batch chunks and sub-orchestrations alike. In Azure, with Durable's distributed tracing on,
the worker already runs the activity inside that trace (the host's `activity:` span): the step nests under it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanContext, SpanKind, Status, StatusCode, get_current_span
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue

from shared.telemetry import attributes as a
from shared.telemetry.state import active

_W3C = TraceContextTextMapPropagator()
_job: ContextVar[Mapping[str, AttributeValue] | None] = ContextVar("telemetry_job", default=None)
"""The job an activity works for: stamped on the spans started inside it (its model calls)."""


class RequestLike(Protocol):
    @property
    def method(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def path_params(self) -> Mapping[str, Any]: ...
    @property
    def url(self) -> Any: ...


# --- HTTP requests ----------------------------------------------------------------------------------------------


class HttpSpan:
    def __init__(self, span: Span | None = None) -> None:
        self._span = span

    def answered(self, status: int) -> None:
        if self._span is None:
            return
        self._span.set_attribute(a.HTTP_STATUS, status)
        if status >= 500:
            self._span.set_attribute(a.ERROR_TYPE, str(status))
            self._span.set_status(Status(StatusCode.ERROR))


@contextmanager
def http_span(req: RequestLike) -> Iterator[HttpSpan]:
    """The span of one HTTP request, named by method and route template. Under the Functions host the invocation
    already has a request span (the worker makes it current): ours is its child. Run alone (devhost) it is the
    request's server span, continuing a client's `traceparent` if one was sent. No query string (it may carry a
    function key) and no path (it may name a user): the route and the ids an attribute names."""
    telemetry = active()
    if telemetry is None:
        yield HttpSpan()
        return
    params = dict(req.path_params or {})
    route = _route(str(req.url.path), params)
    hosted = get_current_span().get_span_context().is_valid
    attributes: dict[str, AttributeValue] = {a.HTTP_METHOD: req.method, a.HTTP_ROUTE: route}
    if isinstance(params.get("job_id"), str):
        attributes[a.JOB_ID] = params["job_id"]
    with telemetry.tracer.start_as_current_span(
        f"{req.method} {route}",
        context=None if hosted else _W3C.extract(req.headers),
        kind=SpanKind.INTERNAL if hosted else SpanKind.SERVER,
        attributes=attributes,
        record_exception=False,
    ) as span:
        yield HttpSpan(span)


def _route(path: str, params: Mapping[str, Any]) -> str:
    """The route template back from a path and its parameters: /api/jobs/{job_id}/status, not one name per job."""
    for name, value in params.items():
        if isinstance(value, str) and value:
            path = path.replace(f"/{value}", f"/{{{name}}}", 1)
    return path


def caller_seen(user_id: str) -> None:
    """The request's caller is known: the current span says who, as user.hash."""
    telemetry = active()
    if telemetry is not None:
        get_current_span().set_attribute(a.USER_HASH, telemetry.user_hash(user_id))


def job_submitted(job_id: str, job_type: str, user_id: str) -> str | None:
    """A job is being created: the current span (the submit request's) names it, and its traceparent is what the
    job's steps will join. Created outside any span (a queue message run by devhost, a script), the job gets a
    span of its own to root its trace. None while telemetry is off."""
    telemetry = active()
    if telemetry is None:
        return None
    attributes = {a.JOB_ID: job_id, a.JOB_TYPE: job_type, a.USER_HASH: telemetry.user_hash(user_id)}
    span = get_current_span()
    if span.get_span_context().is_valid:
        span.set_attributes(attributes)
    else:
        span = telemetry.tracer.start_span(f"job {job_type} submitted", attributes=attributes)
        span.end()
    return traceparent(span.get_span_context())


def traceparent(context: SpanContext) -> str:
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


# --- activities -------------------------------------------------------------------------------------------------


class ActivitySpan:
    def __init__(self, span: Span | None = None) -> None:
        self._span = span

    def finished(self, result: object) -> None:
        """The step's outcome (ok, skipped, wait, retry, error) and, for a failure, its error's code; the job's
        status when the step reports it (start, finalize)."""
        if self._span is None:
            return
        job_status = getattr(result, "job_status", None)
        if job_status is not None:
            self._span.set_attribute(a.JOB_STATUS, str(job_status))
        status = getattr(result, "status", "ok")
        self._span.set_attribute(a.STEP_OUTCOME, status if isinstance(status, str) else "ok")
        error = getattr(result, "error", None)
        if error is not None and isinstance(getattr(error, "type", None), str):
            self._span.set_attribute(a.STEP_ERROR, error.type)
        if status == "error":
            self._span.set_status(Status(StatusCode.ERROR))


@contextmanager
def activity_span(
    activity: str, step: str, job_id: str, user_id: str, read_job: Callable[[], object]
) -> Iterator[ActivitySpan]:
    """The span of one activity run, in its job's trace. `read_job` gives the job document (its traceparent and
    type), read once per job and process; a job that cannot be read gets a span of its own trace."""
    telemetry = active()
    if telemetry is None:
        yield ActivitySpan()
        return
    stored, job_type = _job_trace(job_id, read_job)
    parent, links = _parent(stored)
    job: dict[str, AttributeValue] = {a.JOB_ID: job_id, a.JOB_TYPE: job_type, a.USER_HASH: telemetry.user_hash(user_id)}
    job[a.JOB_STEP] = str(step)  # a ProcessingStep is a str subclass; exporters want the plain value
    token = _job.set(job)
    try:
        with telemetry.tracer.start_as_current_span(
            f"activity {activity}",
            context=parent,
            links=links,
            attributes={**job, a.ACTIVITY: activity},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                yield ActivitySpan(span)
            except BaseException as exc:
                # Durable retries it by its policy; the span keeps the error's code, never its message.
                span.set_attributes({a.STEP_OUTCOME: "raised", a.STEP_ERROR: a.error_code(exc)})
                span.set_status(Status(StatusCode.ERROR))
                raise
    finally:
        _job.reset(token)


def _parent(stored: str | None) -> tuple[Context | None, list[Link]]:
    """The parent of a step's span: the job's stored span; or the current one (the host's invocation) when that is
    already in the job's trace. A current span of another trace is linked, so the two can be found from each other."""
    current = get_current_span().get_span_context()
    if not stored:
        return None, []
    remote = _W3C.extract({"traceparent": stored})
    job_trace = get_current_span(remote).get_span_context()
    if not job_trace.is_valid or (current.is_valid and current.trace_id == job_trace.trace_id):
        return None, []
    return remote, [Link(current)] if current.is_valid else []


_traces: OrderedDict[str, tuple[str | None, str]] = OrderedDict()
_traces_lock = threading.Lock()
MAX_REMEMBERED_JOBS = 4096


def _job_trace(job_id: str, read_job: Callable[[], object]) -> tuple[str | None, str]:
    """(traceparent, job type) of a job: neither changes, so each process reads them once per job."""
    with _traces_lock:
        known = _traces.get(job_id)
    if known is not None:
        return known
    try:
        job = read_job()
    except Exception:  # the step itself reports a missing job; its span just starts a trace of its own
        return None, ""
    found = (getattr(job, "traceparent", None), str(getattr(job, "job_type", "")))
    with _traces_lock:
        _traces[job_id] = found
        while len(_traces) > MAX_REMEMBERED_JOBS:
            _traces.popitem(last=False)
    return found


def forget_jobs() -> None:
    """Tests: drop the remembered job traces."""
    with _traces_lock:
        _traces.clear()


# --- model calls ------------------------------------------------------------------------------------------------


class ModelCallSpan:
    def __init__(self, span: Span | None = None) -> None:
        self._span = span

    def end(self, outcome: str, status: int | None, prompt_tokens: int, completion_tokens: int, job_id: str | None):
        """The attempt's end: answered (with the server's token counts) or refused (429 throttled, or failed)."""
        if self._span is None:
            return
        attributes: dict[str, AttributeValue] = {a.LLM_OUTCOME: outcome}
        if outcome == "answered":  # a refused request used no tokens (Azure charges a 429 nothing)
            attributes |= {a.GENAI_INPUT_TOKENS: prompt_tokens, a.GENAI_OUTPUT_TOKENS: completion_tokens}
        if status is not None:
            attributes[a.HTTP_STATUS] = status
        if job_id and _job.get() is None:
            attributes[a.JOB_ID] = job_id
        if outcome != "answered":
            attributes[a.ERROR_TYPE] = str(status) if status is not None else "connection"
            self._span.set_status(Status(StatusCode.ERROR))
        self._span.set_attributes(attributes)
        self._span.end()


def model_call_span(model: str, selection: str, max_tokens: int, attempt: int, queue_wait_s: float) -> ModelCallSpan:
    """A span for one request to a model deployment (GenAI conventions: `chat {model}`, a client span), a child
    of the step that makes it, carrying its job. Started after the call's quota was granted."""
    telemetry = active()
    if telemetry is None:
        return ModelCallSpan()
    provider = telemetry.instruments.provider
    attributes: dict[str, AttributeValue] = {
        **(_job.get() or {}),
        a.GENAI_OPERATION: "chat",
        a.GENAI_PROVIDER: provider,
        a.GENAI_SYSTEM: provider,
        a.GENAI_MODEL: model,
        a.GENAI_MAX_TOKENS: max_tokens,
        a.LLM_SELECTION: selection,
        a.LLM_ATTEMPT: attempt,
        a.LLM_QUEUE_WAIT: queue_wait_s,
    }
    return ModelCallSpan(telemetry.tracer.start_span(f"chat {model}", kind=SpanKind.CLIENT, attributes=attributes))
