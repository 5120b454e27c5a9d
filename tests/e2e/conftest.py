"""The real app (`function_app.py` at the repo root, unchanged) under devhost, in a child process.

Each app gets its own temporary DATA_DIR (embedded SQLite store) and devhost state dir, storage on Azurite, and
`DEVHOST_TRUST_PRINCIPAL_HEADERS=1` so a test acts as any user by sending `X-MS-CLIENT-PRINCIPAL-ID` (as
EasyAuth would). `DEV_USER_ID` is unset: a request without a principal is anonymous (401).

Apps are shared per session (one offline, one on the OpenAI test server): starting one costs seconds. Tests on
a shared app use their own users or contracts, so they do not see each other's jobs.

The app directory is an overlay of the repo: every entry is a symlink to the repo's own (so `function_app.py`,
`host.json`, `api/`, `shared/`, ... are the real, unchanged files), without the repo's local state and
`local.settings.json`. Shorter queue timings (`visibilityTimeout` 1 s instead of 30 s, so a message that keeps
failing reaches the poison queue in seconds rather than minutes) are app settings, as they would be in Azure:
`AzureFunctionsJobHost__extensions__queues__visibilityTimeout` (see `TEST_HOST_OVERRIDES` in tests/e2e/app.py).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest

from tests.e2e.app import RunningApp, make_app, openai_settings
from tests.support.azurite import start_azurite
from tests.support.openai_server import OpenAITestServer


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
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failing test shows what the app under test logged (its devhost output), not just the HTTP symptom."""
    report = yield
    if report.failed:
        for name, value in getattr(item, "funcargs", {}).items():
            if isinstance(value, RunningApp):
                output = value.output()
                # A polling page floods the tail with INFO lines: the warnings, errors and tracebacks come first.
                problems = "\n".join(line for line in output.splitlines() if " INFO " not in line)
                report.sections.append((f"devhost warnings and errors of {name} (tail)", problems[-6000:]))
                report.sections.append((f"devhost output of {name} (tail)", output[-6000:]))
    return report
