"""Which clauses of the standard a comparison in `clauses` mode assesses: one finding each, never `added`.

Without a selection that is every clause of the standard; with one, the clauses whose heading matches a selected
title (fuzzily, see `title_selected`). Both analyzers and the job starters read it from here, so the offline
findings, the LLM prompt, the check of the model's output and the 422 for an unknown title always agree.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.comparison.models import ComparisonTask
from shared.comparison.offline.alignment import title_selected
from shared.contracts.analysis import ClauseText, ContractForAnalysis
from shared.errors import ValidationFailed


class UnknownSelectedClauses(ValidationFailed):
    """selectedClauses names titles that match no clause of the standard contract (422 before any job exists)."""

    code = "unknown_clauses"

    def __init__(self, standard: ContractForAnalysis, unknown: Sequence[str]) -> None:
        names = ", ".join(repr(title) for title in unknown)
        super().__init__(
            f"selectedClauses names clauses the standard contract {standard.contract_id!r} ({standard.title!r}) "
            f"does not have: {names}",
            {
                "field": "request.selectedClauses",
                "unknown": list(unknown),
                "standard_clauses": [clause.title for clause in standard.clauses],
            },
        )
        self.unknown = list(unknown)


def listed_indexes(standard: ContractForAnalysis, selected: Sequence[str] | None) -> list[int]:
    """Positions of the standard's clauses a `clauses` comparison assesses, in document order.

    Raises UnknownSelectedClauses naming every selected title that matches none of the standard's clauses: a
    typo must not silently shrink the comparison to the titles that happened to match."""
    if not selected:
        return list(range(len(standard.clauses)))
    unknown = [title for title in selected if not any(title_selected(c.title, [title]) for c in standard.clauses)]
    if unknown:
        raise UnknownSelectedClauses(standard, unknown)
    return [i for i, clause in enumerate(standard.clauses) if title_selected(clause.title, selected)]


def listed_clauses(task: ComparisonTask) -> list[ClauseText] | None:
    """The standard clauses `task` must report on one by one (clauses mode), or None in full mode, where every
    standard clause is reported and clauses added in the compared contract are reported too."""
    if task.mode != "clauses":
        return None
    return [task.standard.clauses[i] for i in listed_indexes(task.standard, task.selected_clauses)]
