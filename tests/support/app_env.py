"""pytest fixtures for tests that run activities, orchestrators or pipeline steps in-process: the app's
process-wide settings, stores and clients pointed at a throwaway SQLite directory with the offline analyzer.

Import them into a directory's conftest.py (`from tests.support.app_env import repos, settings`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.analysis.factory import reset_analyzer
from shared.jobs import events
from shared.settings import Settings, use_settings
from shared.storage.base import Repositories
from shared.storage.factory import get_repositories, reset_repositories


def _reset_process_state() -> None:
    reset_repositories()
    reset_analyzer()
    events.reset_clients()


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    """Offline analyzer, SQLite under tmp_path, no storage account (job events are skipped with a warning)."""
    configured = Settings(data_dir=tmp_path / "data", llm_provider="offline")
    use_settings(configured)
    _reset_process_state()
    yield configured
    use_settings(None)
    _reset_process_state()


@pytest.fixture
def repos(settings: Settings) -> Repositories:
    return get_repositories()
