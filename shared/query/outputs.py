"""What we ask the model to return for a query part and a combine: the structured-output schemas, kept apart
from our result models (comments, not docstrings: pydantic would bill a docstring to every call)."""

from __future__ import annotations

from pydantic import BaseModel

PART_SCHEMA_NAME = "query_part_answer"
COMBINE_SCHEMA_NAME = "query_answer"


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
