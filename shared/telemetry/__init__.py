"""OpenTelemetry traces, metrics and logs of the app (Application Insights, OTLP or stdout), configured once per
process by function_app.py and a no-op while off.

Instrumentation points call one of these, one line each:

- api/http.py: `http_span(req)` around every request, `caller_seen(user_id)` once the caller is known;
- shared/jobs/service.py: `job_submitted(...)` (the traceparent a job's steps join) and `job_changed(before, after)`
  (jobs metrics and the lifecycle log lines);
- activities/support.py and activities/jobs.py: `activity_span(...)` around every activity;
- shared/llm/attempts.py: `model_call_span(...)` for every request to a model (its metrics come from
  shared/llm/events.py's observer hook);
- shared/llm/quota.py: `queue_length(...)`; shared/batches/running.py: `batch_finished(...)`.
"""

from shared.telemetry.jobs import job_changed
from shared.telemetry.metrics import batch_finished, queue_length
from shared.telemetry.setup import configure_telemetry
from shared.telemetry.spans import activity_span, caller_seen, http_span, job_submitted, model_call_span

__all__ = [
    "activity_span",
    "batch_finished",
    "caller_seen",
    "configure_telemetry",
    "http_span",
    "job_changed",
    "job_submitted",
    "model_call_span",
    "queue_length",
]
