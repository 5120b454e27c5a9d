"""The comparison workflow's data: the task of one model call, its findings, and the job's result.

Both analyzers (offline and LLM) return these same models, so a result has one schema whatever the provider.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from shared.analysis.token_usage import TokenUsage
from shared.contracts.analysis import ContractForAnalysis
from shared.jobs.models import ModelSelection

ClauseStatus = Literal["matched", "modified", "missing", "added"]
Severity = Literal["low", "medium", "high"]


class ComparisonTask(BaseModel):
    """One standard-vs-compared pair: the unit of one LLM call in a comparison job."""

    standard: ContractForAnalysis
    compared: ContractForAnalysis
    mode: Literal["full", "clauses"] = "full"
    selected_clauses: list[str] | None = None
    model_selection: ModelSelection = "primary"


class ClauseFinding(BaseModel):
    title: str
    status: ClauseStatus
    severity: Severity | None = None  # None for matched clauses
    standard_excerpt: str = ""
    compared_excerpt: str = ""
    explanation: str


class ContractComparison(BaseModel):
    contract_id: str
    contract_title: str
    similarity: float = Field(ge=0.0, le=1.0)
    summary: str
    clauses: list[ClauseFinding]


class ComparisonResult(BaseModel):
    standard_contract_id: str
    model: str
    usage: TokenUsage
    comparisons: list[ContractComparison]


class AnalyzedComparison(BaseModel):
    """One compared contract's findings with the model and usage that produced them (a job artifact)."""

    comparison: ContractComparison
    model: str
    usage: TokenUsage


def excerpt(text: str, limit: int) -> str:
    """A quote for a reader: stripped, and cut to `limit` characters with an ellipsis when longer."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
