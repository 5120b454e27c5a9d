"""Telemetry through in-memory exporters: what the app would send, kept in the test process to read back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.settings import Settings
from shared.telemetry.setup import Exporters, configure_telemetry, reset_telemetry
from shared.telemetry.state import active

SALT = "test-salt"


@dataclass
class Captured:
    spans_out: InMemorySpanExporter = field(default_factory=InMemorySpanExporter)
    logs_out: InMemoryLogRecordExporter = field(default_factory=InMemoryLogRecordExporter)
    reader: InMemoryMetricReader = field(default_factory=InMemoryMetricReader)

    def exporters(self) -> Exporters:
        return Exporters(spans=[self.spans_out], logs=[self.logs_out], metric_readers=[self.reader])

    def spans(self, name_prefix: str = "") -> list[ReadableSpan]:
        return [s for s in self.spans_out.get_finished_spans() if s.name.startswith(name_prefix)]

    def logs(self) -> list[Any]:
        return [record.log_record for record in self.logs_out.get_finished_logs()]

    def points(self, metric: str) -> list[tuple[dict[str, Any], Any]]:
        """(attributes, point) of every data point of `metric` collected now."""
        data = self.reader.get_metrics_data()
        found: list[tuple[dict[str, Any], Any]] = []
        for resource in data.resource_metrics if data is not None else []:
            for scope in resource.scope_metrics:
                for item in scope.metrics:
                    if item.name == metric:
                        found += [(dict(p.attributes or {}), p) for p in item.data.data_points]
        return found

    def total(self, metric: str, where: dict[str, Any] | None = None) -> float:
        """The sum of a counter's points (of a histogram's sums) whose attributes include `where`."""
        wanted = where or {}
        matching = [p for attrs, p in self.points(metric) if all(attrs.get(k) == v for k, v in wanted.items())]
        return sum(p.value if hasattr(p, "value") else p.sum for p in matching)

    def everything(self) -> str:
        """All exported spans (names, attributes, events, links, status) and log records as one text to search."""
        parts = [span.to_json() for span in self.spans_out.get_finished_spans()]
        parts += [record.to_json() for record in self.logs_out.get_finished_logs()]
        data = self.reader.get_metrics_data()
        if data is not None:
            parts.append(data.to_json())
        return "\n".join(parts)


def telemetry_settings(**values: Any) -> Settings:
    return Settings(telemetry_user_salt=SALT, **values)


def capture(settings: Settings) -> Captured:
    """Turn telemetry on for `settings`, into memory (the process's global providers are left alone)."""
    reset_telemetry()
    holder = Captured()
    assert configure_telemetry(settings, exporters=holder.exporters())
    return holder


@pytest.fixture
def captured() -> Iterator[Captured]:
    """Telemetry on, into memory, for one test; off again after it."""
    yield capture(telemetry_settings())
    reset_telemetry()
    assert active() is None


def attributes_of(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def as_json(value: Any) -> str:
    return json.dumps(value, default=str)
