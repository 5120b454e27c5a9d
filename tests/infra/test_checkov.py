"""checkov parses every Bicep file under infra/ with its Bicep parser and runs its Azure policies: no parse error,
no failed check, and every skipped policy skipped inline in the Bicep with a reason (`// checkov:skip=ID: why`).

checkov lives in .venv-checkov (scripts/bootstrap.sh; its pins would downgrade .venv); CHECKOV_BIN points elsewhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.prerequisites import require

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"


def checkov_bin() -> str | None:
    configured = os.environ.get("CHECKOV_BIN")
    if configured:
        return configured
    local = ROOT / ".venv-checkov" / "bin" / "checkov"
    return str(local) if local.exists() else shutil.which("checkov")


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    binary = checkov_bin()
    require(binary, "checkov is not installed (scripts/bootstrap.sh puts it in .venv-checkov)")
    assert binary is not None
    # --skip-download: offline, no platform look-ups (CI has no network beyond the package registries).
    completed = subprocess.run(
        [binary, "-d", str(INFRA), "--framework", "bicep", "-o", "json", "--skip-download"],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
        check=False,
    )
    # Exit code 1 means "a check failed"; anything else non-zero is checkov itself failing.
    assert completed.returncode in (0, 1), completed.stderr[-4000:]
    parsed = json.loads(completed.stdout)
    result: dict[str, Any] = parsed[0] if isinstance(parsed, list) else parsed
    assert result.get("check_type") == "bicep", result
    return result


def bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


def test_every_bicep_file_parses(report: dict[str, Any]) -> None:
    assert report["results"]["parsing_errors"] == []
    # The files holding resources checkov has Azure policies for were read and checked (a file it cannot parse is
    # listed above; one that it silently skipped would be missing here).
    seen = {
        entry["file_path"].lstrip("/")
        for kind in ("passed_checks", "skipped_checks")
        for entry in report["results"][kind]
    }
    assert {
        "main.bicep",
        "modules/storage.bicep",
        "modules/cosmos.bicep",
        "modules/openai.bicep",
        "modules/function-app.bicep",
    } <= seen
    assert report["summary"]["resource_count"] >= 20


def test_no_check_fails(report: dict[str, Any]) -> None:
    failed = [
        f"{entry['check_id']} {entry['resource']} ({entry['file_path']}): {entry['check_name']}"
        for entry in report["results"]["failed_checks"]
    ]
    assert failed == []
    assert report["summary"]["failed"] == 0
    assert report["summary"]["passed"] >= 20


def test_the_keyless_policies_are_checked_and_pass(report: dict[str, Any]) -> None:
    passed = {entry["check_id"] for entry in report["results"]["passed_checks"]}
    # Cosmos DB local auth off, Cognitive Services local auth off, no management-plane key writes, HTTPS only,
    # TLS 1.2, EasyAuth v2 on, managed identity on the app, no public blob containers.
    assert {
        "CKV_AZURE_140",
        "CKV_AZURE_236",
        "CKV_AZURE_132",
        "CKV_AZURE_70",
        "CKV_AZURE_44",
        "CKV_AZURE_145",
        "CKV_AZURE_56",
        "CKV_AZURE_71",
        "CKV_AZURE_34",
        "CKV_AZURE_3",
        "CKV_AZURE_131",
    } <= passed


def test_every_skip_is_inline_with_a_reason(report: dict[str, Any]) -> None:
    skipped = report["results"]["skipped_checks"]
    assert skipped, "the skips documented in README should show up here"
    for entry in skipped:
        reason = (entry["check_result"].get("suppress_comment") or "").strip()
        assert len(reason) >= 40, f"{entry['check_id']} on {entry['resource']} is skipped without a real reason"
    inline = sum(p.read_text().count("// checkov:skip=") for p in bicep_files())
    assert inline == len(skipped)  # no skip that matches nothing, no skip from anywhere but the Bicep
