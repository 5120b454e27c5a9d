"""`AzureFunctionsJobHost__*` app settings override host.json, as in Azure."""

import json
from datetime import timedelta
from pathlib import Path

import pytest

from devhost.config import (
    ConfigError,
    QueueSettings,
    apply_host_overrides,
    apply_settings,
    host_json_overrides,
    route_prefix,
)
from devhost.durable.engine import DurableEngine

HOST_JSON = {
    "version": "2.0",
    "logging": {"logLevel": {"default": "Information"}},
    "extensions": {
        "queues": {"visibilityTimeout": "00:00:30", "maxDequeueCount": 5, "batchSize": 8},
        "durableTask": {"hubName": "Hub", "maxConcurrentActivityFunctions": 8},
    },
}


def test_overrides_merge_into_existing_keys_case_insensitively_as_strings() -> None:
    env = {
        "AzureFunctionsJobHost__extensions__queues__visibilityTimeout": "00:00:01",
        # Case differs from host.json's keys and from the documented prefix: still the same keys.
        "AZUREFUNCTIONSJOBHOST__Extensions__DurableTask__MAXCONCURRENTACTIVITYFUNCTIONS": "2",
        "AzureFunctionsJobHost__logging__logLevel__default": "Warning",
        "UNRELATED": "x",
    }
    merged = apply_host_overrides(HOST_JSON, env)
    assert merged["extensions"]["queues"] == {"visibilityTimeout": "00:00:01", "maxDequeueCount": 5, "batchSize": 8}
    assert merged["extensions"]["durableTask"] == {"hubName": "Hub", "maxConcurrentActivityFunctions": "2"}
    assert merged["logging"] == {"logLevel": {"default": "Warning"}}
    assert set(merged) == set(HOST_JSON)
    # host.json itself is left as it was.
    assert HOST_JSON["extensions"]["queues"]["visibilityTimeout"] == "00:00:30"  # type: ignore[index]


def test_overrides_create_missing_sections_and_index_arrays() -> None:
    env = {
        "AzureFunctionsJobHost__extensions__http__routePrefix": "v1",
        "AzureFunctionsJobHost__functions__0": "work",
        "AzureFunctionsJobHost__functions__1": "text",
    }
    merged = apply_host_overrides({"version": "2.0"}, env)
    assert merged == {"version": "2.0", "extensions": {"http": {"routePrefix": "v1"}}, "functions": ["work", "text"]}
    assert route_prefix(merged) == "v1"
    assert apply_host_overrides({"functions": ["a", "b"]}, {"AzureFunctionsJobHost__functions__1": "c"}) == {
        "functions": ["a", "c"]
    }


def test_empty_malformed_and_section_replacing_overrides_are_ignored() -> None:
    env = {
        "AzureFunctionsJobHost__extensions__queues__batchSize": "",  # empty counts as unset
        "AzureFunctionsJobHost__extensions____batchSize": "4",  # empty key
        "AzureFunctionsJobHost__": "x",
        "AzureFunctionsJobHost__extensions__queues": "not-a-section",  # a value where host.json has a section
    }
    assert host_json_overrides(env) == {"AzureFunctionsJobHost__extensions__queues": ["extensions", "queues"]}
    assert apply_host_overrides(HOST_JSON, env) == HOST_JSON


def test_deeper_override_wins_over_a_scalar_on_its_parent() -> None:
    env = {"AzureFunctionsJobHost__a": "scalar", "AzureFunctionsJobHost__a__b": "1"}
    assert apply_host_overrides({}, env) == {"a": {"b": "1"}}


def test_process_environment_wins_over_local_settings_for_overrides() -> None:
    """The precedence of every devhost setting: a non-empty environment variable, then local.settings.json."""
    env = {
        "AzureFunctionsJobHost__extensions__queues__maxDequeueCount": "2",
        "AzureFunctionsJobHost__extensions__queues__batchSize": "",
    }
    apply_settings(
        {
            "AzureFunctionsJobHost__extensions__queues__maxDequeueCount": "7",
            "AzureFunctionsJobHost__extensions__queues__batchSize": "3",
            "AzureFunctionsJobHost__extensions__queues__visibilityTimeout": "00:00:01",
        },
        env,
    )
    queues = QueueSettings.from_host_json(apply_host_overrides(HOST_JSON, env))
    assert (queues.max_dequeue_count, queues.batch_size, queues.visibility_timeout) == (2, 3, timedelta(seconds=1))


def test_overridden_strings_parse_where_numbers_and_timespans_are_read(tmp_path: Path) -> None:
    env = {
        "AzureFunctionsJobHost__extensions__queues__maxPollingInterval": "00:00:02",
        "AzureFunctionsJobHost__extensions__queues__maxDequeueCount": " 3 ",
        "AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions": "2",
        "AzureFunctionsJobHost__extensions__durableTask__maxConcurrentOrchestratorFunctions": "1",
    }
    merged = apply_host_overrides(HOST_JSON, env)
    queues = QueueSettings.from_host_json(merged)
    assert (queues.max_polling_interval, queues.max_dequeue_count, queues.batch_size) == (timedelta(seconds=2), 3, 8)
    engine = DurableEngine(
        functions=[], state_dir=tmp_path, host_config=merged, public_base_url="http://127.0.0.1", system_key="k"
    )
    assert (engine.max_activities, engine.max_orchestrators, engine.task_hub) == (2, 1, "Hub")
    bad = apply_host_overrides(HOST_JSON, {"AzureFunctionsJobHost__extensions__queues__maxDequeueCount": "five"})
    with pytest.raises(ConfigError, match=r"extensions\.queues\.maxDequeueCount must be an integer, got 'five'"):
        QueueSettings.from_host_json(bad)


def test_local_settings_json_is_a_source_of_overrides(tmp_path: Path) -> None:
    from devhost.config import load_local_settings

    (tmp_path / "local.settings.json").write_text(
        json.dumps({"Values": {"AzureFunctionsJobHost__extensions__queues__maxDequeueCount": 2}})
    )
    env: dict[str, str] = {}
    apply_settings(load_local_settings(tmp_path), env)
    assert QueueSettings.from_host_json(apply_host_overrides(HOST_JSON, env)).max_dequeue_count == 2
