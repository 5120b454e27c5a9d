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
  words. YAML front matter belongs to the preamble; a summary table under its own heading is a clause like any
  other.
- Analysis units (``top_level``): a top-level clause spans its children, except that a clause whose children are
  *marked* section headings — Markdown headings (``## B. Account Terms`` / ``### 1. Account Controls``) or titles
  in bold or HTML (``1. <span class="header_3">Access and Use.</span>``) — is compared and ranked section by
  section: its own text (heading and any introduction), then each section, titled "Account Terms > Account
  Controls". Run-in numbered paragraphs of a plain-text article ("8.2 Cap on Liability. ...") and "(a)" items
  stay inside their clause.

headings.py finds the heading lines, titles.py reads their titles; this module cuts the text at them.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace

from shared.text.headings import find_headings
from shared.text.titles import derive_title

PREAMBLE_TITLE = "Preamble"
# Between a section's title and its parent's in an analysis unit's title: "Private Repositories > Access".
PATH_SEPARATOR = " > "
# A heading line the author marked as one: Markdown, or a title in bold or HTML after its number.
_MARKED_LINE = re.compile(r"^[ \t]*(?:#|(?:\(?[0-9A-Za-z]{1,3}(?:\.[0-9]{1,3})*[.)]?[ \t]+)?(?:\*\*|__|<[A-Za-z]))")
_UNDERLINE = re.compile(r"^ {0,3}(?:=+|-{2,}) *$")


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
    """The analysis units of ``segment(text)``: top-level clauses, each spanning its nested children, re-indexed
    from 0 — except that a clause whose children are marked section headings is cut into its own text and its
    sections (see the module docstring).

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
    for group in groups:
        result.extend(_units(group, text, ""))
    return [replace(c, index=i) for i, c in enumerate(result)]


def _units(group: list[Clause], text: str, prefix: str) -> list[Clause]:
    """A clause and its descendants as analysis units: one, or its own text and each marked section."""
    head = group[0]
    title = prefix + head.title
    children = group[1:]
    depth = min((c.level for c in children), default=0)
    sections = [i for i, c in enumerate(children, start=1) if c.level == depth]
    if not children or not all(_is_section(group[i], text) for i in sections):
        end = group[-1].end
        return [replace(head, title=title, text=text[head.start : end], end=end)]
    own_end = _trimmed_end(text, head.start, children[0].start)
    units = [replace(head, title=title, text=text[head.start : own_end], end=own_end)]
    bounds = [*sections, len(group)]
    for lo, hi in itertools.pairwise(bounds):
        units.extend(_units(group[lo:hi], text, title + PATH_SEPARATOR))
    return units


def _is_section(clause: Clause, text: str) -> bool:
    """A titled heading the author marked as a heading (Markdown, bold, HTML): not an "(a)" item, not a numbered
    paragraph of running text."""
    if clause.number is not None and clause.number.startswith("("):
        return False
    line_end = text.find("\n", clause.start)
    line = text[clause.start : line_end if line_end >= 0 else len(text)]
    if _MARKED_LINE.match(line):
        return True
    following = text[line_end + 1 : text.find("\n", line_end + 1)] if line_end >= 0 else ""
    return bool(_UNDERLINE.match(following))


def segment_top_level(text: str) -> list[Clause]:
    """``top_level(segment(text), text)``: what clause-by-clause comparison aligns."""
    return top_level(segment(text), text)
