"""Typed app settings, read once per process from the environment (local.settings.json Values locally,
App Settings in Azure). Every setting the app reads is here and in local.settings.sample.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from shared.singletons import ProcessSingleton

LLMProvider = Literal["offline", "openai", "azure_openai"]


class Settings(BaseSettings):
    """Built from explicit values (tests) with `Settings(...)`, from the environment with `Settings.from_env()`.
    Each field's setting is its name in capitals (`cosmos_endpoint` <- COSMOS_ENDPOINT) unless an alias says
    otherwise; an empty value counts as unset, as the Functions host treats empty app settings."""

    model_config = SettingsConfigDict(
        case_sensitive=False, env_ignore_empty=True, extra="ignore", populate_by_name=True
    )
    READS_ENVIRONMENT: ClassVar[bool] = False  # only Settings.from_env's subclass reads the environment

    # identity
    # WEBSITE_SITE_NAME is set by App Service: its presence means "in Azure".
    running_in_azure: bool = Field(
        default=False, validation_alias=AliasChoices("running_in_azure", "WEBSITE_SITE_NAME")
    )
    # WEBSITE_AUTH_ENABLED=True is set by App Service when Authentication (EasyAuth) is on. Only then does the
    # platform strip client-sent X-MS-CLIENT-PRINCIPAL* headers, so only then can they be trusted.
    easy_auth_enabled: bool = Field(
        default=False, validation_alias=AliasChoices("easy_auth_enabled", "WEBSITE_AUTH_ENABLED")
    )
    dev_user_id: str | None = None  # DEV_USER_ID: assumed caller when running locally without EasyAuth

    # storage
    cosmos_endpoint: str | None = None
    cosmos_key: str | None = None
    cosmos_database: str = "contractjobs"
    cosmos_verify_tls: bool = True  # COSMOS_VERIFY_TLS=false only for local Cosmos-compatible test servers
    data_dir: Path = Path(".data")  # embedded SQLite store when COSMOS_ENDPOINT is unset
    job_ttl_seconds: int = 604_800

    # queues
    storage_connection: str | None = Field(
        default=None, validation_alias=AliasChoices("storage_connection", "AzureWebJobsStorage")
    )
    job_events_queue: str = "job-events"
    # DOCUMENTS_STORAGE: the storage account of uploaded documents' bytes (Blob Storage), when it is not the
    # AzureWebJobsStorage account (shared/documents/blobs.py falls back to that one).
    documents_storage: str | None = None
    # The same two accounts as identity-based connections (Azure, no key; shared/azure_connections.py), named the
    # Functions way: <connection>__accountName or __blobServiceUri/__queueServiceUri, __credential, __clientId.
    storage_account_name: str | None = Field(
        default=None, validation_alias=AliasChoices("storage_account_name", "AzureWebJobsStorage__accountName")
    )
    storage_blob_service_uri: str | None = Field(
        default=None, validation_alias=AliasChoices("storage_blob_service_uri", "AzureWebJobsStorage__blobServiceUri")
    )
    storage_queue_service_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("storage_queue_service_uri", "AzureWebJobsStorage__queueServiceUri"),
    )
    storage_credential: str | None = Field(
        default=None, validation_alias=AliasChoices("storage_credential", "AzureWebJobsStorage__credential")
    )
    storage_client_id: str | None = Field(
        default=None, validation_alias=AliasChoices("storage_client_id", "AzureWebJobsStorage__clientId")
    )
    documents_storage_account_name: str | None = Field(
        default=None, validation_alias=AliasChoices("documents_storage_account_name", "DOCUMENTS_STORAGE__accountName")
    )
    documents_storage_blob_service_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("documents_storage_blob_service_uri", "DOCUMENTS_STORAGE__blobServiceUri"),
    )
    documents_storage_credential: str | None = Field(
        default=None, validation_alias=AliasChoices("documents_storage_credential", "DOCUMENTS_STORAGE__credential")
    )
    documents_storage_client_id: str | None = Field(
        default=None, validation_alias=AliasChoices("documents_storage_client_id", "DOCUMENTS_STORAGE__clientId")
    )

    # LLM
    llm_provider: LLMProvider = "offline"
    azure_openai_endpoint: str | None = None
    azure_openai_api_key: str | None = None
    azure_openai_api_version: str = "2024-10-21"
    azure_openai_deployment_primary: str | None = None
    azure_openai_deployment_secondary: str | None = None
    openai_base_url: str | None = None
    openai_api_key: str | None = None
    openai_model_primary: str = "gpt-4o"
    openai_model_secondary: str = "gpt-4o-mini"
    llm_context_tokens_primary: int = 128_000
    llm_context_tokens_secondary: int = 128_000
    llm_max_output_tokens: int = 4_000
    llm_timeout_seconds: float = 120.0
    llm_max_retries: int = 4
    # Quota of each model selection's deployment (shared/llm/budget.py): unset means "learn it from the
    # x-ratelimit-limit-* response headers, and until then run unthrottled but adaptive".
    llm_tokens_per_minute_primary: int | None = Field(default=None, ge=1)
    llm_tokens_per_minute_secondary: int | None = Field(default=None, ge=1)
    llm_requests_per_minute_primary: int | None = Field(default=None, ge=1)
    llm_requests_per_minute_secondary: int | None = Field(default=None, ge=1)
    # "on": every model call reserves its cost against its deployment's budget in the store first and waits
    # (without a worker) when it is spent; "off": the calls go out at once and 429s are retried in-process.
    llm_scheduler: Literal["on", "off"] = "on"

    # jobs
    query_batch_token_threshold: int = 42_000
    max_request_bytes: int = 16 * 1024 * 1024
    max_contract_bytes: int = 10 * 1024 * 1024
    public_base_url: str | None = None  # PUBLIC_BASE_URL: base of URLs we hand out
    # How long POST /api/batches/{id}/reprocess-staging waits for its staging job before answering 202 with the
    # job instead of the finished result (Durable's create-and-wait); below Azure's 230 s HTTP limit.
    batch_sync_wait_seconds: float = Field(default=60.0, ge=0, le=200)

    # batches
    batch_stage_chunk: int = Field(default=10, ge=1, le=200)  # documents one staging activity stages
    batch_run_chunk: int = Field(default=50, ge=1, le=500)  # records one sub-orchestration evaluates

    # The (Azure) OpenAI Batch API: a batch run in mode "economy" (half the price, up to 24 h).
    # Seconds between polls of a remote batch (at least 60 in Azure; tests set 1); polls space out as it runs.
    batch_api_poll_seconds: float = Field(default=60.0, gt=0)
    # Requests (records) in one Batch API input file: one activity builds and uploads it.
    batch_api_max_requests: int = Field(default=2_000, ge=1, le=50_000)
    # Azure needs a Global-Batch deployment of the same model as the standard one; empty: the standard deployment.
    azure_openai_batch_deployment_primary: str | None = None
    azure_openai_batch_deployment_secondary: str | None = None

    # What model tokens cost per 1,000, per model selection (the batch summary's estimated cost and what the
    # Batch API saved). Defaults: list prices in USD of gpt-4o (primary) and gpt-4o-mini (secondary).
    llm_price_per_1k_prompt_tokens_primary: float = Field(default=0.0025, ge=0)
    llm_price_per_1k_completion_tokens_primary: float = Field(default=0.01, ge=0)
    llm_price_per_1k_prompt_tokens_secondary: float = Field(default=0.00015, ge=0)
    llm_price_per_1k_completion_tokens_secondary: float = Field(default=0.0006, ge=0)
    # The currency of those prices (ISO 4217), shown with every estimated cost (the ops view, a batch's summary).
    cost_currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")

    # streams (Server-Sent Events)
    # Azure ends an HTTP response after 230 s: a stream closes itself before that and the client resumes.
    stream_max_seconds: float = Field(default=200.0, gt=0, le=225)
    stream_heartbeat_seconds: float = Field(default=15.0, gt=0)
    stream_keepalive_seconds: float = Field(default=5.0, gt=0)  # a comment line when nothing else was sent
    # How often a stream reads the job document when no change in this process woke it (another instance's
    # writes): while a listed job runs, and when none does.
    stream_poll_seconds: float = Field(default=1.0, gt=0)
    stream_idle_poll_seconds: float = Field(default=5.0, gt=0)
    stream_retry_ms: int = Field(default=2_000, ge=0)  # the reconnect delay the stream asks EventSource for

    # telemetry (shared/telemetry/): OpenTelemetry traces, metrics and logs, configured once per process; off when
    # none of these is set. Application Insights through azure-monitor-opentelemetry; any OTLP collector; stdout.
    applicationinsights_connection_string: str | None = None
    otel_exporter_otlp_endpoint: str | None = None
    otel_service_name: str = "contract-jobs"
    telemetry_console: bool = False  # TELEMETRY_CONSOLE=true: spans, metrics and logs to stdout (local debugging)
    # Key of the HMAC that turns a user id into telemetry's user.hash (empty: a plain SHA-256 prefix).
    telemetry_user_salt: str | None = None

    # operations (the ops summary, GET /api/ops/summary): app role `ops` from the EasyAuth principal's claims;
    # DEV_OPS=true grants it to the local development caller (ignored in Azure).
    dev_ops: bool = False

    @field_validator("running_in_azure", mode="before")
    @classmethod
    def _site_name_means_azure(cls, value: Any) -> Any:
        # WEBSITE_SITE_NAME holds the app's name, not a boolean: any name means "in Azure".
        if isinstance(value, str) and value.strip().lower() not in ("true", "false", "1", "0"):
            return bool(value.strip())
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Explicit values only, unless built by from_env: a test's Settings(...) never picks up the machine's.
        return (init_settings, env_settings) if cls.READS_ENVIRONMENT else (init_settings,)

    @classmethod
    def from_env(cls) -> Settings:
        return _FromEnvironment()


class _FromEnvironment(Settings):
    READS_ENVIRONMENT: ClassVar[bool] = True


_settings = ProcessSingleton(Settings.from_env)


def get_settings() -> Settings:
    """The process-wide settings, read once from the environment (tests may install their own)."""
    return _settings.get()


def use_settings(settings: Settings | None) -> None:
    """Install settings for this process (tests), or None to read the environment again on next use."""
    if settings is None:
        _settings.reset()
    else:
        _settings.set(settings)
