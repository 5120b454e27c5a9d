"""Hostile tenants, end to end: each test sends one attack through the HTTP API of the real app under devhost (its
own SQLite store, Azurite for blobs and queues, the OpenAI-compatible test server as the model), checks the clear
answer and how long it took, and that another user's cheap request kept being answered meanwhile
(tests/support/responsiveness.py: `Bystander`, `Stopwatch`).

Tests are named by attack (test_regex_patterns.py, test_document_bombs.py, ...). The app is shared by the session
and runs with short reading limits, so an attack that hits one costs seconds, not the defaults' ten:
READING_TIMEOUT_SECONDS and READING_MEMORY_MB in tests/security/helpers.py, with what the tests share.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.app import RunningApp, make_app, openai_settings
from tests.security.helpers import SECURITY_SETTINGS
from tests.support.openai_server import OpenAITestServer


@pytest.fixture(scope="session")
def security_app(
    tmp_path_factory: pytest.TempPathFactory,
    azurite_connection_string: str,
    _openai_server_session: OpenAITestServer,
) -> Iterator[RunningApp]:
    app = make_app(
        tmp_path_factory.mktemp("security-app"),
        azurite_connection_string,
        **openai_settings(_openai_server_session, **SECURITY_SETTINGS),
    ).start()
    yield app
    app.stop()
