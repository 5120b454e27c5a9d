"""The batch workflow's data: a batch's configuration (folders, prompts with their scoring, model), its
staging report, one response record per document x prompt, the answer cache (model answers paid for once), and the
summary.

Stored (partition key /user_id): batches in `batches`, records in `batch_records` (id `{batch_id}:{document_id}:
{prompt_index}`), model answers in `model_answers` (id: the answer key).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from shared.analysis.token_usage import TokenUsage
from shared.batches.patterns import (
    CHECK_MEMORY,
    MAX_PATTERN_CHARS,
    PatternRefused,
    compile_checks,
    compile_pattern,
    compiling,
    refused,
)
from shared.jobs.models import NOT_BLANK, ModelSelection, utcnow
from shared.json_types import JsonFloat, JsonInt

MAX_PROMPTS = 50
MAX_FOLDERS = 50
MAX_CHECKS = 50


class BatchStatus(StrEnum):
    SAVED = "SAVED"
    STAGING = "STAGING"
    STAGED = "STAGED"
    FAILED_STAGING = "FAILED_STAGING"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    COMPLETED_WITH_ERRORS = "COMPLETED_WITH_ERRORS"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class RecordStatus(StrEnum):
    QUEUED = "QUEUED"
    S = "S"  # answered (the seed's status names)
    F = "F"  # failed, with the error


# --- scoring ---------------------------------------------------------------------------------------------


class PassFail(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["pass_fail"] = "pass_fail"


class Scale(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["scale"] = "scale"
    min: JsonFloat = 1
    max: JsonFloat = 5

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if self.min >= self.max:
            raise ValueError(f"scale min ({self.min}) must be below max ({self.max})")
        return self


class Check(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    regex: str = Field(min_length=1, max_length=MAX_PATTERN_CHARS)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, regex: str, info: ValidationInfo) -> str:
        # Only a client's configuration (POST/PUT /api/batches) is compiled here; stored batches load without it
        # (shared/batches/patterns.py).
        if compiling(info.context):
            try:
                compile_pattern(regex, CHECK_MEMORY)
            except PatternRefused as exc:
                refused(info.context)
                raise ValueError(f"check {info.data.get('name', '?')!r}: regex {regex!r} is refused: {exc}") from None
        return regex


class Checks(BaseModel):
    """Deterministic: each check passes when its regex matches the document's text (case-insensitive, RE2: see
    shared/batches/patterns.py); the score is the share that pass."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["checks"] = "checks"
    checks: list[Check] = Field(min_length=1, max_length=MAX_CHECKS)

    @model_validator(mode="after")
    def _within_budget(self, info: ValidationInfo) -> Checks:
        if compiling(info.context):
            try:
                compile_checks(self.named(), CHECK_MEMORY)
            except PatternRefused as exc:
                refused(info.context)
                raise ValueError(str(exc)) from None
        return self

    def named(self) -> list[tuple[str, str]]:
        return [(check.name, check.regex) for check in self.checks]


Scoring = Annotated[PassFail | Scale | Checks, Field(discriminator="type")]


# --- configuration ---------------------------------------------------------------------------------------


class PromptConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, json_schema_extra={"pattern": NOT_BLANK})
    text: str = Field(min_length=1, max_length=8_000, json_schema_extra={"pattern": NOT_BLANK})
    scoring: Scoring = Field(default_factory=PassFail)

    @field_validator("name", "text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class ModelConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    modelSelection: ModelSelection = "primary"
    temperature: JsonFloat = Field(default=0.0, ge=0.0, le=2.0)
    max_tokens: JsonInt = Field(default=800, ge=16, le=16_000)


class BatchConfig(BaseModel):
    """What a batch runs: the body of POST /api/batches (and PUT /api/batches/{id})."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    folders: list[str] = Field(min_length=1, max_length=MAX_FOLDERS, json_schema_extra={"uniqueItems": True})
    prompts: list[PromptConfig] = Field(min_length=1, max_length=MAX_PROMPTS)
    model: ModelConfig = Field(default_factory=ModelConfig)

    @field_validator("folders")
    @classmethod
    def _folders(cls, folders: list[str]) -> list[str]:
        from shared.documents.models import check_folder

        cleaned = [check_folder(f) for f in folders]
        dupes = sorted({f for f in cleaned if cleaned.count(f) > 1})
        if dupes:
            raise ValueError(f"folders must be unique; repeated: {', '.join(dupes)}")
        return cleaned

    @field_validator("prompts")
    @classmethod
    def _unique_names(cls, prompts: list[PromptConfig]) -> list[PromptConfig]:
        names = [p.name for p in prompts]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"prompt names must be unique; repeated: {', '.join(dupes)}")
        return prompts


# --- the batch -------------------------------------------------------------------------------------------


class StagedDocument(BaseModel):
    """One document as staging found it: staged (its records exist) or failed (with the reason)."""

    document_id: str
    folder: str
    filename: str
    sha256: str
    status: Literal["staged", "failed"]
    reason: str | None = None
    token_count: int | None = None
    overall_score: float | None = None  # mean normalised score of its answered records, after a run


class PromptSummary(BaseModel):
    name: str
    scoring: str
    answered: int
    failed: int
    mean: float | None  # in the prompt's own scale (pass/fail: the pass rate; checks: share of checks passed)
    pass_rate: float | None
    distribution: dict[str, int]  # score (pass/fail: "pass"/"fail"; scale: each value; checks: share) -> records


class BatchSummary(BaseModel):
    records: int
    by_status: dict[str, int]
    reused_answers: int
    model_calls: int
    usage: TokenUsage = Field(default_factory=TokenUsage)
    mean_score: float | None  # normalised 0..1 over every answered record
    prompts: list[PromptSummary]
    mode: Literal["standard", "economy"] = "standard"
    # What this run's model calls cost at the configured prices (LLM_PRICE_PER_1K_*), and what the Batch API
    # saved against the standard price (economy runs; 0 in standard ones). None: a summary from before prices.
    estimated_cost: float | None = None
    cost_saved: float | None = None
    currency: str | None = None  # of the two figures above (COST_CURRENCY); None: a summary from before it
    finished_at: datetime = Field(default_factory=utcnow)


class RemoteBatch(BaseModel):
    """One request file an economy run sent to the (Azure) OpenAI Batch API, kept on the batch so that a crashed,
    replayed or cancelled run finds it again instead of sending the records twice."""

    run_job_id: str
    start: int  # position in the run's list of records where this file's records begin (its key in the run)
    end: int  # one past the position of its last record
    requests: int  # lines in the file
    input_file_id: str
    remote_id: str | None = None  # the Batch API's batch id, once created
    status: str = "uploaded"  # the Batch API's status when last seen
    completed: int = 0
    failed: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: str | None = None  # why the Batch API failed the batch as a whole
    ingested: bool = False
    submitted_at: datetime = Field(default_factory=utcnow)


class Batch(BaseModel):
    batch_id: str
    user_id: str
    status: BatchStatus = BatchStatus.SAVED
    config: BatchConfig
    snapshot: BatchConfig | None = None  # the configuration as staged: what runs, whatever config says since
    documents: list[StagedDocument] = Field(default_factory=list)
    summary: BatchSummary | None = None
    staging_job_id: str | None = None
    run_job_id: str | None = None
    remote_batches: list[RemoteBatch] = Field(default_factory=list)  # the latest economy run's Batch API batches
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def name(self) -> str:
        return self.config.name


class ResponseRecord(BaseModel):
    """One document x prompt of a staged batch."""

    record_id: str
    user_id: str
    batch_id: str
    document_id: str
    folder: str
    filename: str
    prompt_index: int = Field(ge=0)
    prompt_name: str
    status: RecordStatus = RecordStatus.QUEUED
    response_text: str | None = None
    score: float | None = None
    evidence: list[str] = Field(default_factory=list)
    error: str | None = None
    answer_key: str | None = None
    reused: bool = False  # the answer came from the answer cache: no model call was made for this record
    model: str | None = None
    usage: TokenUsage = Field(default_factory=TokenUsage)
    attempts: int = 0
    run_job_id: str | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class StagingResult(BaseModel):
    """A staging job's result: the seed's reprocess-staging answer, with the documents that failed and why."""

    batch_id: str
    status: str
    documents_prepared: int
    documents_found: int
    message: str
    failed: list[dict[str, str]]


def record_id(batch_id: str, document_id: str, prompt_index: int) -> str:
    return f"{batch_id}:{document_id}:{prompt_index:03d}"


class ModelAnswer(BaseModel):
    """A model answer paid for once, kept under the key of everything that determines it
    (shared/batches/answer_cache.py), so that a crashed run, a re-run or another batch of the same user reuses it
    instead of paying again."""

    key: str
    user_id: str
    response_text: str
    score: float | None
    evidence: list[str] = Field(default_factory=list)
    model: str
    usage: TokenUsage = Field(default_factory=TokenUsage)
    created_at: datetime = Field(default_factory=utcnow)
