"""Typed app settings, read once per process from the environment (local.settings.json Values locally,
App Settings in Azure). Every setting the app reads is here and in local.settings.sample.json."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

LLMProvider = Literal["offline", "openai", "azure_openai"]


def _env(name: str, default: str | None = None) -> str | None:
    # An empty value counts as unset, as the Functions host treats empty app settings.
    value = os.environ.get(name)
    return value if value not in (None, "") else default


class Settings(BaseModel):
    # identity
    running_in_azure: bool = False  # WEBSITE_SITE_NAME is set by App Service
    # WEBSITE_AUTH_ENABLED=True is set by App Service when Authentication (EasyAuth) is on. Only then does the
    # platform strip client-sent X-MS-CLIENT-PRINCIPAL* headers, so only then can they be trusted.
    easy_auth_enabled: bool = False
    dev_user_id: str | None = None  # DEV_USER_ID: assumed caller when running locally without EasyAuth

    # storage
    cosmos_endpoint: str | None = None
    cosmos_key: str | None = None
    cosmos_database: str = "contractjobs"
    cosmos_verify_tls: bool = True  # COSMOS_VERIFY_TLS=false only for local Cosmos-compatible test servers
    data_dir: Path = Path(".data")  # embedded SQLite store when COSMOS_ENDPOINT is unset
    job_ttl_seconds: int = 604_800

    # queues
    storage_connection: str | None = None  # AzureWebJobsStorage
    job_events_queue: str = "job-events"

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

    # jobs
    query_batch_token_threshold: int = 42_000
    max_request_bytes: int = 16 * 1024 * 1024
    max_contract_bytes: int = 10 * 1024 * 1024
    public_base_url: str | None = None  # PUBLIC_BASE_URL: base of URLs we hand out

    @classmethod
    def from_env(cls) -> Settings:
        def flag(name: str, default: bool) -> bool:
            value = _env(name)
            return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")

        def integer(name: str, default: int) -> int:
            value = _env(name)
            return default if value is None else int(value)

        return cls(
            running_in_azure=_env("WEBSITE_SITE_NAME") is not None,
            easy_auth_enabled=flag("WEBSITE_AUTH_ENABLED", False),
            dev_user_id=_env("DEV_USER_ID"),
            cosmos_endpoint=_env("COSMOS_ENDPOINT"),
            cosmos_key=_env("COSMOS_KEY"),
            cosmos_database=_env("COSMOS_DATABASE", "contractjobs") or "contractjobs",
            cosmos_verify_tls=flag("COSMOS_VERIFY_TLS", True),
            data_dir=Path(_env("DATA_DIR", ".data") or ".data"),
            job_ttl_seconds=integer("JOB_TTL_SECONDS", 604_800),
            storage_connection=_env("AzureWebJobsStorage"),
            job_events_queue=_env("JOB_EVENTS_QUEUE", "job-events") or "job-events",
            llm_provider=(_env("LLM_PROVIDER", "offline") or "offline"),  # type: ignore[arg-type]
            azure_openai_endpoint=_env("AZURE_OPENAI_ENDPOINT"),
            azure_openai_api_key=_env("AZURE_OPENAI_API_KEY"),
            azure_openai_api_version=_env("AZURE_OPENAI_API_VERSION", "2024-10-21") or "2024-10-21",
            azure_openai_deployment_primary=_env("AZURE_OPENAI_DEPLOYMENT_PRIMARY"),
            azure_openai_deployment_secondary=_env("AZURE_OPENAI_DEPLOYMENT_SECONDARY"),
            openai_base_url=_env("OPENAI_BASE_URL"),
            openai_api_key=_env("OPENAI_API_KEY"),
            openai_model_primary=_env("OPENAI_MODEL_PRIMARY", "gpt-4o") or "gpt-4o",
            openai_model_secondary=_env("OPENAI_MODEL_SECONDARY", "gpt-4o-mini") or "gpt-4o-mini",
            llm_context_tokens_primary=integer("LLM_CONTEXT_TOKENS_PRIMARY", 128_000),
            llm_context_tokens_secondary=integer("LLM_CONTEXT_TOKENS_SECONDARY", 128_000),
            llm_max_output_tokens=integer("LLM_MAX_OUTPUT_TOKENS", 4_000),
            llm_timeout_seconds=float(_env("LLM_TIMEOUT_SECONDS", "120") or "120"),
            llm_max_retries=integer("LLM_MAX_RETRIES", 4),
            query_batch_token_threshold=integer("QUERY_BATCH_TOKEN_THRESHOLD", 42_000),
            max_request_bytes=integer("MAX_REQUEST_BYTES", 16 * 1024 * 1024),
            max_contract_bytes=integer("MAX_CONTRACT_BYTES", 10 * 1024 * 1024),
            public_base_url=_env("PUBLIC_BASE_URL"),
        )


_override: Settings | None = None


@lru_cache(maxsize=1)
def _from_env() -> Settings:
    return Settings.from_env()


def get_settings() -> Settings:
    """The process-wide settings (tests may install their own with `use_settings`)."""
    return _override if _override is not None else _from_env()


def use_settings(settings: Settings | None) -> None:
    """Install settings for this process (tests), or None to go back to the environment."""
    global _override
    _override = settings
    _from_env.cache_clear()
