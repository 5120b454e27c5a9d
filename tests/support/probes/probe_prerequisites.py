"""Tests run only by tests/support/test_prerequisites.py, each in a child pytest session that names it.

The file name does not match pytest's `test_*.py`, so the suite itself never collects these: they skip or fail on
purpose, to show what a run with a missing test server looks like.
"""

from __future__ import annotations

import pytest

PLAIN_SKIP_REASON = "a skip that bypasses tests/support/prerequisites.py"


def test_needs_azurite(azurite_connection_string: str) -> None:
    assert azurite_connection_string


def test_also_needs_azurite(azurite_connection_string: str) -> None:
    assert azurite_connection_string


def test_needs_the_cosmos_server(cosmos_server: tuple[str, str]) -> None:
    assert cosmos_server


def test_skips_by_itself() -> None:
    pytest.skip(PLAIN_SKIP_REASON)


def test_runs() -> None:
    assert True
