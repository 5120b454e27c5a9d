import json
from datetime import timedelta
from pathlib import Path

import pytest

from devhost.config import (
    AZURITE_CONNECTION_STRING,
    ConfigError,
    QueueSettings,
    SettingMissingError,
    apply_settings,
    load_local_settings,
    parse_timespan,
    resolve_setting_expressions,
    route_prefix,
    storage_connection_string,
)


def test_environment_wins_over_local_settings_and_empty_values_are_unset() -> None:
    env = {"KEEP": "from-env", "BLANK_IN_ENV": ""}
    applied = apply_settings({"KEEP": "settings", "NEW": "n", "EMPTY": "", "BLANK_IN_ENV": "s"}, env)
    assert env == {"KEEP": "from-env", "NEW": "n", "BLANK_IN_ENV": "s"}
    assert sorted(applied) == ["BLANK_IN_ENV", "NEW"]


def test_local_settings_values_are_stringified(tmp_path: Path) -> None:
    (tmp_path / "local.settings.json").write_text(json.dumps({"Values": {"N": 3, "B": True, "Z": None}}))
    assert load_local_settings(tmp_path) == {"N": "3", "B": "True", "Z": ""}


def test_broken_local_settings_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "local.settings.json").write_text("{nope")
    with pytest.raises(ConfigError, match=r"local\.settings\.json is not valid JSON"):
        load_local_settings(tmp_path)


def test_timespans() -> None:
    assert parse_timespan("00:00:02") == timedelta(seconds=2)
    assert parse_timespan("1.02:03:04.5") == timedelta(days=1, hours=2, minutes=3, seconds=4.5)
    with pytest.raises(ConfigError, match="'2s'"):
        parse_timespan("2s")


def test_queue_settings_defaults_and_overrides() -> None:
    assert QueueSettings.from_host_json({}) == QueueSettings()
    settings = QueueSettings.from_host_json(
        {"extensions": {"queues": {"maxPollingInterval": "00:00:02", "batchSize": 8, "maxDequeueCount": 3}}}
    )
    assert (settings.max_polling_interval, settings.batch_size, settings.max_dequeue_count) == (
        timedelta(seconds=2),
        8,
        3,
    )
    with pytest.raises(ConfigError, match=r"batchSize must be 1\.\.32, got 64"):
        QueueSettings.from_host_json({"extensions": {"queues": {"batchSize": 64}}})


def test_route_prefix() -> None:
    assert route_prefix({}) == "api"
    assert route_prefix({"extensions": {"http": {"routePrefix": ""}}}) == ""
    assert route_prefix({"extensions": {"http": {"routePrefix": "/v1/"}}}) == "v1"


def test_storage_connection_lookup() -> None:
    assert storage_connection_string(None, {"AzureWebJobsStorage": "UseDevelopmentStorage=true"}) == (
        AZURITE_CONNECTION_STRING
    )
    assert storage_connection_string("Other", {"AzureWebJobsOther": "conn"}) == "conn"
    with pytest.raises(SettingMissingError, match="'AzureWebJobsStorage'"):
        storage_connection_string(None, {})


def test_setting_expressions() -> None:
    assert resolve_setting_expressions("%Q%-x", {"Q": "jobs"}) == "jobs-x"
    with pytest.raises(SettingMissingError, match="'MISSING'"):
        resolve_setting_expressions("%MISSING%", {})
