"""A missing test server is a skip locally and a failure under CI=true; a CI session with any skip fails.

The session-level checks run a small pytest session in a child process over tests/support/probes, with the test
servers pointed at paths that do not exist (AZURITE_QUEUE_BIN, COSMOS_SERVER_PACKAGE).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.prerequisites import require, unavailable
from tests.support.probes.probe_prerequisites import PLAIN_SKIP_REASON

REPO_ROOT = Path(__file__).resolve().parents[2]
PROBES = "tests/support/probes/probe_prerequisites.py"
MISSING_AZURITE = "/nonexistent/node_modules/.bin/azurite-queue"
MISSING_COSMOS = "/nonexistent/node_modules/@vercel/cosmosdb-server"
AZURITE_REASON = f"Azurite is not installed ({MISSING_AZURITE} missing); run `npm install`"
COSMOS_REASON = f"@vercel/cosmosdb-server is not installed ({MISSING_COSMOS} missing); run `npm install`"


def run_probes(*tests: str, ci: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    env.update({"AZURITE_QUEUE_BIN": MISSING_AZURITE, "COSMOS_SERVER_PACKAGE": MISSING_COSMOS})
    if ci:
        env["CI"] = "true"
    args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *(f"{PROBES}::{test}" for test in tests)]
    return subprocess.run(args, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


# --- the helper ---------------------------------------------------------------------------------------------------


def test_unavailable_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no server"):
        unavailable("no server")


@pytest.mark.parametrize("value", ["true", "TRUE", "1"])
def test_unavailable_fails_under_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="no server"):
        unavailable("no server")


def test_ci_false_is_local(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        require(False, "no server")


def test_require_passes_when_the_condition_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    require(True, "never shown")


# --- whole sessions -----------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_missing_azurite_fails_a_ci_run_with_the_reason() -> None:
    run = run_probes("test_needs_azurite", "test_runs", ci=True)
    assert run.returncode != 0, run.stdout
    assert AZURITE_REASON in run.stdout
    assert "skipped" not in run.stdout.splitlines()[-1]  # failed, not skipped


@pytest.mark.slow
def test_missing_cosmos_server_fails_a_ci_run_with_the_reason() -> None:
    run = run_probes("test_needs_the_cosmos_server", ci=True)
    assert run.returncode != 0, run.stdout
    assert COSMOS_REASON in run.stdout


@pytest.mark.slow
def test_missing_azurite_is_a_skip_locally_counted_in_the_summary() -> None:
    run = run_probes("test_needs_azurite", "test_also_needs_azurite", "test_runs", ci=False)
    assert run.returncode == 0, run.stdout
    assert f"2 skipped: {AZURITE_REASON} (x2)" in run.stdout


@pytest.mark.slow
def test_any_skip_fails_a_ci_session_and_says_why() -> None:
    # A skip that does not go through tests/support/prerequisites.py (a future `skipif`, say).
    run = run_probes("test_skips_by_itself", "test_runs", ci=True)
    assert run.returncode != 0, run.stdout
    assert f"1 skipped: {PLAIN_SKIP_REASON} (x1)" in run.stdout
    assert "CI=true: the run fails because 1 test(s) were skipped" in run.stdout


@pytest.mark.slow
def test_the_same_skip_passes_locally() -> None:
    run = run_probes("test_skips_by_itself", "test_runs", ci=False)
    assert run.returncode == 0, run.stdout
    assert f"1 skipped: {PLAIN_SKIP_REASON} (x1)" in run.stdout
    assert "CI=true" not in run.stdout
