"""Python logging as OpenTelemetry log records: every record of the process (at the level its logger lets through:
INFO under the Functions worker and devhost), with its `extra` fields as attributes and the current span's trace, so
a step's log lines sit in its job's trace.

An exception's message can quote what failed to parse (a model's answer, a document's line): log records keep the
exception's type and stack frames and drop its messages (`ExceptionTextFilter`), so no text of a contract, prompt or
answer reaches telemetry through a traceback.
"""

from __future__ import annotations

import builtins
import logging
import re

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk._logs import LogRecordProcessor, ReadWriteLogRecord

EXCEPTION_MESSAGE = "exception.message"
EXCEPTION_STACKTRACE = "exception.stacktrace"
_SUMMARY = re.compile(r"^([A-Za-z_][\w.]*)(:.*)?$")  # "pkg.ValueError: message" -> "pkg.ValueError"
_KEPT = ("Traceback (most recent call last):", "During handling of", "The above exception was")


def frames_only(stacktrace: str) -> str:
    """A formatted traceback with its frames (file, line, source) and each exception's type, without messages."""
    kept: list[str] = []
    source_next = False
    for line in stacktrace.splitlines():
        if line.startswith('  File "'):
            kept.append(line)
            source_next = True
            continue
        if source_next and line.startswith("    "):
            kept.append(line)  # the frame's source line: code, not data
            continue
        source_next = False
        if line.startswith(_KEPT):
            kept.append(line)
            continue
        name = _exception_type(line)
        if name:
            kept.append(name)
    return "\n".join(kept)


def _exception_type(line: str) -> str | None:
    """The type of a traceback's summary line ("shared.llm.errors.LLMOutputInvalid: ..." or "ValueError: ..."): a
    module-qualified name or a built-in exception; any other line is a message's continuation."""
    summary = _SUMMARY.match(line)
    if summary is None:
        return None
    name = summary.group(1)
    builtin = getattr(builtins, name, None)
    if "." in name or (isinstance(builtin, type) and issubclass(builtin, BaseException)):
        return name
    return None


class ExceptionTextFilter(LogRecordProcessor):
    """Runs before the exporters' processors and rewrites a record's exception attributes in place."""

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        record = log_record.log_record
        attributes = dict(record.attributes or {})
        if EXCEPTION_MESSAGE not in attributes and EXCEPTION_STACKTRACE not in attributes:
            return
        attributes.pop(EXCEPTION_MESSAGE, None)
        stacktrace = attributes.get(EXCEPTION_STACKTRACE)
        if isinstance(stacktrace, str):
            attributes[EXCEPTION_STACKTRACE] = frames_only(stacktrace)
        record.attributes = BoundedAttributes(attributes=attributes, immutable=False, extended_attributes=True)

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


class NotFromTelemetry(logging.Filter):
    """The exporters' own complaints (an unreachable collector) stay in the console: sent as telemetry they would
    fail again, and feed themselves."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.name.startswith(("opentelemetry", "azure.monitor.opentelemetry"))
