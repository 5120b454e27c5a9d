from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.prerequisites import require

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "sample_data"
SHARED_DATA = Path(os.environ.get("CONTRACT_JOBS_SHARED_DATA", REPO.parent / "shared" / "data"))


def sample(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


@pytest.fixture
def common_paper_nda() -> str:
    path = SHARED_DATA / "commonpaper-mutual-nda-v1.md"
    require(path.is_file(), f"reference data not available: {path} (../shared/data beside the repo)")
    return path.read_text(encoding="utf-8")
