"""Load host.json and local.settings.json the way `func start` does, and prepare the worker's environment."""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import sys
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from devhost.timespan import try_parse_timespan

logger = logging.getLogger("devhost")

# Azurite's well-known development account; `UseDevelopmentStorage=true` means exactly this.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
AZURITE_CONNECTION_STRING = (
    "DefaultEndpointsProtocol=http;"
    f"AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
    f"BlobEndpoint=http://127.0.0.1:10000/{AZURITE_ACCOUNT};"
    f"QueueEndpoint=http://127.0.0.1:10001/{AZURITE_ACCOUNT};"
    f"TableEndpoint=http://127.0.0.1:10002/{AZURITE_ACCOUNT};"
)


class ConfigError(Exception):
    """host.json / local.settings.json is unreadable or holds a value devhost cannot use."""


class SettingMissingError(ConfigError):
    def __init__(self, name: str, purpose: str) -> None:
        super().__init__(f"app setting {name!r} is not set (needed for {purpose})")
        self.name = name


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object, not {type(data).__name__}")
    return data


def load_host_json(app_dir: Path) -> dict[str, Any]:
    """host.json of the app; a missing file means all defaults (as the Functions host treats it)."""
    path = app_dir / "host.json"
    return _read_json(path) if path.exists() else {"version": "2.0"}


HOST_OVERRIDE_PREFIX = "AzureFunctionsJobHost__"


def host_json_overrides(environ: Mapping[str, str]) -> dict[str, list[str]]:
    """App settings that override host.json: `AzureFunctionsJobHost__<key>__<key>...` (`__` is one level).

    Maps each setting name to its key path. The prefix is matched case-insensitively, as the host's configuration
    does; empty values count as unset (as every devhost setting does) and names with an empty key are skipped.
    """
    found: dict[str, list[str]] = {}
    for name, value in environ.items():
        if not name.lower().startswith(HOST_OVERRIDE_PREFIX.lower()) or value == "":
            continue
        path = name[len(HOST_OVERRIDE_PREFIX) :].split("__")
        if not all(path):
            logger.warning("ignoring app setting %r: it names no host.json key", name)
            continue
        found[name] = path
    return found


def _matching_key(node: dict[str, Any], key: str) -> str:
    """The existing key of `node` that `key` names (keys are case-insensitive in the host's configuration)."""
    for existing in node:
        if existing.lower() == key.lower():
            return existing
    return key


def apply_host_overrides(host_json: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """host.json with the `AzureFunctionsJobHost__*` settings of `environ` merged in (a new dict).

    Values stay strings, as in the host's configuration (host.json values are strings there too): the readers
    readers (`config_int`, `parse_timespan`) accept them. A path may create sections host.json lacks; a number indexes
    an array (`AzureFunctionsJobHost__functions__0`). Deeper paths are applied last, so they win over a scalar
    set on their parent.
    """
    merged = copy.deepcopy(host_json)
    overrides = host_json_overrides(environ)

    def order(item: tuple[str, list[str]]) -> tuple[int, list[tuple[int, str]]]:
        # Parents before children; array indexes in numeric order, so `__10` comes after `__9`.
        return len(item[1]), [(int(k), "") if k.isdigit() else (-1, k.lower()) for k in item[1]]

    for name, path in sorted(overrides.items(), key=order):
        value = environ[name]
        node: Any = merged
        for depth, key in enumerate(path):
            last = depth == len(path) - 1
            if isinstance(node, list):
                if not key.isdigit() or int(key) > len(node):
                    logger.warning("ignoring app setting %r: %r is not an index of that array", name, key)
                    break
                index = int(key)
                if index == len(node):
                    node.append(None)
                if last:
                    node[index] = value
                elif not isinstance(node[index], (dict, list)):
                    node[index] = [] if path[depth + 1].isdigit() else {}
                node = node[index]
                continue
            key = _matching_key(node, key)
            if last:
                if isinstance(node.get(key), (dict, list)):
                    logger.warning("ignoring app setting %r: host.json has a section there, not a value", name)
                    break
                node[key] = value
            else:
                if not isinstance(node.get(key), (dict, list)):
                    node[key] = [] if path[depth + 1].isdigit() else {}
                node = node[key]
        else:
            logger.info("host.json: %s overridden by app setting %s", ".".join(path), name)
    return merged


def load_local_settings(app_dir: Path) -> dict[str, str]:
    """`Values` of local.settings.json (never deployed; Azure reads App Settings instead)."""
    path = app_dir / "local.settings.json"
    if not path.exists():
        return {}
    values = _read_json(path).get("Values") or {}
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: 'Values' must be an object")
    # Core Tools stringifies scalar values; do the same so `"X": 1` still reaches os.environ.
    return {str(k): "" if v is None else str(v) for k, v in values.items()}


def apply_settings(values: dict[str, str], environ: MutableMapping[str, str]) -> list[str]:
    """Copy local settings into the environment; a variable already set (non-empty) wins, as with `func start`.

    Returns the names that were set. Empty values are skipped: an empty app setting behaves as unset.
    """
    applied: list[str] = []
    for name, value in values.items():
        if value == "" or environ.get(name):
            continue
        environ[name] = value
        applied.append(name)
    return applied


def apply_worker_environment(environ: MutableMapping[str, str], app_dir: Path, base_url: str) -> None:
    """Variables the Functions host/Python worker put in the worker's environment before importing the app."""
    defaults = {
        "FUNCTIONS_WORKER_RUNTIME": "python",
        "FUNCTIONS_EXTENSION_VERSION": "~4",
        "AzureWebJobsScriptRoot": str(app_dir),
        "WEBSITE_HOSTNAME": base_url.split("://", 1)[-1],
    }
    # The worker only indexes v2 apps at init with this flag on Python <= 3.12 (3.13+ always does).
    if sys.version_info < (3, 13):
        defaults["PYTHON_ENABLE_INIT_INDEXING"] = "1"
    for name, value in defaults.items():
        if not environ.get(name):
            environ[name] = value


def parse_timespan(text: str) -> timedelta:
    """.NET TimeSpan text as host.json uses it: `hh:mm:ss[.fff]` or `d.hh:mm:ss`."""
    span = try_parse_timespan(text)
    if span is None:
        raise ConfigError(f"not a TimeSpan (expected hh:mm:ss): {text!r}")
    return span


def worker_threads(environ: Mapping[str, str]) -> int:
    """Threads of the Python worker's pool for sync functions (HTTP, queue, timer, activity and orchestrator alike):
    PYTHON_THREADPOOL_THREAD_COUNT (1 to 32), else what Python 3.9+ workers leave it to, ThreadPoolExecutor's
    default min(32, cores + 4)."""
    text = (environ.get("PYTHON_THREADPOOL_THREAD_COUNT") or "").strip()
    if text:
        return max(1, min(32, int(text)))
    return min(32, (os.cpu_count() or 1) + 4)


def config_int(section: Mapping[str, Any], key: str, default: int, where: str) -> int:
    """An integer of host.json: a JSON number, or text such as an `AzureFunctionsJobHost__*` override gives."""
    value = section.get(key)
    if value is None or value == "":
        return default
    try:
        return int(str(value).strip()) if isinstance(value, str) else int(value)
    except ValueError:
        raise ConfigError(f"{where}.{key} must be an integer, got {value!r}") from None


def _section(host_json: dict[str, Any], *path: str) -> dict[str, Any]:
    node: Any = host_json
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def route_prefix(host_json: dict[str, Any]) -> str:
    """`extensions.http.routePrefix`: default "api"; "" puts routes at the root."""
    prefix = _section(host_json, "extensions", "http").get("routePrefix", "api")
    return str(prefix).strip("/")


@dataclass(frozen=True)
class QueueSettings:
    """`extensions.queues` of host.json, with the Functions host's defaults."""

    max_polling_interval: timedelta = timedelta(minutes=1)
    visibility_timeout: timedelta = timedelta(0)
    """Delay before a failed message becomes visible again (not the lease while it runs)."""
    batch_size: int = 16
    max_dequeue_count: int = 5
    new_batch_threshold: int | None = None
    message_encoding: str = "base64"

    @classmethod
    def from_host_json(cls, host_json: dict[str, Any]) -> QueueSettings:
        section = _section(host_json, "extensions", "queues")
        base = cls()
        batch_size = config_int(section, "batchSize", base.batch_size, "extensions.queues")
        if not 1 <= batch_size <= 32:
            raise ConfigError(f"extensions.queues.batchSize must be 1..32, got {batch_size}")
        encoding = str(section.get("messageEncoding", base.message_encoding)).lower()
        if encoding not in ("base64", "none"):
            raise ConfigError(f"extensions.queues.messageEncoding must be base64 or none, got {encoding!r}")
        return cls(
            max_polling_interval=parse_timespan(str(section["maxPollingInterval"]))
            if "maxPollingInterval" in section
            else base.max_polling_interval,
            visibility_timeout=parse_timespan(str(section["visibilityTimeout"]))
            if "visibilityTimeout" in section
            else base.visibility_timeout,
            batch_size=batch_size,
            max_dequeue_count=config_int(section, "maxDequeueCount", base.max_dequeue_count, "extensions.queues"),
            message_encoding=encoding,
        )


_SETTING_EXPR = re.compile(r"%([^%]+)%")


def resolve_setting_expressions(text: str, environ: MutableMapping[str, str] | None = None) -> str:
    """Binding expressions like `%QueueName%` are replaced by app settings, as the host does at indexing."""
    env = os.environ if environ is None else environ

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        value = env.get(name)
        if not value:
            raise SettingMissingError(name, f"binding expression {text!r}")
        return value

    return _SETTING_EXPR.sub(lookup, text)


def storage_connection_string(setting: str | None, environ: MutableMapping[str, str] | None = None) -> str:
    """Connection string for a binding's `connection` (default AzureWebJobsStorage).

    The host looks up the setting itself, then `AzureWebJobs<name>`; `UseDevelopmentStorage=true` means Azurite.
    """
    env = os.environ if environ is None else environ
    name = setting or "AzureWebJobsStorage"
    value = env.get(name) or env.get(f"AzureWebJobs{name}")
    if not value:
        raise SettingMissingError(name, "a storage connection")
    if value.strip().rstrip(";").lower() == "usedevelopmentstorage=true":
        return AZURITE_CONNECTION_STRING
    return value
