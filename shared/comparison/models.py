"""The comparison workflow's data: the task of one model call, its findings, and the job's result.

Both analyzers (offline and LLM) return these same models, so a result has one schema whatever the provider.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from shared.analysis.token_usage import TokenUsage
from shared.contracts.analysis import ContractForAnalysis
from shared.jobs.models import ModelSelection

AssessedStatus = Literal["matched", "modified", "missing", "added"]
"""What a model (or the offline analyzer) can find about a clause."""
ClauseStatus = Literal["matched", "modified", "missing", "added", "not_assessed"]
"""A finding's status: an assessed one, or `not_assessed`, a standard clause the model's reply left out even when
asked for it again (model providers only; no severity, the standard's excerpt, and a warning on the result)."""
Severity = Literal["low", "medium", "high"]


class ComparisonTask(BaseModel):
    """One standard-vs-compared pair: the unit of one LLM call in a comparison job."""

    standard: ContractForAnalysis
    compared: ContractForAnalysis
    mode: Literal["full", "clauses"] = "full"
    selected_clauses: list[str] | None = None
    model_selection: ModelSelection = "primary"


RedlineOp = Literal["equal", "insert", "delete"]


class RedlineRun(BaseModel):
    """One run of a redline: text both excerpts share (`equal`, as the compared contract writes it), text only the
    compared contract has (`insert`) or only the standard has (`delete`). Read in order, the equal and insert runs
    are the compared excerpt verbatim; the equal and delete runs are the standard's wording."""

    op: RedlineOp
    text: str


class ClauseFinding(BaseModel):
    title: str
    status: ClauseStatus = Field(
        description="matched, modified or missing (a standard clause), added (full mode: a clause only the compared "
        "contract has), or not_assessed: a standard clause the model's reply left out even when asked for it again "
        "(with the standard's excerpt and no severity; the result's warnings name it). The offline analyzer assesses "
        "every clause."
    )
    severity: Severity | None = None  # None for matched and not_assessed clauses
    standard_excerpt: str = ""
    compared_excerpt: str = ""
    explanation: str
    # A modified finding's word-level redline from standard_excerpt to compared_excerpt (shared/comparison/redline.py),
    # computed once when the result is put together; None for other statuses (and in results saved before it).
    redline: list[RedlineRun] | None = None


class ContractComparison(BaseModel):
    contract_id: str
    contract_title: str
    similarity: float = Field(ge=0.0, le=1.0)
    summary: str
    clauses: list[ClauseFinding]
    warnings: list[str] = Field(
        default_factory=list,
        description="What a reader should know about these findings, e.g. a clause the model did not assess.",
    )


class ComparisonResult(BaseModel):
    standard_contract_id: str
    # The standard's title when the job ran (results saved before it was kept have None: readers look it up).
    standard_contract_title: str | None = None
    model: str
    usage: TokenUsage
    comparisons: list[ContractComparison]
    warnings: list[str] = Field(
        default_factory=list,
        description="Every compared contract's warnings, each after the contract's title; empty when nothing was "
        "left out.",
    )


class AnalyzedComparison(BaseModel):
    """One compared contract's findings with the model and usage that produced them (a job artifact)."""

    comparison: ContractComparison
    model: str
    usage: TokenUsage


def excerpt(text: str, limit: int) -> str:
    """A quote for a reader: stripped, and cut to `limit` characters with an ellipsis when longer."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
