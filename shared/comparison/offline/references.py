"""Cross-references ("Section 12 (Confidentiality)", "Article IV", "Exhibit B") and the clauses they point to.

A renumbered reference is not a change when it still points to the same clause (a section was inserted before
it); a reference that now points to another clause is ("a breach of Section 12" -> "a breach of Section 10": the
carve-out now covers another breach). Each contract's own numbering says which: the numbers and titles of its
clauses.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from shared.analysis.offline.comparable_headings import normalize_heading
from shared.contracts.analysis import ClauseText
from shared.text.segmentation import PATH_SEPARATOR

_REFERENCE = re.compile(
    r"\b(?P<kind>Sections?|Articles?|Clauses?|Exhibits?|Schedules?|Annex(?:es)?|Appendix|Paragraphs?|§)\s*"
    r"(?P<number>(?:[0-9]{1,3}|[A-Z]|[IVXL]{1,5})(?:\.[0-9]{1,3})*(?:\([A-Za-z0-9]{1,4}\))*)\b"
    r"(?:\s*\((?P<title>[A-Z][^()\n]{1,60})\))?"
)


@dataclass(frozen=True)
class Reference:
    text: str  # as written: "Section 12 (Confidentiality)"
    number: str  # "12"
    start: int
    end: int


def references(text: str) -> list[Reference]:
    return [Reference(m.group(), m.group("number"), m.start(), m.end()) for m in _REFERENCE.finditer(text)]


def reference_at(found: Sequence[Reference], offset: int) -> Reference | None:
    return next((r for r in found if r.start <= offset < r.end), None)


def numbering(clauses: Sequence[ClauseText]) -> dict[str, str]:
    """Clause number -> what the clause is about (its own heading, normalised), for numbers used once."""
    counts = Counter(c.number.rstrip(".") for c in clauses if c.number)
    out: dict[str, str] = {}
    for c in clauses:
        if c.number and counts[c.number.rstrip(".")] == 1:
            out[c.number.rstrip(".")] = normalize_heading(c.title.split(PATH_SEPARATOR)[-1])
    return out


def target(reference: Reference, numbers: dict[str, str]) -> str | None:
    """The heading of the clause a reference points to, if the contract numbers one that way."""
    return numbers.get(reference.number.split("(")[0])
