"""What a query job is asked: the request body of POST /api/jobs/query (the seed's field names)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.jobs.models import NOT_BLANK, UNIQUE_IDS_SCHEMA, ModelSelection, unique_ids
from shared.json_types import JsonInt

Retrieval = Literal["ranked", "all"]
"""What a model-backed query sends of each contract: its clauses ranked for the question and only those that can
hold the answer (shared/query/retrieval.py), or every clause (the behaviour before retrieval)."""


class QueryJobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(max_length=4000, json_schema_extra={"pattern": NOT_BLANK})
    contract_ids: list[str] = Field(min_length=1, max_length=200, json_schema_extra=UNIQUE_IDS_SCHEMA)
    modelSelection: ModelSelection = "primary"
    retrieval: Retrieval = Field(
        default="ranked",
        description=(
            "What a model is sent of each contract: `ranked` (default) its clauses ranked for the question, only "
            "those that can hold the answer (the whole contract when the ranking cannot tell); `all` every clause. "
            "The offline analyzer ranks every clause itself either way."
        ),
    )

    @field_validator("question")
    @classmethod
    def _non_blank(cls, question: str) -> str:
        if not question.strip():
            raise ValueError("question must not be blank")
        return question.strip()

    @field_validator("contract_ids")
    @classmethod
    def _unique_ids(cls, ids: list[str]) -> list[str]:
        return unique_ids("contract_ids", ids)

    def contract_ids_touched(self) -> list[str]:
        """Every contract the job reads, in the order asked."""
        return list(self.contract_ids)

    def contract_ids_analysed(self) -> list[str]:
        """The contracts the question is answered over: all of them."""
        return list(self.contract_ids)


class SubmitQueryJob(BaseModel):
    """Body of POST /api/jobs/query."""

    model_config = ConfigDict(extra="forbid")

    request: QueryJobRequest
    priority: JsonInt = Field(default=5, ge=1, le=10)
