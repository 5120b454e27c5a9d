"""The app under devhost for the attacks in tests/security/: each module starts its own (with the settings the
attack needs) on its own Azurite, so no other test's app takes its queue messages and no setting leaks."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from tests.e2e.app import RunningApp, make_app
from tests.support.azurite import start_azurite


@contextlib.contextmanager
def running_app(root: Path, **settings: str) -> Iterator[RunningApp]:
    with start_azurite() as storage:
        app = make_app(root, storage, **settings).start()
        try:
            yield app
        finally:
            app.stop()
