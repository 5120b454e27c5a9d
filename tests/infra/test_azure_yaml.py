"""azure.yaml against the Azure Developer CLI's published JSON schema (vendored: azure.yaml.schema.SOURCE.md), and
what azd needs of it for this app: one Python service on Azure Functions, deployed from the repo root, provisioned
from infra/main.bicep, with the smoke script as the postdeploy hook."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Path(__file__).with_name("azure.yaml.schema.json")


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["$id"].endswith("/schemas/v1.0/azure.yaml.json")
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    # Offline: the schema's few remote references (azd extensions' AI hosts) are never fetched.
    registry: Registry[Any] = Registry(retrieve=refuse_remote)
    return cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)


def refuse_remote(uri: str) -> Resource[Any]:
    raise NoSuchResource(ref=uri)


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "azure.yaml").read_text(encoding="utf-8"))
    return loaded


def errors(validator: jsonschema.protocols.Validator, document: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_azure_yaml_is_valid(validator: jsonschema.protocols.Validator, config: dict[str, Any]) -> None:
    assert errors(validator, config) == []


def test_the_schema_catches_what_azd_would_refuse(
    validator: jsonschema.protocols.Validator, config: dict[str, Any]
) -> None:
    # The check can fail: no service, an upper-case name, a hook azd does not know.
    broken = copy.deepcopy(config)
    broken["services"] = {}
    assert errors(validator, broken) == ["services: {} should be non-empty"]
    broken = copy.deepcopy(config)
    broken["name"] = "Contract Jobs"
    assert errors(validator, broken)
    broken = copy.deepcopy(config)
    broken["hooks"]["afterdeploy"] = broken["hooks"].pop("postdeploy")
    assert errors(validator, broken)


def test_one_python_function_app_from_the_repo_root(config: dict[str, Any]) -> None:
    assert config["services"] == {"api": {"project": ".", "language": "python", "host": "function"}}
    assert (ROOT / config["infra"]["path"] / f"{config['infra']['module']}.bicep").is_file()
    # azd finds the app by the tag azd-service-name = the service's name.
    assert "'azd-service-name': serviceName" in (ROOT / "infra" / "main.bicep").read_text()
    assert "var serviceName = 'api'" in (ROOT / "infra" / "main.bicep").read_text()


def test_the_postdeploy_hook_runs_the_smoke_script(config: dict[str, Any]) -> None:
    hook = config["hooks"]["postdeploy"]
    for platform in ("posix", "windows"):
        assert "scripts/smoke.py" in hook[platform]["run"]
        assert "SERVICE_API_URI" in hook[platform]["run"]  # an output of infra/main.bicep
    assert "output SERVICE_API_URI string" in (ROOT / "infra" / "main.bicep").read_text()
    assert (ROOT / "scripts" / "smoke.py").is_file()
