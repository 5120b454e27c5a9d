"""The real app (`function_app.py` at the repo root, unchanged) under devhost, in a child process.

Each app gets its own temporary DATA_DIR (embedded SQLite store) and devhost state dir, storage on Azurite, and
`DEVHOST_TRUST_PRINCIPAL_HEADERS=1` so a test acts as any user by sending `X-MS-CLIENT-PRINCIPAL-ID` (as
EasyAuth would). `DEV_USER_ID` is unset: a request without a principal is anonymous (401).

Apps are shared per session (one offline, one on the OpenAI test server): starting one costs seconds. Tests on
a shared app use their own users or contracts, so they do not see each other's jobs.

The app directory is an overlay of the repo: every entry is a symlink to the repo's own (so `function_app.py`,
`api/`, `shared/`, ... are the real, unchanged files), except `host.json`, which is the repo's with shorter queue
timings (`visibilityTimeout` 1 s instead of 30 s), so a message that keeps failing reaches the poison queue in
seconds rather than minutes. In Azure the same override is an app setting
(`AzureFunctionsJobHost__extensions__queues__visibilityTimeout`), which devhost does not read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from devhost.process import DevHostProcess
from tests.e2e.helpers import REPO_ROOT, client_for
from tests.support.azurite import start_azurite
from tests.support.openai_server import OpenAITestServer

# Settings that must not leak from the developer's shell into the app under test.
_SCRUBBED_PREFIXES = ("LLM_", "OPENAI_", "AZURE_OPENAI_", "COSMOS_", "DEVHOST_", "JOB_")
_SCRUBBED = {"DEV_USER_ID", "DATA_DIR", "AzureWebJobsStorage", "WEBSITE_SITE_NAME", "QUERY_BATCH_TOKEN_THRESHOLD"}
# Where the app comes from (default: this checkout); lets the suite run against another working tree.
APP_SOURCE = Path(os.environ.get("E2E_APP_SOURCE", str(REPO_ROOT)))
_NOT_LINKED = {"host.json", ".devhost", ".data", ".git", "local.settings.json"}

TEST_MODEL_PRIMARY = "test-model-primary"
TEST_MODEL_SECONDARY = "test-model-secondary"
SYSTEM_KEY = "e2e-durable-system-key"  # what an operator's tools (the portal) authenticate Durable's API with
SMALL_CONTEXT_TOKENS = 7_000  # minus the 4,000-token output reserve: room for about one NDA per part


def overlay_app_dir(target: Path, source: Path = APP_SOURCE) -> Path:
    """`target` holding symlinks to every entry of `source`, plus host.json with test queue timings."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        if entry.name not in _NOT_LINKED:
            (target / entry.name).symlink_to(entry)
    host = json.loads((source / "host.json").read_text(encoding="utf-8"))
    queues = host.setdefault("extensions", {}).setdefault("queues", {})
    queues.update({"visibilityTimeout": "00:00:01", "maxPollingInterval": "00:00:01"})
    (target / "host.json").write_text(json.dumps(host, indent=2), encoding="utf-8")
    return target


def app_environment(data_dir: Path, storage: str, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED and not k.startswith(_SCRUBBED_PREFIXES)}
    env.update(
        {
            "DATA_DIR": str(data_dir),
            "AzureWebJobsStorage": storage,
            "DEVHOST_TRUST_PRINCIPAL_HEADERS": "1",
            "DEVHOST_SYSTEM_KEY": SYSTEM_KEY,
            "LLM_PROVIDER": "offline",
        }
    )
    env.update(settings)
    return env


def openai_settings(server: OpenAITestServer, **overrides: str) -> dict[str, str]:
    return {
        "LLM_PROVIDER": "openai",
        "OPENAI_BASE_URL": server.base_url,
        "OPENAI_API_KEY": "test",
        "OPENAI_MODEL_PRIMARY": TEST_MODEL_PRIMARY,
        "OPENAI_MODEL_SECONDARY": TEST_MODEL_SECONDARY,
        "LLM_TIMEOUT_SECONDS": "20",
        "LLM_MAX_RETRIES": "3",
        # A small secondary model: a query on it over a few NDAs must be split into parts (map) and combined.
        "LLM_CONTEXT_TOKENS_SECONDARY": str(SMALL_CONTEXT_TOKENS),
        **overrides,
    }


@dataclass
class RunningApp:
    """One devhost child process running the app, with the folders it keeps its state in."""

    app_dir: Path
    state_dir: Path
    data_dir: Path
    env: dict[str, str]
    process: DevHostProcess | None = None

    @property
    def base_url(self) -> str:
        assert self.process is not None, "app not started"
        return self.process.base_url

    @property
    def durable_db(self) -> Path:
        return self.state_dir / "durable.sqlite3"

    def start(self) -> RunningApp:
        self.process = DevHostProcess(self.app_dir, self.state_dir, env=self.env).start()
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, in-flight work is lost mid-step (a crashed worker)."""
        assert self.process is not None and self.process.process is not None
        self.process.process.kill()
        self.process.process.wait(timeout=10)

    def client(self, user: str | None) -> httpx.Client:
        return client_for(self.base_url, user)

    def output(self) -> str:
        return self.process.output if self.process is not None else ""


def make_app(root: Path, storage: str, **settings: str) -> RunningApp:
    root.mkdir(parents=True, exist_ok=True)
    data_dir = root / "data"
    return RunningApp(
        app_dir=overlay_app_dir(root / "app"),
        state_dir=root / "state",
        data_dir=data_dir,
        env=app_environment(data_dir, storage, **settings),
    )


@pytest.fixture(scope="session")
def private_azurite() -> Iterator[str]:
    """A second Azurite for the apps on the OpenAI test server: both apps listen on `job-requests`, and a queue
    test must know which app takes its message."""
    with start_azurite() as connection:
        yield connection


@pytest.fixture(scope="session")
def offline_app(tmp_path_factory: pytest.TempPathFactory, azurite_connection_string: str) -> Iterator[RunningApp]:
    app = make_app(tmp_path_factory.mktemp("offline-app"), azurite_connection_string).start()
    yield app
    app.stop()


@pytest.fixture(scope="session")
def openai_app(
    tmp_path_factory: pytest.TempPathFactory, private_azurite: str, _openai_server_session: OpenAITestServer
) -> Iterator[RunningApp]:
    app = make_app(
        tmp_path_factory.mktemp("openai-app"), private_azurite, **openai_settings(_openai_server_session)
    ).start()
    yield app
    app.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    """A failing test shows what the app under test logged (its devhost output), not just the HTTP symptom."""
    report: pytest.TestReport = yield
    if report.failed:
        for name, value in getattr(item, "funcargs", {}).items():
            if isinstance(value, RunningApp):
                report.sections.append((f"devhost output of {name} (tail)", value.output()[-6000:]))
    return report
