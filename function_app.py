"""The function app: wiring only. Each feature module owns one Blueprint; this file registers them.

Every HTTP function is anonymous at the Functions level: identity comes from App Service Authentication
(EasyAuth) in front of the app, read by shared/identity.py.
"""

import logging

import azure.durable_functions as df
import azure.functions as func

from activities.batches import bp as batch_activities_bp
from activities.comparison import bp as comparison_activities_bp
from activities.jobs import bp as job_activities_bp
from activities.query import bp as query_activities_bp
from api.batches import bp as batches_bp
from api.contracts import bp as contracts_bp
from api.documents import bp as documents_bp
from api.health import bp as health_bp
from api.job_actions import bp as job_actions_bp
from api.job_status import bp as job_status_bp
from api.jobs import bp as jobs_bp
from api.legacy import bp as legacy_bp
from api.openapi import bp as openapi_bp
from api.ops import bp as ops_bp
from api.queue_starter import bp as queue_starter_bp
from api.results import bp as results_bp
from api.streams import bp as streams_bp
from api.ui import bp as ui_bp
from orchestrators.batch_evaluation import bp as batch_evaluation_orchestrator_bp
from orchestrators.batch_staging import bp as batch_staging_orchestrator_bp
from orchestrators.comparison import bp as comparison_orchestrator_bp
from orchestrators.query import bp as query_orchestrator_bp
from shared.telemetry import configure_telemetry

# OpenTelemetry, once per process and before any function runs (off unless APPLICATIONINSIGHTS_CONNECTION_STRING,
# OTEL_EXPORTER_OTLP_ENDPOINT or TELEMETRY_CONSOLE is set): shared/telemetry/setup.py.
configure_telemetry()

# The Azure SDKs log every HTTP request and response header at INFO; the worker forwards Python logs regardless of
# logger name, so without this every Cosmos read and queue poll floods the console and Application Insights.
logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)
# bm25s (the offline analyzer's ranking) logs a DEBUG line per index it builds, one per batch record evaluated offline,
# each formatted and sent to the host for nothing (11 % of a batch run's CPU). It sets its logger to DEBUG when it is
# first imported, after this runs, so a filter (which that keeps) drops them rather than a level.
logging.getLogger("bm25s").addFilter(lambda record: record.levelno >= logging.WARNING)

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

for blueprint in (
    # HTTP and queue starters
    contracts_bp,
    documents_bp,
    batches_bp,
    health_bp,
    jobs_bp,
    job_status_bp,
    job_actions_bp,
    streams_bp,
    results_bp,
    legacy_bp,
    queue_starter_bp,
    ui_bp,  # the web page at /api/ui
    openapi_bp,  # the API's OpenAPI description at /api/openapi.json
    ops_bp,  # the operator's summary (app role `ops`) and the caller's roles
    # Durable workflows and their steps
    comparison_orchestrator_bp,
    query_orchestrator_bp,
    batch_staging_orchestrator_bp,
    batch_evaluation_orchestrator_bp,
    job_activities_bp,
    comparison_activities_bp,
    query_activities_bp,
    batch_activities_bp,
):
    app.register_functions(blueprint)
