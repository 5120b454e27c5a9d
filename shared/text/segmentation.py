"""Split contract text into clauses with exact character offsets.

Design choices (downstream comparison and excerpts rely on them):
- Clauses partition the document: each clause runs from its heading line to the start of the next clause of
  *any* level (trailing whitespace trimmed), so ``text[c.start:c.end] == c.text`` and nothing is counted twice.
  A parent clause therefore ends where its first child starts; ``top_level(clauses)`` rebuilds each top-level
  clause with its full span (children included), which is what clause-by-clause comparison wants.
- Levels: 1 is top. Numbers give depth ("3" -> 1, "3.1" -> 2, "3.1.2" -> 3); under ``ARTICLE`` headings,
  numbered sections are at least level 2; ``(a)`` / ``(i)`` items at the start of a line sit one (or two, for a
  second list style) below the heading they follow. Unnumbered markdown headings get levels by ``#`` rank, a
  lone first ``#`` title being a sibling of the sections rather than their parent.
- Only the start of a line can open a clause, so inline "(i) ... (ii)" lists or a date like "2. March" in
  running text never split a clause. Numbered paragraphs without a recognisable title must also continue the
  numbering (4 after 3), which keeps stray numbered lines in bodies from becoming clauses.
- Titles are never empty: text before the first heading is "Preamble", an untitled paragraph takes its first
  words.

headings.py finds the heading lines, titles.py reads their titles; this module cuts the text at them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from shared.text.headings import find_headings
from shared.text.titles import derive_title

PREAMBLE_TITLE = "Preamble"


@dataclass(frozen=True)
class Clause:
    index: int
    number: str | None
    title: str
    text: str
    start: int
    end: int
    level: int


def _trimmed_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def segment(text: str) -> list[Clause]:
    """Clauses of ``text`` in document order; see the module docstring for the rules."""
    headings = find_headings(text)
    clauses: list[Clause] = []
    first_start = headings[0].start if headings else len(text)
    pre_start = len(text[:first_start]) - len(text[:first_start].lstrip())
    if text[:first_start].strip():
        pre_end = _trimmed_end(text, pre_start, first_start)
        title = PREAMBLE_TITLE if headings else derive_title(text[pre_start:pre_end].split("\n", 1)[0])
        clauses.append(Clause(0, None, title or PREAMBLE_TITLE, text[pre_start:pre_end], pre_start, pre_end, 1))
    for i, h in enumerate(headings):
        nxt = headings[i + 1].start if i + 1 < len(headings) else len(text)
        start = h.start + (len(text[h.start : nxt]) - len(text[h.start : nxt].lstrip()))
        end = _trimmed_end(text, start, nxt)
        title = h.title or derive_title(h.body) or (f"({h.number})" if h.number else "Untitled")
        clauses.append(Clause(len(clauses), h.number, title, text[start:end], start, end, h.level))
    return clauses


def _is_preamble(clause: Clause) -> bool:
    return clause.index == 0 and clause.number is None and clause.title == PREAMBLE_TITLE


def top_level(clauses: list[Clause], text: str) -> list[Clause]:
    """Top-level clauses of ``segment(text)``, each spanning its nested children, re-indexed from 0.

    ``text`` is the segmented text: the whitespace between a parent and its children is not part of any
    clause, so the full span is cut from it (``text[c.start:c.end] == c.text`` still holds).
    The top level is the shallowest level among headed clauses; the preamble, and nested clauses that come
    before the first top-level heading, stay top-level too, so no text is lost.
    """
    headed = [c for c in clauses if not _is_preamble(c)]
    min_level = min((c.level for c in headed), default=1)
    groups: list[list[Clause]] = []
    for c in clauses:
        if not groups or c.level <= min_level or _is_preamble(groups[-1][0]):
            groups.append([c])
        else:
            groups[-1].append(c)
    result: list[Clause] = []
    for i, group in enumerate(groups):
        head, end = group[0], group[-1].end
        result.append(replace(head, index=i, text=text[head.start : end], end=end))
    return result


def segment_top_level(text: str) -> list[Clause]:
    """``top_level(segment(text), text)``: what clause-by-clause comparison aligns."""
    return top_level(segment(text), text)
