"""What we ask the model to return for a comparison: the structured-output schemas, kept apart from our result
models.

The model never supplies ids we already know (the compared contract's id, its title): the LLM step fills those from
the task. Validators here reject output a corrective retry can fix. The models carry comments, not docstrings:
pydantic would send a docstring as the schema's "description" with (and bill it to) every call.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ValidationInfo, model_validator

from shared.comparison.models import ClauseStatus, Severity

SCHEMA_NAME = "contract_comparison"
"""One name for both modes' schemas: the same result, narrower in clauses mode."""

LISTED_CLAUSES = "listed_clauses"
"""Validation context key of ClausesComparisonOut: the standard clause titles the prompt listed."""


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


# Full mode: a finding per standard clause, plus one per clause added in the compared contract.
class ComparisonOut(BaseModel):
    similarity: float  # clamped to [0, 1] afterwards: an out-of-range number is not worth a retry
    summary: str
    clauses: list[FindingOut]


# A finding on one listed standard clause (clauses mode): the schema itself offers no "added".
class ListedFindingOut(FindingOut):
    status: Literal["matched", "modified", "missing"]


# Clauses mode: exactly one finding per standard clause listed in the prompt, titled as listed. The listed titles
# come in the validation context (LISTED_CLAUSES); a reply that skips, repeats or invents a clause fails
# validation, so the client's corrective retry shows the model exactly which titles are wrong.
class ClausesComparisonOut(BaseModel):
    similarity: float
    summary: str
    clauses: list[ListedFindingOut]

    @model_validator(mode="after")
    def _one_finding_per_listed_clause(self, info: ValidationInfo) -> ClausesComparisonOut:
        listed = (info.context or {}).get(LISTED_CLAUSES)
        if listed is not None:
            problems = listed_mismatch(listed, [finding.title for finding in self.clauses])
            if problems:
                raise ValueError(problems)
        return self


def title_key(title: str) -> str:
    """How a finding's title is matched to a listed one: case, spacing and HTML escapes (the prompt defuses "<"
    in titles as "&lt;") do not matter."""
    return " ".join(html.unescape(title).split()).casefold()


def listed_mismatch(listed: Sequence[str], titles: Sequence[str]) -> str:
    """What is wrong with findings titled `titles` for the `listed` clauses ("" when one finding each)."""
    wanted, got = Counter(map(title_key, listed)), Counter(map(title_key, titles))
    names = {title_key(t): t for t in [*titles, *listed]}  # listed spelling wins in messages

    def quoted(keys: Counter[str]) -> str:
        return ", ".join(repr(names[k]) for k in keys)

    problems = []
    if missing := wanted - got:
        problems.append(f"no finding for listed clauses {quoted(missing)}")
    if unlisted := Counter({k: n for k, n in got.items() if k not in wanted}):
        problems.append(f"findings for clauses that are not listed {quoted(unlisted)}")
    if repeated := Counter({k: n for k, n in (got - wanted).items() if k in wanted}):
        problems.append(f"more than one finding for {quoted(repeated)}")
    if not problems:
        return ""
    return "exactly one finding per listed clause, titled as listed, is required: " + "; ".join(problems)


def comparison_schema(mode: Literal["full", "clauses"]) -> type[ComparisonOut] | type[ClausesComparisonOut]:
    """The response schema of a comparison call in `mode` (what the prompt is sent with and counted with)."""
    return ClausesComparisonOut if mode == "clauses" else ComparisonOut
