"""What crosses orchestration history: one input model per activity and small outcome summaries.

Only ids, counts and short messages go here. Texts, tasks, prompts and raw model output are job artifacts
(shared/pipeline/artifacts.py), so a 50-contract job's history stays a few kilobytes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from shared.models.analysis import Usage
from shared.models.jobs import JobRef, JobStatus, JobType, ProcessingStep

OutcomeStatus = Literal["ok", "skipped", "error"]
FinalStatus = Literal["completed", "failed", "cancelled"]

SKIPPED_CANCELLED = "skipped: cancelled"


class StepError(BaseModel):
    """What the job's error_details say: the step, what happened, and the error type."""

    step: str
    message: str
    type: str


class Outcome(BaseModel):
    """Base of every step summary. `error` is set for failures retrying cannot fix (status "error")."""

    status: OutcomeStatus = "ok"
    note: str = ""
    error: StepError | None = None


# --- job lifecycle -----------------------------------------------------------------------------


class StartJobInput(JobRef):
    instance_id: str
    started_at: datetime


class JobStarted(Outcome):
    job_type: JobType
    job_status: JobStatus
    contract_ids: list[str] = Field(default_factory=list)
    """The ids the job runs over (compared contracts, or the query's set): the orchestrator plans with them."""


class ProgressStatus(BaseModel):
    """The live progress: Durable custom status, mirrored into the job document."""

    job_id: str
    status: JobStatus
    current_step: ProcessingStep
    percentage: int = Field(ge=0, le=100)
    message: str
    items_done: int = 0
    items_total: int = 0


class RecordProgressInput(JobRef):
    progress: ProgressStatus
    updated_at: datetime


class FinalizeJobInput(JobRef):
    status: FinalStatus
    progress: ProgressStatus
    result_id: str | None = None
    error: StepError | None = None
    finished_at: datetime


class JobFinalized(Outcome):
    job_status: JobStatus
    event_published: bool


# --- comparison --------------------------------------------------------------------------------


class ComparisonStepInput(JobRef):
    """Input of the retrieve, prompt, enhance and save steps: the job says everything else."""


class ContractRef(BaseModel):
    contract_id: str
    title: str
    tokens: int
    clauses: int


class ComparisonRetrieved(Outcome):
    standard: ContractRef | None = None
    compared: list[ContractRef] = Field(default_factory=list)


class ComparisonPrompted(Outcome):
    contract_ids: list[str] = Field(default_factory=list)
    """One ComparisonTask artifact per id, in request order."""


class CompareContractInput(JobRef):
    contract_id: str
    item_index: int
    items_total: int


class ItemAnalyzed(Outcome):
    """One LLM call's summary: the finding counts, never the findings themselves."""

    item: str = ""
    model: str = ""
    usage: Usage = Field(default_factory=Usage)
    counts: dict[str, int] = Field(default_factory=dict)


class ComparisonEnhanced(Outcome):
    contracts: int = 0
    deviations: int = 0
    high_severity: int = 0


class SaveResultInput(JobRef):
    job_type: JobType


class ResultSaved(Outcome):
    result_id: str = ""


# --- query -------------------------------------------------------------------------------------


class QueryRetrieveInput(JobRef):
    contract_ids: list[str] = Field(min_length=1)


class QueryRetrieved(Outcome):
    contracts: list[ContractRef] = Field(default_factory=list)


class QueryPlanInput(JobRef):
    """The planner reads the contract set from the job and the snapshots the retrieve chunks stored."""


class QueryPlanned(Outcome):
    parts: int = 0
    budget_tokens: int = 0
    part_tokens: list[int] = Field(default_factory=list)
    model: str = ""


class AnswerPartInput(JobRef):
    part_index: int = Field(ge=0)
    parts_total: int = Field(ge=1)


class QueryGroupInput(JobRef):
    """Group the `count` answers of round `level` (0: the parts' answers) for the next round's combine calls."""

    level: int = Field(ge=0)
    count: int = Field(ge=2)


class QueryGrouped(Outcome):
    groups: list[int] = Field(default_factory=list)
    """Sizes of consecutive groups, in order: one combine call each."""
    allowed_tokens: int = 0


class QueryCombineInput(JobRef):
    """Combine answers `first` .. `first + count - 1` of round `level - 1` into answer `index` of round `level`."""

    level: int = Field(ge=1)
    index: int = Field(ge=0)
    first: int = Field(ge=0)
    count: int = Field(ge=1)


class QueryCombined(Outcome):
    citations: int = 0
    llm_call: bool = False
    model: str = ""
    usage: Usage = Field(default_factory=Usage)


class QueryFinishInput(JobRef):
    levels: list[int] = Field(min_length=1)
    """Answers per round of the reduce tree: the parts first, then each round's combined answers, ending in 1."""

    @model_validator(mode="after")
    def _ends_in_one_answer(self) -> QueryFinishInput:
        if self.levels[-1] != 1 or min(self.levels) < 1:
            raise ValueError(f"a reduce tree ends in one answer, got rounds {self.levels}")
        return self


class QueryFinished(Outcome):
    citations: int = 0
    rounds: int = 0
    """Combine rounds the reduce tree had (0 for a single part)."""
    model: str = ""
    usage: Usage = Field(default_factory=Usage)
