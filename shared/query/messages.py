"""What the query orchestrator passes its activities (ids and counts), and the outcomes it plans with.
The other steps return a plain Outcome (shared/jobs/messages.py)."""

from __future__ import annotations

from pydantic import Field, model_validator

from shared.jobs.messages import Outcome
from shared.jobs.models import JobRef


class QueryRetrieveInput(JobRef):
    """Snapshot a chunk of the set's contracts; `total` is the size of the whole set (for the progress)."""

    contract_ids: list[str] = Field(min_length=1)
    total: int = Field(ge=1)


class QueryPlanned(Outcome):
    parts: int = 0


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


class QueryCombineInput(JobRef):
    """Combine answers `first` .. `first + count - 1` of round `level - 1` into answer `index` of round `level`;
    `round_total` is how many answers round `level - 1` has (for the progress)."""

    level: int = Field(ge=1)
    index: int = Field(ge=0)
    first: int = Field(ge=0)
    count: int = Field(ge=1)
    round_total: int = Field(ge=1)


class QueryFinishInput(JobRef):
    levels: list[int] = Field(min_length=1)
    """Answers per round of the reduce tree: the parts first, then each round's combined answers, ending in 1."""

    @model_validator(mode="after")
    def _ends_in_one_answer(self) -> QueryFinishInput:
        if self.levels[-1] != 1 or min(self.levels) < 1:
            raise ValueError(f"a reduce tree ends in one answer, got rounds {self.levels}")
        return self
