"""Picks the analyzer for this process from LLM_PROVIDER, once: the LLM client (and its connection pool) is
created a single time and shared by every activity in the worker. With it starts the process's usage ledger
(shared/ops/usage_ledger.py), which counts the client's model calls for the operations summary."""

from __future__ import annotations

from typing import Any

from shared.analysis.base import Analyzer
from shared.llm.config import context_tokens_for, missing_llm_settings, model_for
from shared.llm.errors import LLMNotConfigured
from shared.settings import Settings, get_settings
from shared.singletons import ProcessSingleton

_analyzer = ProcessSingleton(lambda: _build_for_process(get_settings()))


def get_analyzer() -> Analyzer:
    """The process-wide analyzer. Raises LLMNotConfigured (naming the missing settings) for an incomplete
    openai / azure_openai configuration rather than falling back to offline silently."""
    return _analyzer.get()


def build_analyzer(settings: Settings) -> Analyzer:
    """A fresh analyzer for `settings` (tests); the app uses get_analyzer."""
    return _build(settings)


def reset_analyzer() -> None:
    """Forget the cached analyzer (tests, or after changing settings), and stop its usage ledger (a last flush)."""
    _analyzer.reset()
    from shared.ops.usage_ledger import use_ledger

    use_ledger(None)


def _build_for_process(settings: Settings) -> Analyzer:
    analyzer = _build(settings)
    if settings.llm_provider != "offline":
        from shared.ops.usage_ledger import start_process_ledger  # imported here: the offline path needs none of it

        start_process_ledger()  # once per process: every model call of this worker is counted
    return analyzer


def _build(settings: Settings) -> Analyzer:
    if settings.llm_provider == "offline":
        from shared.analysis.offline.analyzer import OfflineAnalyzer

        return OfflineAnalyzer()
    missing = missing_llm_settings(settings)
    if missing:
        raise LLMNotConfigured(
            f"LLM_PROVIDER={settings.llm_provider} is missing settings: {', '.join(missing)}",
            details={"provider": settings.llm_provider, "missing": missing},
        )
    # Imported here so the offline path never loads the openai SDK.
    from shared.llm.analyzer import LLMAnalyzer
    from shared.llm.client import LLMClient

    return LLMAnalyzer(LLMClient(settings))


def describe_llm_config(settings: Settings | None = None) -> dict[str, Any]:
    """What the health endpoint shows about the LLM: provider, models, whether it is usable. No secrets."""
    settings = settings or get_settings()
    missing = missing_llm_settings(settings)
    info: dict[str, Any] = {
        "provider": settings.llm_provider,
        "configured": not missing,
        "missing": missing,
    }
    if settings.llm_provider == "offline":
        info["models"] = {"primary": "offline", "secondary": "offline"}
        return info
    info["models"] = {"primary": model_for(settings, "primary"), "secondary": model_for(settings, "secondary")}
    info["context_tokens"] = {
        "primary": context_tokens_for(settings, "primary"),
        "secondary": context_tokens_for(settings, "secondary"),
    }
    if settings.llm_provider == "azure_openai":
        info["endpoint"] = settings.azure_openai_endpoint
        info["api_version"] = settings.azure_openai_api_version
        info["auth"] = "api_key" if settings.azure_openai_api_key else "managed_identity"
    else:
        info["base_url"] = settings.openai_base_url or "https://api.openai.com/v1"
    return info
