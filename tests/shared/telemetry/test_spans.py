"""The spans' shapes: an HTTP request's span by route template, under the host's invocation span or continuing a
client's traceparent; an activity's span in its job's trace wherever it runs, nested under the invocation when the
host already runs it in that trace and linked to it when not; failures by code, never by message."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from opentelemetry.trace import SpanKind, StatusCode, set_span_in_context

from shared.errors import NotFoundError
from shared.jobs.messages import Outcome, StepError
from shared.telemetry import activity_span, caller_seen, http_span
from shared.telemetry.attributes import user_hash
from shared.telemetry.spans import _route, traceparent
from shared.telemetry.state import active
from tests.shared.telemetry.conftest import SALT, Captured, attributes_of

CLIENT_TRACE = "0af7651916cd43dd8448eb211c80319c"
CLIENT_PARENT = "b7ad6b7169203331"


def request(method: str, path: str, params: dict[str, str] | None = None, **headers: str) -> Any:
    return SimpleNamespace(method=method, headers=headers, path_params=params or {}, url=SimpleNamespace(path=path))


def job(traceparent: str | None, job_type: str = "comparison") -> Any:
    return SimpleNamespace(traceparent=traceparent, job_type=job_type)


def test_routes_are_templates_not_one_name_per_id() -> None:
    assert _route("/api/jobs/job_1/status", {"job_id": "job_1"}) == "/api/jobs/{job_id}/status"
    assert _route("/api/jobs/user/alice", {"user_id": "alice"}) == "/api/jobs/user/{user_id}"
    assert _route("/api/folders/a/b", {"path": "a/b"}) == "/api/folders/{path}"
    assert _route("/api/jobs", {}) == "/api/jobs"


async def test_a_request_alone_is_a_server_span_continuing_the_clients_trace(captured: Captured) -> None:
    sent = request(
        "GET", "/api/jobs/job_9/status", {"job_id": "job_9"}, traceparent=f"00-{CLIENT_TRACE}-{CLIENT_PARENT}-01"
    )
    with http_span(sent) as span:
        caller_seen("alice")
        span.answered(200)

    (server,) = captured.spans()
    assert (server.name, server.kind) == ("GET /api/jobs/{job_id}/status", SpanKind.SERVER)
    assert f"{server.context.trace_id:032x}" == CLIENT_TRACE
    assert server.parent is not None and f"{server.parent.span_id:016x}" == CLIENT_PARENT
    assert attributes_of(server) == {
        "http.request.method": "GET",
        "http.route": "/api/jobs/{job_id}/status",
        "http.response.status_code": 200,
        "job.id": "job_9",
        "user.hash": user_hash("alice", SALT),
    }


async def test_under_the_hosts_invocation_span_a_request_is_its_child_and_5xx_is_an_error(
    captured: Captured,
) -> None:
    telemetry = active()
    assert telemetry is not None
    with telemetry.tracer.start_as_current_span("invocation", kind=SpanKind.SERVER) as host:
        with http_span(request("POST", "/api/contracts")) as span:
            span.answered(503)

    (child,) = captured.spans("POST")
    assert child.kind is SpanKind.INTERNAL  # the host's span is the request; ours does not count it twice
    assert child.parent is not None and child.parent.span_id == host.get_span_context().span_id
    assert child.status.status_code is StatusCode.ERROR
    assert attributes_of(child)["error.type"] == "503"


def test_a_step_joins_its_jobs_trace_and_links_the_invocation_it_ran_in(captured: Captured) -> None:
    telemetry = active()
    assert telemetry is not None
    submit = telemetry.tracer.start_span("POST /api/jobs/comparison")
    submit.end()
    stored = traceparent(submit.get_span_context())
    with telemetry.tracer.start_as_current_span("invocation of another trace") as invocation:
        with activity_span("comparison_retrieve", "retrieving_data", "job-1", "alice", lambda: job(stored)) as span:
            span.finished(Outcome())

    (step,) = captured.spans("activity ")
    assert step.name == "activity comparison_retrieve"
    assert step.context.trace_id == submit.get_span_context().trace_id
    assert step.parent is not None and step.parent.span_id == submit.get_span_context().span_id
    assert [link.context.span_id for link in step.links] == [invocation.get_span_context().span_id]
    assert attributes_of(step) == {
        "job.id": "job-1",
        "job.type": "comparison",
        "job.step": "retrieving_data",
        "user.hash": user_hash("alice", SALT),
        "durable.activity": "comparison_retrieve",
        "job.step.outcome": "ok",
    }


def test_a_step_the_host_runs_in_its_jobs_trace_nests_under_the_invocation(captured: Captured) -> None:
    telemetry = active()
    assert telemetry is not None
    submit = telemetry.tracer.start_span("submit")
    submit.end()
    with (
        telemetry.tracer.start_as_current_span("activity:comparison_save", context=set_span_in_context(submit)) as host,
        activity_span("comparison_save", "saving_results", "job-2", "bob", lambda: job(traceparent(submit.context))),
    ):
        pass

    (step,) = captured.spans("activity comparison_save")
    assert step.parent is not None and step.parent.span_id == host.get_span_context().span_id
    assert step.links == ()


def test_failures_are_recorded_by_code_and_outcome_never_by_message(captured: Captured) -> None:
    secret = "the Quokka Orchard clause"
    with activity_span("query_answer_part", "calling_llm", "job-3", "carol", lambda: job(None, "query")) as span:
        span.finished(Outcome(status="retry", error=StepError(step="calling_llm", message=secret, type="llm_busy")))
    with (
        pytest.raises(NotFoundError),
        activity_span("query_save", "saving_results", "job-3", "carol", lambda: job(None, "query")),
    ):
        raise NotFoundError(f"no answer for {secret}")

    retried, raised = captured.spans("activity ")
    assert attributes_of(retried)["job.step.outcome"] == "retry"
    assert attributes_of(retried)["job.step.error"] == "llm_busy"
    assert attributes_of(raised)["job.step.outcome"] == "raised"
    assert attributes_of(raised)["job.step.error"] == "not_found"
    assert raised.status.status_code is StatusCode.ERROR and not raised.status.description
    assert raised.events == ()  # no exception event: its message could quote anything
    assert secret not in captured.everything()


def test_a_job_that_cannot_be_read_still_gets_its_step_span(captured: Captured) -> None:
    def missing() -> Any:
        raise NotFoundError("no job")

    with activity_span("job_start", "start", "job-gone", "dave", missing):
        pass
    (step,) = captured.spans()
    assert step.parent is None and attributes_of(step)["job.id"] == "job-gone"
