"""Running the real app under devhost for end-to-end tests and benchmarks (see tests/e2e/conftest.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import httpx

from devhost.process import DevHostProcess
from tests.e2e.helpers import REPO_ROOT, client_for
from tests.support.openai_server import OpenAITestServer

# Settings that must not leak from the developer's shell into the app under test.
_SCRUBBED_PREFIXES = (
    "LLM_",
    "OPENAI_",
    "AZURE_OPENAI_",
    "COSMOS_",
    "DEVHOST_",
    "JOB_",
    "AzureFunctionsJobHost__",
    "WEBSITE_",  # a platform variable makes the app "not a local host" (shared/hosting.py): every caller 401
)
_SCRUBBED = {
    "DEV_USER_ID",
    "DATA_DIR",
    "AzureWebJobsStorage",
    "DOCUMENTS_STORAGE",
    "QUERY_BATCH_TOKEN_THRESHOLD",
}
# Where the app comes from (default: this checkout); lets the suite run against another working tree.
APP_SOURCE = Path(os.environ.get("E2E_APP_SOURCE", str(REPO_ROOT)))
_NOT_LINKED = {".devhost", ".data", ".git", "local.settings.json"}
# The repo's host.json with shorter queue timings, as app settings (the way one overrides host.json in Azure): a
# message that keeps failing is visible again after 1 s instead of 30 s, so it reaches the poison queue in seconds.
TEST_HOST_OVERRIDES = {
    "AzureFunctionsJobHost__extensions__queues__visibilityTimeout": "00:00:01",
    "AzureFunctionsJobHost__extensions__queues__maxPollingInterval": "00:00:01",
}

TEST_MODEL_PRIMARY = "test-model-primary"
TEST_MODEL_SECONDARY = "test-model-secondary"
SYSTEM_KEY = "e2e-durable-system-key"  # what an operator's tools (the portal) authenticate Durable's API with
SMALL_CONTEXT_TOKENS = 7_000  # minus the 4,000-token output reserve: room for about one NDA per part


def overlay_app_dir(target: Path, source: Path = APP_SOURCE) -> Path:
    """`target` holding symlinks to every entry of `source` but its local state and local settings."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        if entry.name not in _NOT_LINKED:
            (target / entry.name).symlink_to(entry)
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
            "PYTHON_THREADPOOL_THREAD_COUNT": "32",  # as the Bicep sets it (infra/modules/function-app.bicep)
            **TEST_HOST_OVERRIDES,
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
    devhost_root: Path | None = None  # where devhost comes from (default: this checkout)

    @property
    def base_url(self) -> str:
        assert self.process is not None, "app not started"
        return self.process.base_url

    @property
    def durable_db(self) -> Path:
        return self.state_dir / "durable.sqlite3"

    def start(self) -> RunningApp:
        self.process = DevHostProcess(
            self.app_dir, self.state_dir, env=self.env, devhost_root=self.devhost_root
        ).start()
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
    return make_app_of(APP_SOURCE, root, storage, settings, own_devhost=False)


def make_app_of(
    source: Path, root: Path, storage: str, settings: dict[str, str], *, own_devhost: bool = True
) -> RunningApp:
    """The app of the working tree `source` under devhost; with `own_devhost`, that tree's devhost too (a benchmark
    of another tree: the branch point, say)."""
    root.mkdir(parents=True, exist_ok=True)
    data_dir = root / "data"
    return RunningApp(
        app_dir=overlay_app_dir(root / "app", source),
        state_dir=root / "state",
        data_dir=data_dir,
        env=app_environment(data_dir, storage, **settings),
        devhost_root=source if own_devhost else None,
    )
