"""Fixtures for the offline analyzer tests: contracts built from clause lists, sample data and reference data."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.analysis.offline.analyzer import OfflineAnalyzer
from shared.contracts.analysis import ClauseText, ContractForAnalysis
from tests.support.prerequisites import require

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample_data"
REFERENCE = REPO.parent / "shared" / "data"


def contract(contract_id: str, clauses: list[tuple[str, str]], title: str | None = None) -> ContractForAnalysis:
    return ContractForAnalysis(
        contract_id=contract_id,
        title=title or contract_id,
        clauses=[ClauseText(title=t, text=x) for t, x in clauses],
    )


def from_text(contract_id: str, text: str) -> ContractForAnalysis:
    """Segment with the project's segmenter, as the pipeline does."""
    from shared.text.segmentation import segment_top_level

    clauses = [ClauseText(title=c.title, number=c.number, text=c.text) for c in segment_top_level(text)]
    return ContractForAnalysis(contract_id=contract_id, title=contract_id, clauses=clauses)


def sample(name: str) -> ContractForAnalysis:
    path = SAMPLES / name
    require(path.exists(), f"sample contract {path} not present")
    return from_text(name, path.read_text(encoding="utf-8"))


@pytest.fixture
def analyzer() -> OfflineAnalyzer:
    return OfflineAnalyzer()
