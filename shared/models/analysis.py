"""What the analyzers (offline or LLM) take and return, and the stored result documents.

Both analyzers return these same models, so a job's result has one schema whatever the provider.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from shared.models.jobs import JOB_TTL_SECONDS, JobType, ModelSelection, utcnow

ClauseStatus = Literal["matched", "modified", "missing", "added"]
Severity = Literal["low", "medium", "high"]


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    llm_calls: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            llm_calls=self.llm_calls + other.llm_calls,
        )


class ModelCall(Protocol):
    """Anything that records which model answered and what it cost (analyzer replies, analyzed items)."""

    @property
    def model(self) -> str: ...

    @property
    def usage(self) -> Usage: ...


def total_usage(calls: Iterable[ModelCall]) -> tuple[Usage, str]:
    """Summed usage, and the distinct models in first-use order joined with ", " (a result's `model`)."""
    usage = Usage()
    models: list[str] = []
    for call in calls:
        usage = usage + call.usage
        if call.model and call.model not in models:
            models.append(call.model)
    return usage, ", ".join(models)


# --- inputs ------------------------------------------------------------------------------------


class ClauseText(BaseModel):
    title: str
    number: str | None = None
    text: str


class ContractForAnalysis(BaseModel):
    contract_id: str
    title: str
    clauses: list[ClauseText]


class ComparisonTask(BaseModel):
    """One standard-vs-compared pair: the unit of one LLM call in a comparison job."""

    standard: ContractForAnalysis
    compared: ContractForAnalysis
    mode: Literal["full", "clauses"] = "full"
    selected_clauses: list[str] | None = None
    model_selection: ModelSelection = "primary"


class QueryPartTask(BaseModel):
    """One part of a query job's map step: the question over a subset of contracts (or clauses)."""

    question: str
    part_index: int
    contracts: list[ContractForAnalysis]
    model_selection: ModelSelection = "primary"


# --- outputs -----------------------------------------------------------------------------------


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
    usage: Usage
    comparisons: list[ContractComparison]


class Citation(BaseModel):
    contract_id: str
    clause_title: str
    quote: str


class PerContractAnswer(BaseModel):
    contract_id: str
    contract_title: str
    answer: str
    relevant: bool = True
    citations: list[Citation] = Field(default_factory=list)


class PartAnswer(BaseModel):
    """The map step's output for one part."""

    part_index: int
    answer: str
    citations: list[Citation]
    per_contract: list[PerContractAnswer]


class QueryCombineTask(BaseModel):
    question: str
    parts: list[PartAnswer]
    model_selection: ModelSelection = "primary"


class QueryAnswer(BaseModel):
    """The reduce step's output."""

    answer: str
    citations: list[Citation]


class QueryResult(BaseModel):
    question: str
    answer: str
    citations: list[Citation]
    per_contract: list[PerContractAnswer]
    model: str
    usage: Usage


class AnalysisResult(BaseModel):
    """A stored result (container `analysis_results`, partition key /user_id), linked by job.result_id."""

    result_id: str
    job_id: str
    user_id: str
    job_type: JobType
    created_at: datetime = Field(default_factory=utcnow)
    result: dict[str, Any]
    ttl: int | None = JOB_TTL_SECONDS
