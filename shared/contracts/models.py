"""Contracts in the library: what a job runs on."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import JsonDict

from shared.jobs.models import NOT_BLANK, utcnow

MAX_TITLE_CHARS = 300
# ContractUpload's rule (`_one_source`) in its JSON Schema: text, or a file; never both.
ONE_SOURCE_SCHEMA: JsonDict = {
    "oneOf": [
        {
            "title": "text",
            "required": ["text"],
            "properties": {
                "text": {"type": "string", "pattern": NOT_BLANK},
                "filename": {"type": "null"},
                "content_base64": {"type": "null"},
            },
        },
        {
            "title": "file",
            "required": ["filename", "content_base64"],
            "properties": {
                "text": {"type": "null"},
                "filename": {"type": "string", "minLength": 1},
                "content_base64": {"type": "string", "minLength": 1},
            },
        },
    ]
}


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

    model_config = ConfigDict(extra="forbid", json_schema_extra=ONE_SOURCE_SCHEMA)

    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS, json_schema_extra={"pattern": NOT_BLANK})
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
    """201 body of POST /api/contracts."""

    contract_id: str
    title: str
    clause_count: int
    token_count: int


class ContractList(BaseModel):
    """200 body of GET /api/contracts: one page of the caller's contracts; `continuation` asks for the next."""

    contracts: list[ContractSummary]
    continuation: str | None = None


class ContractDetail(Contract):
    """200 body of GET /api/contracts/{contract_id}: the contract with its text and clauses, not its owner."""

    user_id: str = Field(exclude=True)
    clause_count: int
    char_count: int


def detail(contract: Contract) -> ContractDetail:
    return ContractDetail.model_validate(
        {**dict(contract), "clause_count": len(contract.clauses), "char_count": len(contract.text)}
    )


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
