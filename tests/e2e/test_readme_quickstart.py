"""The README quickstart exactly as a newcomer runs it: local settings from the sample (so the caller is
DEV_USER_ID, no principal header), the sample contracts loaded by scripts/load_sample_data.py, then the
walkthrough's requests — contracts picked by title, a comparison submitted, its statusQueryGetUri polled,
its result read."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.e2e.app import RunningApp, make_app
from tests.e2e.helpers import REPO_ROOT, finding, get_json, result_of, wait_for_job

pytestmark = [pytest.mark.slow, pytest.mark.azurite]


def readme_titles() -> tuple[str, str]:
    """The contract titles the README's walkthrough picks (standard, then variant), so the two stay in sync."""
    titles = re.findall(r"c\['title'\]=='([^']+)'", (REPO_ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(titles) >= 2, "the README walkthrough no longer picks contracts by title"
    return titles[0], titles[1]


@pytest.fixture(scope="module")
def local_app(tmp_path_factory: pytest.TempPathFactory, private_azurite: str) -> Iterator[RunningApp]:
    app = make_app(tmp_path_factory.mktemp("readme-app"), private_azurite)
    # As scripts/run.sh does on first run; the sample's DEV_USER_ID becomes the caller.
    shutil.copy(REPO_ROOT / "local.settings.sample.json", app.app_dir / "local.settings.json")
    app.env.pop("DEVHOST_TRUST_PRINCIPAL_HEADERS")
    app.start()
    yield app
    app.stop()


def load_sample_data(app: RunningApp) -> subprocess.CompletedProcess[str]:
    """scripts/load_sample_data.py against the app, as run.sh runs it; it must succeed."""
    loaded = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "load_sample_data.py"), "--base-url", app.base_url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    return loaded


def test_readme_walkthrough(local_app: RunningApp) -> None:
    loaded = load_sample_data(local_app)
    std_title, var_title = readme_titles()
    assert std_title in loaded.stdout and var_title in loaded.stdout, loaded.stdout

    with local_app.client(None) as client:  # no principal: the local development user
        contracts = get_json(client, "/api/contracts")["contracts"]
        # As the README's commands do: the first contract listed with each title.
        std = next(c["contract_id"] for c in contracts if c["title"] == std_title)
        var = next(c["contract_id"] for c in contracts if c["title"] == var_title)
        assert [c["title"] for c in contracts].count(std_title) == 1, "the README would pick one of several"
        reply = client.post(
            "/api/jobs/comparison",
            json={"request": {"standardContractId": std, "compareContractIds": [var]}, "priority": 5},
        )
        assert reply.status_code == 202, reply.text
        watch = wait_for_job(client, reply.json()["statusQueryGetUri"])
        assert watch.final["status"] == "completed", watch.final
        result = result_of(client, watch)["result"]
        assert get_json(client, f"/api/jobs/{watch.final['job_id']}")["user_id"] == "dev-user"

    [comparison] = result["comparisons"]
    law = finding(comparison, "Governing Law")  # the README's promise: Delaware -> New York (high)
    assert (law["status"], law["severity"]) == ("modified", "high")
    assert "Delaware" in law["standard_excerpt"] and "New York" in law["compared_excerpt"]
    assert finding(comparison, "Non-Solicitation")["status"] == "added"
    term = finding(comparison, "Term")
    assert "five (5) years" in term["standard_excerpt"] and "two (2) years" in term["compared_excerpt"]

    # Loading again is idempotent (by title): nothing is uploaded twice.
    load_sample_data(local_app)
    with local_app.client(None) as client:
        assert len(get_json(client, "/api/contracts")["contracts"]) == len(contracts)


def readme_walkthrough() -> str:
    """The walkthrough's bash block, exactly as the README shows it."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    after = readme[readme.index("A first walkthrough") :]
    block = after[after.index("```bash\n") + len("```bash\n") :]
    return block[: block.index("\n```")]


def test_the_readme_walkthrough_runs_as_written_in_bash(local_app: RunningApp) -> None:
    """The block pasted into bash, with PORT set as the README says: every command works (ids are captured in
    variables, nothing is a placeholder), and the result it prints is the one the README promises."""
    load_sample_data(local_app)
    port = local_app.base_url.rsplit(":", 1)[1].rstrip("/")
    ran = subprocess.run(
        ["bash", "-eu", "-c", readme_walkthrough()],
        env={"PATH": os.environ["PATH"], "PORT": port, "HOME": os.environ.get("HOME", "/tmp")},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert '"runtimeStatus": "Completed"' in ran.stdout
    assert "Governing Law" in ran.stdout and "New York" in ran.stdout, ran.stdout
