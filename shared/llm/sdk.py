"""Building the `openai` SDK client the LLM client wraps: OpenAI-compatible or Azure OpenAI (key or managed
identity), with the SDK's own retries off (shared/llm/client.py retries, once)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openai

from shared.settings import Settings

AZURE_TOKEN_SCOPE = "https://cognitiveservices.azure.com/.default"


def build_sdk_client(settings: Settings, azure_token_provider: Callable[[], str] | None) -> openai.OpenAI:
    common: dict[str, Any] = {"max_retries": 0, "timeout": settings.llm_timeout_seconds}
    if settings.llm_provider == "azure_openai":
        if settings.azure_openai_api_key:
            return openai.AzureOpenAI(
                azure_endpoint=settings.azure_openai_endpoint or "",
                api_version=settings.azure_openai_api_version,
                api_key=settings.azure_openai_api_key,
                **common,
            )
        return openai.AzureOpenAI(
            azure_endpoint=settings.azure_openai_endpoint or "",
            api_version=settings.azure_openai_api_version,
            azure_ad_token_provider=azure_token_provider or managed_identity_token_provider(),
            **common,
        )
    return openai.OpenAI(api_key=settings.openai_api_key, base_url=settings.openai_base_url, **common)


def managed_identity_token_provider() -> Callable[[], str]:
    """Entra ID tokens from the process's credential (shared/azure_credential.py: the app's managed identity in
    Azure), the one Cosmos DB and Storage use; chat calls, the Batch API and its files all go through this client."""
    # Imported lazily: azure-identity is heavy and key-based setups never need it.
    from azure.identity import get_bearer_token_provider

    from shared.azure_credential import azure_credential

    return get_bearer_token_provider(azure_credential(), AZURE_TOKEN_SCOPE)
