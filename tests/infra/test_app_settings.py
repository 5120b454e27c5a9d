"""Every setting the app reads (shared/settings.py) is either set by the Bicep's app settings, set by the platform,
or has a default that is right in Azure (listed below with the reason); every app setting the Bicep sets is read by
the app or by the host or a library it names; none of them is a key, password or connection string with a secret.
The Bicep's settings are read from infra/modules/function-app.bicep and the `appSettings` main.bicep passes it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic import AliasChoices

from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
FUNCTION_APP = ROOT / "infra" / "modules" / "function-app.bicep"
MAIN = ROOT / "infra" / "main.bicep"
SAMPLE = ROOT / "local.settings.sample.json"

# Set by App Service itself in Azure; read by shared/hosting.py, never by shared/settings.py (no app setting
# may decide where the app runs or whether principal headers are trusted).
PLATFORM = {"WEBSITE_SITE_NAME", "WEBSITE_INSTANCE_ID", "WEBSITE_AUTH_ENABLED"}

# Read by the app, left unset in Azure on purpose: the default (or unset) is the right value there.
DEFAULT_IN_AZURE = {
    "DEV_USER_ID": "local hosts only; ignored wherever a WEBSITE_* platform variable is set (Azure)",
    "DEV_OPS": "local hosts only; in Azure the ops role comes from Entra ID",
    "COSMOS_KEY": "keyless: unset means Entra ID (Cosmos DB local auth is disabled)",
    "COSMOS_VERIFY_TLS": "true: only local test servers turn it off",
    "DATA_DIR": "the embedded SQLite store, unused when COSMOS_ENDPOINT is set",
    "AzureWebJobsStorage": "keyless: identity-based AzureWebJobsStorage__* settings instead of a connection string",
    "AzureWebJobsStorage__accountName": "the Bicep sets the service URIs (right in every cloud) instead",
    "DOCUMENTS_STORAGE": "documents live in the app's own account (AzureWebJobsStorage)",
    "DOCUMENTS_STORAGE__accountName": "as DOCUMENTS_STORAGE",
    "DOCUMENTS_STORAGE__blobServiceUri": "as DOCUMENTS_STORAGE",
    "DOCUMENTS_STORAGE__credential": "as DOCUMENTS_STORAGE",
    "DOCUMENTS_STORAGE__clientId": "as DOCUMENTS_STORAGE",
    "JOB_EVENTS_QUEUE": "job-events",
    "AZURE_OPENAI_API_KEY": "keyless: unset means an Entra ID token (the account's local auth is disabled)",
    "AZURE_OPENAI_API_VERSION": "the app's tested API version",
    "AZURE_OPENAI_DEPLOYMENT_SECONDARY": "unset: the primary deployment serves both selections",
    "AZURE_OPENAI_BATCH_DEPLOYMENT_PRIMARY": "unset: economy runs use the standard deployment",
    "AZURE_OPENAI_BATCH_DEPLOYMENT_SECONDARY": "as the primary",
    "OPENAI_BASE_URL": "LLM_PROVIDER=openai only",
    "OPENAI_API_KEY": "LLM_PROVIDER=openai only",
    "OPENAI_MODEL_PRIMARY": "LLM_PROVIDER=openai only",
    "OPENAI_MODEL_SECONDARY": "LLM_PROVIDER=openai only",
    "LLM_CONTEXT_TOKENS_PRIMARY": "128,000: gpt-4o's context",
    "LLM_CONTEXT_TOKENS_SECONDARY": "as the primary",
    "LLM_MAX_OUTPUT_TOKENS": "the app's tuned default",
    "LLM_TIMEOUT_SECONDS": "the app's tuned default",
    "LLM_MAX_RETRIES": "the app's tuned default",
    "LLM_TOKENS_PER_MINUTE_PRIMARY": "unset: learned from the deployment's x-ratelimit-* headers",
    "LLM_TOKENS_PER_MINUTE_SECONDARY": "as the primary",
    "LLM_REQUESTS_PER_MINUTE_PRIMARY": "as the tokens",
    "LLM_REQUESTS_PER_MINUTE_SECONDARY": "as the tokens",
    "LLM_SCHEDULER": "on",
    "QUERY_BATCH_TOKEN_THRESHOLD": "the app's tuned default",
    "MAX_REQUEST_BYTES": "the app's limit",
    "MAX_CONTRACT_BYTES": "the app's limit",
    "PUBLIC_BASE_URL": "unset: URLs are built from the request (the app's own host name)",
    "BATCH_SYNC_WAIT_SECONDS": "below Azure's 230 s HTTP limit",
    "BATCH_STAGE_CHUNK": "the app's tuned default",
    "BATCH_RUN_CHUNK": "the app's tuned default",
    "BATCH_API_POLL_SECONDS": "60: Azure's minimum sensible poll",
    "BATCH_API_MAX_REQUESTS": "the app's tuned default",
    "LLM_PRICE_PER_1K_PROMPT_TOKENS_PRIMARY": "gpt-4o list price (the deployed model)",
    "LLM_PRICE_PER_1K_COMPLETION_TOKENS_PRIMARY": "gpt-4o list price",
    "LLM_PRICE_PER_1K_PROMPT_TOKENS_SECONDARY": "gpt-4o-mini list price",
    "LLM_PRICE_PER_1K_COMPLETION_TOKENS_SECONDARY": "gpt-4o-mini list price",
    "MAX_ACTIVE_JOBS_PER_USER": "the app's per-user limit (README: Security)",
    "MAX_STREAMS_PER_USER": "the app's per-user limit, per worker instance",
    "MAX_RECORDS_PER_BATCH": "the app's per-batch limit",
    "MAX_DOCUMENTS_PER_FOLDER": "the app's per-folder limit",
    "MAX_EXTRACTED_CHARS": "the app's reading limit (README: Security)",
    "MAX_PDF_PAGES": "the app's reading limit",
    "MAX_DOCX_UNZIPPED_MB": "the app's reading limit",
    "EXTRACTION_TIMEOUT_SECONDS": "the app's reading limit, well below the Functions timeout",
    "EXTRACTION_MEMORY_MB": "the app's reading limit, sized for a Flex Consumption instance's memory",
    "EXTRACTION_WORKERS": "two reader processes per worker, sized for a Flex Consumption instance",
    "LLM_FAIR_SHARE": "on: the quota is shared fairly among users",
    "LLM_FAIR_SHARE_WEIGHTS": "unset: every user weighs the same",
    "LLM_FAIR_SHARE_JOB_TYPE_WEIGHTS": "unset: every job type weighs the same",
    "COST_CURRENCY": "USD, the currency of those list prices",
    "STREAM_MAX_SECONDS": "200: below Azure's 230 s HTTP limit",
    "STREAM_HEARTBEAT_SECONDS": "the app's default",
    "STREAM_KEEPALIVE_SECONDS": "the app's default",
    "STREAM_POLL_SECONDS": "the app's default",
    "STREAM_IDLE_POLL_SECONDS": "the app's default",
    "STREAM_RETRY_MS": "the app's default",
    "OTEL_EXPORTER_OTLP_ENDPOINT": "Application Insights is the destination in Azure",
    "OTEL_SERVICE_NAME": "contract-jobs (Application Insights' cloud role name)",
    "TELEMETRY_CONSOLE": "false: stdout telemetry is for local debugging",
}

# Set by the Bicep, read by the Functions host or a library rather than by shared/settings.py.
HOST_AND_LIBRARIES = {
    "AzureWebJobsStorage__tableServiceUri": "the host: Durable Functions' tables on the Azure Storage backend",
    "AZURE_CLIENT_ID": "azure-identity: DefaultAzureCredential's user-assigned identity",
    "AzureWebJobsFeatureFlags": "the host: worker indexing (v2 programming model)",
    "PYTHON_ENABLE_INIT_INDEXING": "the Python worker: the FastAPI-extension HTTP types",
    "PYTHON_ENABLE_OPENTELEMETRY": "the Python worker: logs as OpenTelemetry, joined to the host's traces",
    "PYTHON_THREADPOOL_THREAD_COUNT": "the Python worker: threads for sync functions (16 activities at once)",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "the host and azure-monitor-opentelemetry: Entra ID ingestion",
    "OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID": "App Service Authentication: the managed identity instead of a secret",
    "DURABLE_TASK_SCHEDULER_CONNECTION_STRING": "the host: the Durable Task Scheduler (endpoint and identity only)",
    "AzureFunctionsJobHost__extensions__durableTask__hubName": "the host: host.json override (scheduler task hub)",
    "AzureFunctionsJobHost__extensions__durableTask__storageProvider__type": "the host: host.json override",
    "AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName": "the host: as above",
}

SECRET_SETTINGS = {"COSMOS_KEY", "AZURE_OPENAI_API_KEY", "OPENAI_API_KEY", "AzureWebJobsStorage", "DOCUMENTS_STORAGE"}


def setting_name(field_name: str) -> str:
    """The app setting a field is read from: its alias other than its own name, else its name in capitals."""
    alias = Settings.model_fields[field_name].validation_alias
    if isinstance(alias, AliasChoices):
        names = [c for c in alias.choices if isinstance(c, str) and c != field_name]
        if names:
            return names[0]
    return field_name.upper()


def model_settings() -> set[str]:
    return {setting_name(name) for name in Settings.model_fields}


def object_block(text: str, opening: str) -> str:
    """The body of the `{ ... }` that starts at `opening` (braces matched; strings hold none here)."""
    start = text.index(opening) + len(opening) - 1
    assert text[start] == "{", opening
    depth = 0
    for index in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return text[start + 1 : index]
    raise AssertionError(f"unbalanced braces after {opening!r}")


def top_level_keys(block: str) -> dict[str, str]:
    """`key: value` lines directly inside a Bicep object (nested objects' keys excluded)."""
    keys: dict[str, str] = {}
    depth = 0
    for line in block.splitlines():
        stripped = line.strip()
        match = re.match(r"^'?([A-Za-z_][A-Za-z0-9_]*)'?\s*:\s*(.*)$", stripped)
        if depth == 0 and match:
            keys[match.group(1)] = match.group(2)
        depth += line.count("{") + line.count("[") - line.count("}") - line.count("]")
    return keys


def bicep_settings() -> dict[str, str]:
    app = FUNCTION_APP.read_text()
    main = MAIN.read_text()
    settings: dict[str, str] = {}
    for opening in (
        "var storageSettings = {",
        "var platformSettings = {",
        "var schedulerSettings = useScheduler ? {",
    ):
        settings.update(top_level_keys(object_block(app, opening)))
    module = object_block(main, "module functionApp 'modules/function-app.bicep' = {")
    settings.update(top_level_keys(object_block(module, "appSettings: {")))
    # They all reach the site: merged in this order and turned into siteConfig.appSettings.
    assert "union(storageSettings, platformSettings, schedulerSettings, appSettings)" in app
    assert "appSettings: [for setting in items(allSettings)" in app
    return settings


@pytest.fixture(scope="module")
def declared() -> dict[str, str]:
    return bicep_settings()


def test_the_bicep_settings_are_found(declared: dict[str, str]) -> None:
    # The parser itself can fail: these are certainly there.
    assert {"COSMOS_ENDPOINT", "AzureWebJobsStorage__blobServiceUri", "TELEMETRY_USER_SALT", "AZURE_CLIENT_ID"} <= set(
        declared
    )
    assert declared["AzureWebJobsStorage__credential"] == "'managedidentity'"
    assert declared["LLM_PROVIDER"] == "'azure_openai'"


def test_every_setting_the_app_reads_is_set_in_azure_or_right_by_default(declared: dict[str, str]) -> None:
    model = model_settings()
    set_by_bicep = model & set(declared)
    unaccounted = model - set_by_bicep - PLATFORM - set(DEFAULT_IN_AZURE)
    assert unaccounted == set(), "set it in infra/modules/function-app.bicep or list it in DEFAULT_IN_AZURE"
    assert set(DEFAULT_IN_AZURE) <= model, "DEFAULT_IN_AZURE names a setting the app no longer reads"
    assert set(DEFAULT_IN_AZURE).isdisjoint(declared), "a setting both set by the Bicep and 'left to its default'"
    assert {
        "COSMOS_ENDPOINT",
        "COSMOS_DATABASE",
        "LLM_PROVIDER",
        "AZURE_OPENAI_ENDPOINT",
        "AZURE_OPENAI_DEPLOYMENT_PRIMARY",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "TELEMETRY_USER_SALT",
        "AzureWebJobsStorage__queueServiceUri",
        "AzureWebJobsStorage__clientId",
    } <= set_by_bicep


def test_every_bicep_setting_is_read_by_someone(declared: dict[str, str]) -> None:
    unknown = set(declared) - model_settings() - set(HOST_AND_LIBRARIES)
    assert unknown == set(), "a setting nobody reads: drop it, or say who reads it in HOST_AND_LIBRARIES"
    assert set(HOST_AND_LIBRARIES) <= set(declared), "HOST_AND_LIBRARIES names a setting the Bicep no longer sets"


def test_no_secret_is_an_app_setting(declared: dict[str, str]) -> None:
    assert SECRET_SETTINGS.isdisjoint(declared)
    for name, value in declared.items():
        assert not re.search(r"AccountKey=|SharedAccessSignature|listKeys\(|list[A-Za-z]*Keys|Password=", value), name
    # The defaults of the secret settings are "unset": keyless unless someone adds a key by hand.
    defaults = Settings()
    assert (defaults.cosmos_key, defaults.azure_openai_api_key, defaults.storage_connection) == (None, None, None)


def test_the_sample_lists_every_setting_the_app_reads() -> None:
    sample = set(json.loads(SAMPLE.read_text(encoding="utf-8"))["Values"])
    assert model_settings() - PLATFORM - sample == set()
