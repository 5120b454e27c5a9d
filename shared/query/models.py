"""The query workflow's data: a part of the map step, the answers, the combine task, and the job's result.

Both analyzers (offline and LLM) return these same models, so a result has one schema whatever the provider.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.analysis.token_usage import TokenUsage
from shared.contracts.analysis import ContractForAnalysis
from shared.jobs.models import ModelSelection


class QueryPartTask(BaseModel):
    """One part of a query job's map step: the question over a subset of contracts (or clauses)."""

    question: str
    part_index: int
    contracts: list[ContractForAnalysis]
    model_selection: ModelSelection = "primary"


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
    usage: TokenUsage


class AnalyzedPart(BaseModel):
    """One part's validated answer with the model and usage that produced it (a job artifact)."""

    answer: PartAnswer
    model: str
    usage: TokenUsage
