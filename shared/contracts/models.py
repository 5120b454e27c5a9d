"""Contracts in the library: what a job runs on."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.jobs.models import utcnow

MAX_TITLE_CHARS = 300


class ClauseRecord(BaseModel):
    """One clause with character offsets into the stored contract text (text == contract.text[start:end])."""

    index: int
    number: str | None
    title: str
    text: str
    start: int
    end: int
    level: int = 1


class Contract(BaseModel):
    """A contract document (container `contracts`, partition key /user_id)."""

    contract_id: str
    user_id: str
    title: str
    filename: str | None = None
    source_format: str = "text"  # text | txt | md | docx | pdf
    text: str
    clauses: list[ClauseRecord]
    token_count: int
    created_at: datetime = Field(default_factory=utcnow)


class ContractSummary(BaseModel):
    contract_id: str
    title: str
    filename: str | None = None
    source_format: str = "text"
    clause_count: int
    token_count: int
    char_count: int
    created_at: datetime


class ContractUpload(BaseModel):
    """POST /api/contracts body: either text, or a base64 file (.txt, .md, .docx, .pdf)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    text: str | None = None
    filename: str | None = Field(default=None, max_length=255)
    content_base64: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ContractUpload:
        if not self.title.strip():
            raise ValueError("title must not be blank")
        has_text = self.text is not None
        has_file = self.filename is not None or self.content_base64 is not None
        if has_text == has_file:
            raise ValueError("send either 'text', or 'filename' with 'content_base64'")
        if has_file and (not self.filename or not self.content_base64):
            raise ValueError("a file upload needs both 'filename' and 'content_base64'")
        return self


class ContractCreated(BaseModel):
    contract_id: str
    title: str
    clause_count: int
    token_count: int


def summarize(contract: Contract) -> ContractSummary:
    return ContractSummary(
        contract_id=contract.contract_id,
        title=contract.title,
        filename=contract.filename,
        source_format=contract.source_format,
        clause_count=len(contract.clauses),
        token_count=contract.token_count,
        char_count=len(contract.text),
        created_at=contract.created_at,
    )
