"""What a comparison job is asked to do: the request body of POST /api/jobs/comparison (the seed's field names)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.jobs.models import UNIQUE_IDS_SCHEMA, ModelSelection, unique_ids
from shared.json_types import JsonInt


class ComparisonJobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    standardContractId: str = Field(min_length=1, max_length=200)
    compareContractIds: list[str] = Field(min_length=1, max_length=50, json_schema_extra=UNIQUE_IDS_SCHEMA)
    # "full": the whole documents, clauses added in the compared contract included. "clauses": the standard's
    # clauses one by one (the selected ones, or every clause when nothing is selected), never "added".
    comparisonMode: Literal["full", "clauses"] = "full"
    selectedClauses: list[str] | None = Field(default=None, max_length=100)
    modelSelection: ModelSelection = "primary"

    @field_validator("compareContractIds")
    @classmethod
    def _unique_ids(cls, ids: list[str]) -> list[str]:
        return unique_ids("compareContractIds", ids)

    @field_validator("selectedClauses")
    @classmethod
    def _clean_titles(cls, titles: list[str] | None) -> list[str] | None:
        if titles is None:
            return None
        cleaned = [t.strip() for t in titles if t.strip()]
        return cleaned or None

    @model_validator(mode="after")
    def _standard_not_compared(self) -> ComparisonJobRequest:
        if self.standardContractId in self.compareContractIds:
            raise ValueError(f"compareContractIds must not contain the standard contract {self.standardContractId!r}")
        return self

    def contract_ids_touched(self) -> list[str]:
        """Every contract the job reads: the standard first, then the compared ones."""
        return [self.standardContractId, *self.compareContractIds]

    def contract_ids_analysed(self) -> list[str]:
        """The contracts analysed one by one (one model call each): the compared ones; the standard is the
        reference every one of them is read against."""
        return list(self.compareContractIds)


class SubmitComparisonJob(BaseModel):
    """Body of POST /api/jobs/comparison."""

    model_config = ConfigDict(extra="forbid")

    request: ComparisonJobRequest
    priority: JsonInt = Field(default=5, ge=1, le=10)
