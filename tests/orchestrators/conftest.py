from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared import events
from shared.analysis.factory import reset_analyzer
from shared.settings import Settings, use_settings
from shared.storage.base import Repositories
from shared.storage.factory import get_repositories, reset_repositories


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    """Offline analyzer, SQLite under tmp_path, no storage account (job events are skipped with a warning)."""
    configured = Settings(data_dir=tmp_path / "data", llm_provider="offline")
    use_settings(configured)
    reset_repositories()
    reset_analyzer()
    events.reset_clients()
    yield configured
    use_settings(None)
    reset_repositories()
    reset_analyzer()
    events.reset_clients()


@pytest.fixture
def repos(settings: Settings) -> Repositories:
    return get_repositories()
