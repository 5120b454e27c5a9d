"""OpenTelemetry for the process, configured once (function_app.py calls `configure_telemetry()` at import, as
Microsoft's guidance for Python Functions has it); off, at no cost, when no destination is set.

Destinations, any together: Application Insights (APPLICATIONINSIGHTS_CONNECTION_STRING, through the Azure Monitor
distro's `configure_azure_monitor`), an OTLP collector (OTEL_EXPORTER_OTLP_ENDPOINT, OTLP/HTTP; OTEL_EXPORTER_OTLP_
HEADERS is read by the exporter) and stdout (TELEMETRY_CONSOLE=true, local debugging only: the Functions host
forwards stdout too). The distro's automatic instrumentations stay off: the host already reports each invocation's
request, and our own spans name the job, the step and the model call; HTTP client spans under them would repeat the
model call (httpx) or flood the trace with every store read (azure_sdk, requests, urllib3).

Exporting runs on the SDK's background threads (batch processors, periodic metric readers): a slow or failing
destination costs the app nothing but the exporter's own log line.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import metrics, trace

from shared.hosting import get_hosting
from shared.llm import events
from shared.settings import Settings
from shared.telemetry.instruments import Instruments
from shared.telemetry.logs import ExceptionTextFilter, NotFromTelemetry
from shared.telemetry.spans import forget_jobs
from shared.telemetry.state import Telemetry, activate, active

log = logging.getLogger(__name__)

SCOPE = "contract-jobs"
DISTRO_INSTRUMENTATIONS: tuple[str, ...] = (
    "azure_sdk",
    "django",
    "fastapi",
    "flask",
    "httpx",
    "httpx2",
    "psycopg2",
    "requests",
    "urllib",
    "urllib3",
)
CONSOLE_METRICS_INTERVAL_MS = 60_000

_lock = threading.Lock()


@dataclass
class Exporters:
    """Exporters of the caller's own (tests: in-memory): spans and logs are exported as they end, synchronously;
    the providers are private to this telemetry (the process's global ones are left alone)."""

    spans: Sequence[Any] = ()
    logs: Sequence[Any] = ()
    metric_readers: Sequence[Any] = ()


@dataclass
class _Pipelines:
    spans: list[Any] = field(default_factory=list)
    logs: list[Any] = field(default_factory=list)
    readers: list[Any] = field(default_factory=list)


def destinations(settings: Settings) -> list[str]:
    """Where telemetry goes with these settings (empty: telemetry is off)."""
    wanted = []
    if settings.applicationinsights_connection_string:
        wanted.append("application_insights")
    if settings.otel_exporter_otlp_endpoint:
        wanted.append("otlp")
    if settings.telemetry_console:
        wanted.append("console")
    return wanted


def configure_telemetry(settings: Settings | None = None, *, exporters: Exporters | None = None) -> bool:
    """Configure telemetry for this process unless it already is; whether it is on. `settings` default to the
    environment's (read here, not through get_settings: the app's settings object is not fixed at import time);
    `exporters` (tests) turn it on whatever the settings say. A failure to configure leaves it off, logged."""
    with _lock:
        if active() is not None:
            return True
        settings = settings if settings is not None else Settings.from_env()
        wanted = destinations(settings)
        if not wanted and exporters is None:
            return False
        try:
            activate(_start(settings, exporters))
        except Exception:
            log.exception("telemetry could not be configured (%s); the app runs without it", ", ".join(wanted))
            return False
    log.info("telemetry on: %s", ", ".join(wanted) or "in-process exporters")
    return True


def reset_telemetry() -> None:
    """Turn telemetry off and release what it holds (tests: each configures its own)."""
    with _lock:
        telemetry = active()
        activate(None)
        forget_jobs()
    if telemetry is not None:
        for close in reversed(telemetry.closers):
            close()


def _start(settings: Settings, exporters: Exporters | None) -> Telemetry:
    from opentelemetry.sdk.resources import Resource

    resource = Resource.create({"service.name": settings.otel_service_name})
    pipelines = _pipelines(settings, exporters)
    closers: list[Any] = []
    if settings.applicationinsights_connection_string and exporters is None:
        tracer_provider, meter_provider = _azure_monitor(settings, resource, pipelines)
    else:
        tracer_provider, meter_provider = _own_providers(resource, pipelines, closers, install=exporters is None)
    instruments = Instruments(meter_provider.get_meter(SCOPE), settings.llm_provider)
    closers.append(events.listen(instruments.on_model_event))
    if settings.telemetry_console and get_hosting().in_azure:
        log.warning("TELEMETRY_CONSOLE is on in Azure: the host forwards stdout, so every item is sent twice")
    return Telemetry(tracer_provider.get_tracer(SCOPE), instruments, settings.telemetry_user_salt, closers)


def _pipelines(settings: Settings, exporters: Exporters | None) -> _Pipelines:
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, SimpleLogRecordProcessor
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    # First of the log processors: the exporters' processors see records without exception messages.
    pipes = _Pipelines(logs=[ExceptionTextFilter()])
    if exporters is not None:
        pipes.spans += [SimpleSpanProcessor(exporter) for exporter in exporters.spans]
        pipes.logs += [SimpleLogRecordProcessor(exporter) for exporter in exporters.logs]
        pipes.readers += list(exporters.metric_readers)
        return pipes
    if settings.otel_exporter_otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

        base = settings.otel_exporter_otlp_endpoint.rstrip("/")  # the base URL: each signal has its own path
        pipes.spans.append(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{base}/v1/traces")))
        pipes.logs.append(BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{base}/v1/logs")))
        pipes.readers.append(PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=f"{base}/v1/metrics")))
    if settings.telemetry_console:
        from opentelemetry.sdk._logs.export import ConsoleLogRecordExporter
        from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, PeriodicExportingMetricReader
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        pipes.spans.append(BatchSpanProcessor(ConsoleSpanExporter()))
        pipes.logs.append(BatchLogRecordProcessor(ConsoleLogRecordExporter()))
        pipes.readers.append(
            PeriodicExportingMetricReader(ConsoleMetricExporter(), export_interval_millis=CONSOLE_METRICS_INTERVAL_MS)
        )
    return pipes


def _azure_monitor(settings: Settings, resource: Any, pipes: _Pipelines) -> tuple[Any, Any]:
    """Application Insights through the distro, with our other destinations as its extra processors and readers.
    If the Python worker configured the distro already (PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY=true), that
    configuration is used and not made twice: our span and log processors join it."""
    from opentelemetry import _logs
    from opentelemetry.sdk.trace import TracerProvider

    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        log.info("telemetry: the process is already configured (by the Python worker?); using its providers")
        for processor in pipes.spans:
            current.add_span_processor(processor)
        logger_provider: Any = _logs.get_logger_provider()
        if hasattr(logger_provider, "add_log_record_processor"):
            for log_processor in pipes.logs:
                logger_provider.add_log_record_processor(log_processor)
        return current, metrics.get_meter_provider()
    from azure.monitor.opentelemetry import configure_azure_monitor

    configure_azure_monitor(
        connection_string=settings.applicationinsights_connection_string,
        resource=resource,
        span_processors=pipes.spans,
        log_record_processors=pipes.logs,
        metric_readers=pipes.readers,
        instrumentation_options={name: {"enabled": False} for name in DISTRO_INSTRUMENTATIONS},
    )
    return trace.get_tracer_provider(), metrics.get_meter_provider()


def _own_providers(resource: Any, pipes: _Pipelines, closers: list[Any], *, install: bool) -> tuple[Any, Any]:
    """Providers of our own (OTLP, console, tests) and the logging handler that feeds the log pipeline. Installed
    as the process's global providers unless they are a test's."""
    from opentelemetry import _logs
    from opentelemetry.sdk._logs import LoggerProvider

    try:  # where the distro's own handler lives now; the SDK's older one before
        from opentelemetry.instrumentation.logging.handler import LoggingHandler
    except ImportError:  # pragma: no cover - older opentelemetry-instrumentation-logging
        from opentelemetry.sdk._logs import LoggingHandler  # type: ignore[assignment]
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider

    tracer_provider = TracerProvider(resource=resource, shutdown_on_exit=install)
    for processor in pipes.spans:
        tracer_provider.add_span_processor(processor)
    meter_provider = MeterProvider(metric_readers=pipes.readers, resource=resource, shutdown_on_exit=install)
    logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=install)
    for log_processor in pipes.logs:
        logger_provider.add_log_record_processor(log_processor)
    handler = LoggingHandler(logger_provider=logger_provider)
    handler.addFilter(NotFromTelemetry())
    root = logging.getLogger()
    root.addHandler(handler)
    if install:
        trace.set_tracer_provider(tracer_provider)
        metrics.set_meter_provider(meter_provider)
        _logs.set_logger_provider(logger_provider)
    else:  # closed in reverse: the handler goes before its providers shut down
        closers += [tracer_provider.shutdown, meter_provider.shutdown, logger_provider.shutdown]
    closers.append(lambda: root.removeHandler(handler))
    return tracer_provider, meter_provider
