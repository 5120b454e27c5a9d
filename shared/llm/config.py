"""Which settings an LLM provider needs, and the model/deployment and context size for a model selection."""

from __future__ import annotations

from shared.jobs.models import ModelSelection
from shared.settings import Settings


def missing_llm_settings(settings: Settings) -> list[str]:
    """App-setting names the configured provider still needs (empty when ready). Never reads secrets' values
    beyond "is it set"."""
    if settings.llm_provider == "openai":
        # OPENAI_BASE_URL may be unset (then the SDK uses api.openai.com); models have defaults.
        return [] if settings.openai_api_key else ["OPENAI_API_KEY"]
    if settings.llm_provider == "azure_openai":
        # No AZURE_OPENAI_API_KEY means managed identity, so the key is not "missing".
        required = {
            "AZURE_OPENAI_ENDPOINT": settings.azure_openai_endpoint,
            "AZURE_OPENAI_DEPLOYMENT_PRIMARY": settings.azure_openai_deployment_primary,
            "AZURE_OPENAI_API_VERSION": settings.azure_openai_api_version,
        }
        return [name for name, value in required.items() if not value]
    return []


def model_for(settings: Settings, selection: ModelSelection) -> str:
    """The model (openai) or deployment (azure_openai) name a selection maps to.

    An unset secondary Azure deployment falls back to the primary: one deployment is a valid setup.
    """
    if settings.llm_provider == "azure_openai":
        primary = settings.azure_openai_deployment_primary or ""
        if selection == "secondary":
            return settings.azure_openai_deployment_secondary or primary
        return primary
    if selection == "secondary":
        return settings.openai_model_secondary
    return settings.openai_model_primary


def context_tokens_for(settings: Settings, selection: ModelSelection) -> int:
    if selection == "secondary":
        return settings.llm_context_tokens_secondary
    return settings.llm_context_tokens_primary


def deployment_key(settings: Settings, selection: ModelSelection) -> str:
    """What identifies a deployment's quota: provider, endpoint and model/deployment name. Two selections that
    name the same deployment share its budget."""
    if settings.llm_provider == "azure_openai":
        endpoint = (settings.azure_openai_endpoint or "").rstrip("/")
    else:
        endpoint = (settings.openai_base_url or "https://api.openai.com/v1").rstrip("/")
    return f"{settings.llm_provider}|{endpoint}|{model_for(settings, selection)}"
