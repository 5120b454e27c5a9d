"""What we ask the model to return for a comparison: the structured-output schemas, kept apart from our result
models.

The model never supplies ids we already know (the compared contract's id, its title): the LLM step fills those from
the task. Each call's schema bounds what the model can answer: the statuses of its mode, the severities, and the
clause titles it may use, an enum of the titles the call shows (clauses mode: the listed standard clauses; full
mode: the standard's clauses and the compared contract's, for added ones). So a provider's structured output cannot
invent a clause; a reply that still skips one is the LLM step's to settle (shared/comparison/llm.py), not a
validation error. Validators here reject only output a corrective retry can fix. The models carry comments, not
docstrings: pydantic would send a docstring as the schema's "description" with (and bill it to) every call.
"""

from __future__ import annotations

import html
from typing import Any, Literal, get_args

from pydantic import BaseModel, field_validator, model_validator

from shared.comparison.models import AssessedStatus, ComparisonTask, Severity
from shared.comparison.selection import listed_clauses
from shared.llm.framing import neutralise
from shared.llm.schema import narrowed, one_of

SCHEMA_NAME = "contract_comparison"
"""One name for both modes' schemas: the same result, narrower in clauses mode."""


class FindingOut(BaseModel):
    title: str
    status: AssessedStatus
    severity: Severity | None
    standard_excerpt: str
    compared_excerpt: str
    explanation: str

    @field_validator("title", mode="before")
    @classmethod
    def _title_as_offered(cls, value: Any) -> Any:
        # A server that ignores the schema may change a title's case or spacing: such a title is the offered one.
        offered = get_args(cls.model_fields["title"].annotation)
        if isinstance(value, str) and offered:
            return next((title for title in offered if title_key(title) == title_key(value)), value)
        return value

    @model_validator(mode="after")
    def _deviation_has_severity(self) -> FindingOut:
        if self.status != "matched" and self.severity is None:
            raise ValueError(f"severity is required for a {self.status!r} clause ({self.title!r})")
        return self


# Full mode: a finding per standard clause, plus one per clause added in the compared contract.
class ComparisonOut(BaseModel):
    similarity: float  # clamped to [0, 1] afterwards: an out-of-range number is not worth a retry
    summary: str
    clauses: list[FindingOut]


# A finding on one listed standard clause (clauses mode): the schema itself offers no "added".
class ListedFindingOut(FindingOut):
    status: Literal["matched", "modified", "missing"]


# Clauses mode: one finding per standard clause listed in the prompt, titled as listed (the schema's title enum).
class ClausesComparisonOut(BaseModel):
    similarity: float
    summary: str
    clauses: list[ListedFindingOut]


def title_key(title: str) -> str:
    """How a finding's title is matched to a listed one: case, spacing and HTML escapes (the prompt defuses "<"
    in titles as "&lt;") do not matter."""
    return " ".join(html.unescape(title).split()).casefold()


def offered_titles(task: ComparisonTask) -> list[str]:
    """The titles a finding of `task` may have, as the prompt shows them (defused): the listed standard clauses in
    clauses mode; in full mode the standard's clauses, then the compared contract's (an added clause's title)."""
    listed = listed_clauses(task)
    if listed is None:
        return [neutralise(c.title) for c in [*task.standard.clauses, *task.compared.clauses]]
    return [neutralise(c.title) for c in listed]


def comparison_schema(task: ComparisonTask) -> type[ComparisonOut] | type[ClausesComparisonOut]:
    """The response schema of `task`'s call (what its prompt is sent and counted with): its mode's, with the
    findings' titles an enum of `offered_titles` (left open when there are too many to enumerate)."""
    titles = one_of(offered_titles(task))
    if task.mode == "clauses":
        listed = narrowed(ListedFindingOut, title=titles)
        return narrowed(ClausesComparisonOut, clauses=_list_of(listed) if listed is not ListedFindingOut else None)
    finding = narrowed(FindingOut, title=titles)
    return narrowed(ComparisonOut, clauses=_list_of(finding) if finding is not FindingOut else None)


def _list_of(item: type[BaseModel]) -> Any:
    return list.__class_getitem__(item)  # list[item], built at run time
