"""Configuring telemetry: off (nothing configured, nothing recorded) without a destination; once per process;
Application Insights through the Azure Monitor distro; an OTLP collector and stdout, each in a process of its own
(the process's global providers can be set only once)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace

from shared.jobs.models import JobStatus, JobType
from shared.jobs.service import JobService
from shared.llm import events
from shared.query.request import QueryJobRequest
from shared.settings import Settings
from shared.storage.base import Repositories
from shared.telemetry import configure_telemetry, http_span, job_submitted, model_call_span
from shared.telemetry.logs import ExceptionTextFilter
from shared.telemetry.setup import DISTRO_INSTRUMENTATIONS, Exporters, destinations, reset_telemetry
from shared.telemetry.state import active
from tests.shared.telemetry.conftest import Captured
from tests.support.app_env import repos, settings

__all__ = ["repos", "settings"]

REPO = Path(__file__).resolve().parents[3]
CONNECTION_STRING = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/"


@pytest.fixture(autouse=True)
def off() -> Iterator[None]:
    reset_telemetry()
    yield
    reset_telemetry()


def test_without_a_destination_nothing_is_configured_and_nothing_recorded(repos: Repositories) -> None:
    handlers = list(logging.getLogger().handlers)
    listeners = list(events._listeners)
    provider = trace.get_tracer_provider()

    assert destinations(Settings()) == []
    assert configure_telemetry(Settings()) is False

    assert active() is None
    assert logging.getLogger().handlers == handlers and events._listeners == listeners
    assert trace.get_tracer_provider() is provider  # the global providers were not touched
    assert job_submitted("job-1", "query", "alice") is None
    job = JobService(repos.jobs).create_job("alice", JobType.QUERY, QueryJobRequest(question="q", contract_ids=["c"]))
    assert job.traceparent is None
    model_call_span("gpt-4o", "primary", 100, 1, 0.0).end("answered", None, 1, 1, "job-1")  # a no-op


async def test_http_span_is_a_no_op_while_off() -> None:
    class Request:
        method = "GET"
        headers: dict[str, str] = {}
        path_params: dict[str, str] = {}
        url = type("Url", (), {"path": "/api/jobs"})()

    with http_span(Request()) as span:
        span.answered(200)
    assert not trace.get_current_span().get_span_context().is_valid


def test_destinations_follow_the_settings() -> None:
    every = Settings(
        applicationinsights_connection_string=CONNECTION_STRING,
        otel_exporter_otlp_endpoint="http://127.0.0.1:4318",
        telemetry_console=True,
    )
    assert destinations(every) == ["application_insights", "otlp", "console"]
    assert destinations(Settings(otel_exporter_otlp_endpoint="http://collector:4318")) == ["otlp"]


def test_configured_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    first = Captured()
    assert configure_telemetry(Settings(), exporters=first.exporters())
    configured = active()

    def never(**_: Any) -> None:
        raise AssertionError("configured twice")

    monkeypatch.setattr("azure.monitor.opentelemetry.configure_azure_monitor", never)
    assert configure_telemetry(Settings(applicationinsights_connection_string=CONNECTION_STRING))
    assert configure_telemetry(Settings(), exporters=Exporters())
    assert active() is configured


def test_application_insights_goes_through_the_distro_with_its_instrumentations_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("azure.monitor.opentelemetry.configure_azure_monitor", lambda **kw: calls.append(kw))
    settings = Settings(applicationinsights_connection_string=CONNECTION_STRING, otel_service_name="jobs-test")

    assert configure_telemetry(settings)
    assert configure_telemetry(settings)

    (call,) = calls
    assert call["connection_string"] == CONNECTION_STRING
    assert call["resource"].attributes["service.name"] == "jobs-test"
    assert call["instrumentation_options"] == {name: {"enabled": False} for name in DISTRO_INSTRUMENTATIONS}
    assert {"azure_sdk", "httpx", "requests", "fastapi"} <= set(DISTRO_INSTRUMENTATIONS)
    assert isinstance(call["log_record_processors"][0], ExceptionTextFilter)
    assert call["span_processors"] == [] and call["metric_readers"] == []  # no OTLP, no console


class Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        Collector.received.append((self.path, body))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


SCRIPT = """
import logging
from shared.telemetry import configure_telemetry, job_submitted
from shared.telemetry.state import active

logging.basicConfig(level=logging.INFO)
assert configure_telemetry()  # from the environment, as function_app.py does
job_submitted("job-otel-1", "comparison", "someone@example.com")
logging.getLogger("contractjobs.jobs").info("a line for the collector", extra={"job.id": "job-otel-1"})
telemetry = active()
telemetry.instruments.jobs_started.add(1, {"job.type": "comparison"})
# providers shut down at exit and export what they hold
"""


def run_app_process(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "APPLICATIONINSIGHTS", "TELEMETRY"))}
    env |= {"PYTHONPATH": str(REPO), **environment}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_an_otlp_endpoint_gets_traces_metrics_and_logs() -> None:
    Collector.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        done = run_app_process({"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_SERVICE_NAME": "contract-jobs-otlp"})
    finally:
        server.shutdown()
    assert done.returncode == 0, done.stderr
    by_path: dict[str, bytes] = {}
    for path, body in Collector.received:
        by_path[path] = by_path.get(path, b"") + body
    assert set(by_path) == {"/v1/traces", "/v1/logs", "/v1/metrics"}
    assert b"job comparison submitted" in by_path["/v1/traces"] and b"job-otel-1" in by_path["/v1/traces"]
    assert b"a line for the collector" in by_path["/v1/logs"]
    assert b"contractjobs.jobs.started" in by_path["/v1/metrics"]
    assert b"contract-jobs-otlp" in by_path["/v1/traces"]  # OTEL_SERVICE_NAME names the service
    everything = b"".join(by_path.values())
    assert b"someone@example.com" not in everything


def test_the_console_exporter_prints_spans_logs_and_metrics() -> None:
    done = run_app_process({"TELEMETRY_CONSOLE": "true"})
    assert done.returncode == 0, done.stderr
    spans = [line for line in done.stdout.splitlines() if '"name": "job comparison submitted"' in line]
    assert spans, done.stdout[:2000]
    assert "a line for the collector" in done.stdout
    assert "contractjobs.jobs.started" in done.stdout
    assert "someone@example.com" not in done.stdout + done.stderr


def test_the_job_document_keeps_the_submit_request_trace(repos: Repositories, captured: Captured) -> None:
    service = JobService(repos.jobs)
    request = QueryJobRequest(question="q", contract_ids=["c"])
    job = service.create_job("alice", JobType.QUERY, request)  # no request span: the job gets a root of its own

    (root,) = captured.spans("job query submitted")
    assert job.traceparent is not None
    version, trace_id, span_id, flags = job.traceparent.split("-")  # W3C: 00-<trace>-<parent span>-<flags>
    assert (version, trace_id, span_id) == ("00", f"{root.context.trace_id:032x}", f"{root.context.span_id:016x}")
    assert int(flags, 16) & 1  # sampled
    assert service.get_job("alice", job.job_id).traceparent == job.traceparent
    assert json.loads(root.to_json())["attributes"]["job.id"] == job.job_id
    assert service.update_status("alice", job.job_id, JobStatus.PROCESSING).traceparent == job.traceparent
