"""Typed app settings, read once per process from the environment (local.settings.json Values locally,
App Settings in Azure). Every setting the app reads is here and in local.settings.sample.json."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from shared.jobs.models import JobType
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

    # identity. Where the app runs and whether principal headers can be trusted are the platform's to say, not a
    # setting's: shared/hosting.py reads WEBSITE_SITE_NAME / WEBSITE_INSTANCE_ID / WEBSITE_AUTH_ENABLED itself.
    dev_user_id: str | None = None  # DEV_USER_ID: assumed caller without a principal, on a local host only

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
    # "on": each deployment's quota is shared fairly among the users who have model calls waiting (a user's job
    # priority orders that user's own calls only); "off": one queue for every user by priority, as before issue 16
    # (an operator's escape hatch).
    llm_fair_share: Literal["on", "off"] = "on"
    # Weights of the fair share, `name:weight,...` or a JSON object; whoever is not named weighs 1. A user's (by
    # user id, as EasyAuth's principal id) and a job type's (comparison, query, batch_evaluation, ...) multiply:
    # while both wait, a user of weight 2 gets twice the tokens of a user of weight 1.
    llm_fair_share_weights: Annotated[dict[str, float], NoDecode] = Field(default_factory=dict)
    llm_fair_share_job_type_weights: Annotated[dict[str, float], NoDecode] = Field(default_factory=dict)

    # jobs
    query_batch_token_threshold: int = 42_000
    max_request_bytes: int = 16 * 1024 * 1024
    max_contract_bytes: int = 10 * 1024 * 1024
    public_base_url: str | None = None  # PUBLIC_BASE_URL: base of URLs we hand out

    # Reading uploaded documents (shared/text/): every user's file is hostile until bounded. Text longer than this
    # is refused (it feeds token counting, storage and one model call per part); so are PDFs with more pages and
    # .docx archives that unzip to more than this.
    max_extracted_chars: int = Field(default=2_000_000, ge=1_000)
    max_pdf_pages: int = Field(default=1_000, ge=1)
    max_docx_unzipped_mb: int = Field(default=64, ge=1)
    # .docx and .pdf files are read in child processes (shared/text/sandbox.py), at most this many at once per
    # worker process, each killed after this many seconds and refused memory past this much growth.
    extraction_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    extraction_memory_mb: int = Field(default=256, ge=32)
    extraction_workers: int = Field(default=2, ge=1, le=16)
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

    # per-user limits (shared/limits.py): what one user may hold at once, so no tenant can stall or starve the
    # others. Jobs and streams end by themselves (429 with Retry-After); records and documents are the size of
    # what a user builds (422 naming the limit).
    max_active_jobs_per_user: int = Field(default=20, ge=1)  # queued + processing jobs of every type
    max_streams_per_user: int = Field(default=10, ge=1)  # open SSE streams, per worker process
    max_records_per_batch: int = Field(default=5_000, ge=1)  # documents x prompts of one batch
    max_documents_per_folder: int = Field(default=1_000, ge=1)

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
    # DEV_OPS=true grants it to the development caller on a local host (ignored anywhere else).
    dev_ops: bool = False

    @field_validator("llm_fair_share_weights", "llm_fair_share_job_type_weights", mode="before")
    @classmethod
    def _weights_from_text(cls, value: Any) -> Any:
        return parse_weights(value) if isinstance(value, str) else value

    @field_validator("llm_fair_share_weights", "llm_fair_share_job_type_weights")
    @classmethod
    def _weights_in_range(cls, value: dict[str, float]) -> dict[str, float]:
        for name, weight in value.items():
            if not name.strip():
                raise ValueError("a weight needs a name before its colon")
            if not (math.isfinite(weight) and MIN_WEIGHT <= weight <= MAX_WEIGHT):
                raise ValueError(f"weight of {name!r} is {weight}: it must be between {MIN_WEIGHT} and {MAX_WEIGHT:g}")
        return value

    @field_validator("llm_fair_share_job_type_weights")
    @classmethod
    def _known_job_types(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(JobType))
        if unknown:
            raise ValueError(f"unknown job type(s) {', '.join(map(repr, unknown))}; known: {', '.join(JobType)}")
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


MIN_WEIGHT, MAX_WEIGHT = 0.01, 1_000.0


def parse_weights(text: str) -> dict[str, float]:
    """`name:weight,name:weight` (a name may hold colons: the last one separates) or a JSON object of numbers."""
    text = text.strip()
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not a JSON object of weights: {exc}") from exc
        if not isinstance(parsed, dict) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in parsed.values()
        ):
            raise ValueError('a JSON object of weights maps names to numbers: {"user-id": 2}')
        return {str(name): float(weight) for name, weight in parsed.items()}
    weights: dict[str, float] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, colon, number = item.rpartition(":")
        if not colon:
            raise ValueError(f"{item!r} is not name:weight")
        try:
            weight = float(number)
        except ValueError:
            raise ValueError(f"{item!r}: {number.strip()!r} is not a number") from None
        if name.strip() in weights:
            raise ValueError(f"{name.strip()!r} is weighted twice")
        weights[name.strip()] = weight
    return weights


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
