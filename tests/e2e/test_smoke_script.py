"""scripts/smoke.py (what a user runs after `azd up`, and azd's postdeploy hook) against the app under devhost, as a
local run has it: no principal header and no token, the caller is DEV_USER_ID. It cannot rot: it runs here."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.app import RunningApp, make_app
from tests.e2e.helpers import REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.azurite]

SMOKE = REPO_ROOT / "scripts" / "smoke.py"
DEV_USER = "smoke-dev-user"


@pytest.fixture(scope="module")
def dev_app(tmp_path_factory: pytest.TempPathFactory, azurite_connection_string: str) -> Iterator[RunningApp]:
    # As local.settings.json has it: principal headers not trusted, DEV_USER_ID assumed for every caller.
    app = make_app(
        tmp_path_factory.mktemp("smoke-app"),
        azurite_connection_string,
        DEV_USER_ID=DEV_USER,
        DEVHOST_TRUST_PRINCIPAL_HEADERS="",
    ).start()
    yield app
    app.stop()


def run_smoke(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SMOKE), *args], capture_output=True, text=True, timeout=timeout, cwd=Path("/"), check=False
    )


def test_the_walkthrough_passes_against_devhost(dev_app: RunningApp) -> None:
    done = run_smoke(dev_app.base_url, "--timeout", "180")

    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "ok  health: healthy"  # the checks are for the ops role (DEV_OPS is not set here)
    assert sum(line.startswith("ok  uploaded ") for line in lines) == 2
    assert any(line.startswith("ok  submitted comparison job ") for line in lines)
    assert any(line.startswith("ok  followed the stream: ") and line.endswith("ended completed") for line in lines)
    assert any(line.startswith("ok  read result ") and "clause findings" in line for line in lines)
    assert any(line.startswith("ok  listed jobs: ") for line in lines)
    assert lines[-1].startswith(f"smoke passed against {dev_app.base_url}")
    # It cleaned up after itself (as the development user), and the job it ran is the caller's.
    with httpx.Client(base_url=dev_app.base_url) as client:
        titles = [c["title"] for c in client.get("/api/contracts").json()["contracts"]]
        jobs = client.get("/api/jobs").json()["jobs"]
    assert not any(title.startswith("Smoke ") for title in titles)
    assert jobs and all(job["user_id"] == DEV_USER for job in jobs)


def test_a_failing_step_fails_the_script(dev_app: RunningApp) -> None:
    # The API root but one level off: the health check is 404, and the script says so and exits 1.
    done = run_smoke(dev_app.base_url + "/api/nowhere", "--timeout", "30")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL SmokeFailed: GET jobs/health: HTTP 404" in done.stderr
