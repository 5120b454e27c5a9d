from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.analysis.factory import build_analyzer, describe_llm_config, get_analyzer, reset_analyzer
from shared.analysis.offline.analyzer import OfflineAnalyzer
from shared.llm.analyzer import LLMAnalyzer
from shared.llm.errors import LLMNotConfigured
from shared.settings import Settings, use_settings
from tests.support.openai_server import OpenAITestServer


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    reset_analyzer()
    yield
    use_settings(None)
    reset_analyzer()


def test_offline_provider_gives_the_offline_analyzer() -> None:
    assert isinstance(build_analyzer(Settings(llm_provider="offline")), OfflineAnalyzer)
    use_settings(Settings(llm_provider="offline"))
    assert isinstance(get_analyzer(), OfflineAnalyzer)


def test_llm_analyzer_is_built_once_per_process(openai_server: OpenAITestServer) -> None:
    use_settings(openai_server.settings())
    first = get_analyzer()
    assert isinstance(first, LLMAnalyzer) and first.provider == "openai"
    use_settings(openai_server.azure_settings())
    assert get_analyzer() is first  # cached: built once per process, from the settings of its first use
    reset_analyzer()
    assert get_analyzer().provider == "azure_openai"


def test_incomplete_configuration_names_missing_settings() -> None:
    with pytest.raises(LLMNotConfigured) as info:
        build_analyzer(Settings(llm_provider="azure_openai", azure_openai_endpoint="https://x.openai.azure.com"))
    assert "AZURE_OPENAI_DEPLOYMENT_PRIMARY" in str(info.value)
    assert info.value.details["missing"] == ["AZURE_OPENAI_DEPLOYMENT_PRIMARY"]
    use_settings(Settings(llm_provider="azure_openai", azure_openai_endpoint="https://x.openai.azure.com"))
    with pytest.raises(LLMNotConfigured) as info:
        get_analyzer()  # the process-wide analyzer refuses too, rather than falling back to offline
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
