"""The app settings as the Functions host hands them over: environment variables (local.settings.json Values
locally, App Settings in Azure)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import AliasChoices

from shared.settings import Settings, get_settings, use_settings

SAMPLE = Path(__file__).resolve().parents[2] / "local.settings.sample.json"
# Set by the Functions host or App Service for the host itself (or its Python worker); the app reads none of them.
HOST_ONLY = {
    "FUNCTIONS_WORKER_RUNTIME",
    "AzureWebJobsFeatureFlags",
    "PYTHON_ENABLE_INIT_INDEXING",
    "PYTHON_THREADPOOL_THREAD_COUNT",
}
PLATFORM = ("WEBSITE_SITE_NAME", "WEBSITE_AUTH_ENABLED", "RUNNING_IN_AZURE", "EASY_AUTH_ENABLED")


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No app setting from the surrounding environment leaks into a test; the process settings are read again
    from the environment after it."""
    for name in [*json.loads(SAMPLE.read_text(encoding="utf-8"))["Values"], *PLATFORM]:
        monkeypatch.delenv(name, raising=False)
    yield monkeypatch
    use_settings(None)


def test_each_setting_is_read_from_its_name_in_capitals(environment: pytest.MonkeyPatch) -> None:
    values = {
        "DEV_USER_ID": "dev-alice",
        "COSMOS_ENDPOINT": "https://cosmos.example:8081/",
        "COSMOS_KEY": "key==",
        "COSMOS_DATABASE": "jobsdb",
        "COSMOS_VERIFY_TLS": "false",
        "DATA_DIR": "/var/data/jobs",
        "JOB_TTL_SECONDS": "3600",
        "JOB_EVENTS_QUEUE": "events",
        "LLM_PROVIDER": "azure_openai",
        "AZURE_OPENAI_ENDPOINT": "https://aoai.example/",
        "AZURE_OPENAI_DEPLOYMENT_PRIMARY": "gpt4o-prod",
        "OPENAI_MODEL_SECONDARY": "small",
        "LLM_CONTEXT_TOKENS_PRIMARY": "64000",
        "LLM_MAX_OUTPUT_TOKENS": "2000",
        "LLM_TIMEOUT_SECONDS": "30.5",
        "QUERY_BATCH_TOKEN_THRESHOLD": "1000",
        "PUBLIC_BASE_URL": "https://jobs.example",
    }
    for name, value in values.items():
        environment.setenv(name, value)

    settings = Settings.from_env()

    assert (settings.dev_user_id, settings.cosmos_endpoint, settings.cosmos_key) == (
        "dev-alice",
        "https://cosmos.example:8081/",
        "key==",
    )
    assert (settings.cosmos_database, settings.cosmos_verify_tls, settings.data_dir) == (
        "jobsdb",
        False,
        Path("/var/data/jobs"),
    )
    assert (settings.job_ttl_seconds, settings.job_events_queue) == (3600, "events")
    assert (settings.llm_provider, settings.azure_openai_endpoint, settings.azure_openai_deployment_primary) == (
        "azure_openai",
        "https://aoai.example/",
        "gpt4o-prod",
    )
    assert (settings.openai_model_secondary, settings.llm_context_tokens_primary) == ("small", 64_000)
    assert (settings.llm_max_output_tokens, settings.llm_timeout_seconds) == (2_000, 30.5)
    assert (settings.query_batch_token_threshold, settings.public_base_url) == (1_000, "https://jobs.example")
    # What was not set keeps its default.
    assert (settings.openai_model_primary, settings.llm_max_retries) == ("gpt-4o", 4)


def test_every_setting_of_the_sample_is_read(environment: pytest.MonkeyPatch) -> None:
    values = json.loads(SAMPLE.read_text(encoding="utf-8"))["Values"]
    for name, value in values.items():
        environment.setenv(name, value)
    settings = Settings.from_env()
    read = {name for name in values if name not in HOST_ONLY}
    names = {name.upper() for name in Settings.model_fields} | {
        choice.upper()
        for field in Settings.model_fields.values()
        if isinstance(field.validation_alias, AliasChoices)
        for choice in field.validation_alias.choices
        if isinstance(choice, str)
    }
    assert {name.upper() for name in read} <= names  # a setting in the sample the app does not read is a typo
    assert settings.storage_connection == "UseDevelopmentStorage=true"
    assert (settings.llm_provider, settings.dev_user_id, settings.cosmos_endpoint) == ("offline", "dev-user", None)


def test_no_app_setting_decides_the_platform(environment: pytest.MonkeyPatch) -> None:
    # Where the app runs and whether principal headers are trusted are the platform's to say (shared/hosting.py):
    # no setting reads a WEBSITE_* variable, and the old overrides are not settings at all.
    for name in ("RUNNING_IN_AZURE", "EASY_AUTH_ENABLED"):
        environment.setenv(name, "true")
    environment.setenv("AzureWebJobsStorage", "DefaultEndpointsProtocol=https;AccountName=jobs")
    settings = Settings.from_env()
    assert settings.storage_connection == "DefaultEndpointsProtocol=https;AccountName=jobs"
    fields = set(Settings.model_fields)
    assert not fields & {"running_in_azure", "easy_auth_enabled"}
    aliases = {
        choice.upper()
        for field in Settings.model_fields.values()
        if isinstance(field.validation_alias, AliasChoices)
        for choice in field.validation_alias.choices
        if isinstance(choice, str)
    }
    assert not {name for name in aliases | {f.upper() for f in fields} if name.startswith("WEBSITE_")}


def test_empty_values_count_as_unset(environment: pytest.MonkeyPatch) -> None:
    # The sample (and the portal) hold empty strings for settings nobody filled in.
    for name in (
        "AzureWebJobsStorage",
        "COSMOS_ENDPOINT",
        "COSMOS_DATABASE",
        "LLM_PROVIDER",
        "JOB_TTL_SECONDS",
        "LLM_TIMEOUT_SECONDS",
        "COSMOS_VERIFY_TLS",
        "DEV_USER_ID",
    ):
        environment.setenv(name, "")

    settings = Settings.from_env()

    assert settings.storage_connection is None
    assert (settings.cosmos_endpoint, settings.cosmos_database, settings.cosmos_verify_tls) == (
        None,
        "contractjobs",
        True,
    )
    assert (settings.llm_provider, settings.job_ttl_seconds, settings.llm_timeout_seconds) == ("offline", 604_800, 120)
    assert settings.dev_user_id is None


def test_explicit_settings_ignore_the_environment(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("COSMOS_ENDPOINT", "https://cosmos.example:8081/")
    environment.setenv("DEV_USER_ID", "someone")
    settings = Settings(llm_provider="openai", storage_connection="UseDevelopmentStorage=true")
    assert (settings.cosmos_endpoint, settings.dev_user_id) == (None, None)
    assert (settings.llm_provider, settings.storage_connection) == ("openai", "UseDevelopmentStorage=true")


def test_a_bad_value_is_refused_naming_the_setting(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("JOB_TTL_SECONDS", "a week")
    with pytest.raises(ValueError, match="job_ttl_seconds"):
        Settings.from_env()
    environment.setenv("JOB_TTL_SECONDS", "60")
    environment.setenv("LLM_PROVIDER", "gemini")
    with pytest.raises(ValueError, match="llm_provider"):
        Settings.from_env()


def test_the_process_reads_the_environment_once(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("COSMOS_DATABASE", "first")
    use_settings(None)
    settings = get_settings()
    environment.setenv("COSMOS_DATABASE", "second")
    assert get_settings() is settings and settings.cosmos_database == "first"
    installed = Settings(cosmos_database="installed")
    use_settings(installed)
    assert get_settings() is installed
    use_settings(None)
    assert get_settings().cosmos_database == "second"


def test_fair_share_weights_are_read_as_name_weight_pairs_or_json(environment: pytest.MonkeyPatch) -> None:
    assert Settings.from_env().llm_fair_share_weights == {}  # everyone weighs the same
    environment.setenv("LLM_FAIR_SHARE_WEIGHTS", " alice@contoso.com:2, urn:svc:batch:0.5 ,")
    environment.setenv("LLM_FAIR_SHARE_JOB_TYPE_WEIGHTS", '{"comparison": 3, "batch_evaluation": 0.25}')
    settings = Settings.from_env()
    assert settings.llm_fair_share_weights == {"alice@contoso.com": 2.0, "urn:svc:batch": 0.5}  # the last colon
    assert settings.llm_fair_share_job_type_weights == {"comparison": 3.0, "batch_evaluation": 0.25}
    assert settings.llm_fair_share == "on"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LLM_FAIR_SHARE_WEIGHTS", "alice", "'alice' is not name:weight"),
        ("LLM_FAIR_SHARE_WEIGHTS", "alice:two", "'two' is not a number"),
        ("LLM_FAIR_SHARE_WEIGHTS", "alice:0", "weight of 'alice' is 0.0: it must be between 0.01 and 1000"),
        ("LLM_FAIR_SHARE_WEIGHTS", "alice:inf", "weight of 'alice' is inf"),
        ("LLM_FAIR_SHARE_WEIGHTS", "alice:1,alice:2", "'alice' is weighted twice"),
        ("LLM_FAIR_SHARE_WEIGHTS", ":2", "a weight needs a name"),
        ("LLM_FAIR_SHARE_WEIGHTS", '{"alice": "2"}', "maps names to numbers"),
        ("LLM_FAIR_SHARE_WEIGHTS", "{alice: 2}", "not a JSON object of weights"),
        ("LLM_FAIR_SHARE_JOB_TYPE_WEIGHTS", "comparisons:2", "unknown job type(s) 'comparisons'; known: comparison"),
        ("LLM_FAIR_SHARE", "fair", "llm_fair_share"),
    ],
)
def test_a_bad_fair_share_setting_is_refused_at_startup_saying_what_is_wrong(
    environment: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    environment.setenv(name, value)
    with pytest.raises(ValueError, match=name.lower()) as refused:
        Settings.from_env()
    assert message in str(refused.value)
