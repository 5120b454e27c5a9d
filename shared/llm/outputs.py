"""What we ask the model to return: the structured-output schemas, kept apart from our result models.

The model never supplies ids we already know (contract ids of a comparison, titles, part indexes): the analyzer
fills those from the task. Validators here reject output a corrective retry can fix.
"""

from __future__ import annotations

from pydantic import BaseModel, model_validator

from shared.models.analysis import ClauseStatus, Severity


class FindingOut(BaseModel):
    title: str
    status: ClauseStatus
    severity: Severity | None
    standard_excerpt: str
    compared_excerpt: str
    explanation: str

    @model_validator(mode="after")
    def _deviation_has_severity(self) -> FindingOut:
        if self.status != "matched" and self.severity is None:
            raise ValueError(f"severity is required for a {self.status!r} clause ({self.title!r})")
        return self


class ComparisonOut(BaseModel):
    similarity: float  # clamped to [0, 1] afterwards: an out-of-range number is not worth a retry
    summary: str
    clauses: list[FindingOut]


class CitationOut(BaseModel):
    contract_id: str
    clause_title: str
    quote: str


class PerContractOut(BaseModel):
    contract_id: str
    answer: str
    relevant: bool
    citations: list[CitationOut]


class PartOut(BaseModel):
    answer: str
    citations: list[CitationOut]
    per_contract: list[PerContractOut]


class CombineOut(BaseModel):
    answer: str
    citations: list[CitationOut]


SCHEMA_NAMES: dict[type[BaseModel], str] = {
    ComparisonOut: "contract_comparison",
    PartOut: "query_part_answer",
    CombineOut: "query_answer",
}
