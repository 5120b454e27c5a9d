"""What a test needs but the machine may lack (a test server, reference data): skip locally, fail under CI.

Every fixture or test that cannot run without something calls `require(condition, reason)` or
`unavailable(reason)`, never `pytest.skip` directly. Locally a skip (with its reason in the summary) is fine; under
`CI=true` it is a failure, so a CI run where `npm ci` quietly failed is red instead of green with the e2e suite
never run. tests/conftest.py also fails a CI session with any skip at all, whatever raised it.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

CI_SETTING = "CI"
# CI services spell it differently (GitHub and GitLab: "true"; some: "1").
CI_VALUES = frozenset({"true", "1", "yes"})


def in_ci() -> bool:
    return os.environ.get(CI_SETTING, "").strip().lower() in CI_VALUES


def unavailable(reason: str) -> NoReturn:
    """The test cannot run here: a skip with `reason`, or under CI=true a failure with it."""
    if in_ci():
        pytest.fail(f"{reason} [CI=true: a missing prerequisite fails the run instead of skipping]", pytrace=False)
    pytest.skip(reason)


def require(condition: object, reason: str) -> None:
    """`unavailable(reason)` unless `condition` holds."""
    if not condition:
        unavailable(reason)
