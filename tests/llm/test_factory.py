from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.analysis.factory import describe_llm_config, get_analyzer, reset_analyzer
from shared.analysis.offline.analyzer import OfflineAnalyzer
from shared.llm.analyzer import LLMAnalyzer
from shared.llm.errors import LLMNotConfigured
from shared.settings import Settings
from tests.support.openai_server import OpenAITestServer


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    reset_analyzer()
    yield
    reset_analyzer()


def test_offline_provider_gives_the_offline_analyzer() -> None:
    analyzer = get_analyzer(Settings(llm_provider="offline"))
    assert isinstance(analyzer, OfflineAnalyzer)


def test_llm_analyzer_is_built_once_per_process(openai_server: OpenAITestServer) -> None:
    first = get_analyzer(openai_server.settings())
    assert isinstance(first, LLMAnalyzer) and first.provider == "openai"
    assert get_analyzer(openai_server.azure_settings()) is first  # cached: settings are read once
    reset_analyzer()
    assert get_analyzer(openai_server.azure_settings()).provider == "azure_openai"


def test_incomplete_configuration_names_missing_settings() -> None:
    with pytest.raises(LLMNotConfigured) as info:
        get_analyzer(Settings(llm_provider="azure_openai", azure_openai_endpoint="https://x.openai.azure.com"))
    assert "AZURE_OPENAI_DEPLOYMENT_PRIMARY" in str(info.value)
    assert info.value.details["missing"] == ["AZURE_OPENAI_DEPLOYMENT_PRIMARY"]


def test_describe_llm_config_never_shows_secrets() -> None:
    settings = Settings(
        llm_provider="azure_openai",
        azure_openai_endpoint="https://x.openai.azure.com",
        azure_openai_api_key="super-secret-key",
        azure_openai_deployment_primary="gpt4o-prod",
    )
    info = describe_llm_config(settings)
    assert info["provider"] == "azure_openai" and info["configured"] is True and info["missing"] == []
    assert info["models"] == {"primary": "gpt4o-prod", "secondary": "gpt4o-prod"}
    assert info["auth"] == "api_key"
    assert "super-secret-key" not in repr(info)

    info = describe_llm_config(Settings(llm_provider="openai", openai_api_key=None))
    assert info["configured"] is False and info["missing"] == ["OPENAI_API_KEY"]
    assert describe_llm_config(Settings())["configured"] is True
