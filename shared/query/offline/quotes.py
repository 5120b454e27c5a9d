"""What the answer quotes from a clause: every sentence that carries a part of the question, whole and verbatim.

Every quote is an exact substring of the clause text (citations are checked for it), so passages are cut from
the text at sentence offsets and never rewritten, and never cut by a character budget: a quote that stopped at
"one (1) year unless ... The" would hide the "two (2) years" that answers the question.

The unit quoted is a sentence. A sentence longer than LONG_SENTENCE is quoted by its parts instead: the items of
a list (on lines of their own, or "(a) ...; (b) ..." within the sentence; an item may end without a full stop),
otherwise its clauses between semicolons, each whole; an item comes with the list's lead-in ("The Receiving
Party shall:") when both fit in QUOTE_CHARS. A part with no such boundary stays whole, however long. A clause
gives at most MAX_SENTENCES_PER_CLAUSE units (the best, and each other one that carries SENTENCE_SHARE of the
question); units near each other are one quote while it stays within QUOTE_CHARS, and the clause's quotes come
best first.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from shared.analysis.offline.similarity import lemmas, sentences, strip_heading
from shared.query.offline.question import Query

# Every sentence that carries at least this share of the question is quoted (the best ones, up to a limit).
SENTENCE_SHARE = 0.15
MAX_SENTENCES_PER_CLAUSE = 3
# Neighbouring units are joined into one quote while it stays this short; a unit alone is never cut.
QUOTE_CHARS = 500
# A sentence longer than this is quoted by its list items or semicolon clauses.
LONG_SENTENCE = 600

# A list item opening a line: "- ", "* ", "1. ", "a) ", "(a) ", "(iv) ".
_LINE_ITEM = re.compile(r"^[ \t]*(?:[-*+•]|\d{1,2}[.)]|[a-z][.)]|\((?:[a-z]|[ivx]{1,4}|\d{1,2})\))[ \t]+", re.M)
# A list item within a sentence: "(a) ", "(ii) " after a space (the "and"/"or" before it belongs to neither
# item). Digits are not items here: "five (5) years".
_INLINE_ITEM = re.compile(r"(?:(?<=\s)|^)\((?:[a-z]|[ivx]{1,4})\)\s")
_CONJUNCTION = re.compile(r"(?:;|,)?\s*(?:\b(?:and|or)\b)?\s*$")
_SEMICOLON = re.compile(r";\s+")
# A heading on lines of its own: "### 3. Ownership of Content", "13\. Termination" over a row of dashes,
# "**Fees**". It says where the answer is, not what it is: not quoted, alone or opening a sentence.
_HEADING_ONLY = re.compile(r"#{1,6}[ \t][^\n]*|[^\n]{1,150}\n[ \t]*(?:-{3,}|={3,})[ \t]*|\*\*[^*\n]{1,150}\*\*\.?")
_UNDERLINED = re.compile(r"[^\n]{1,150}\n[ \t]*(?:-{3,}|={3,})[ \t]*\n\s*")


@dataclass(frozen=True)
class Unit:
    """A whole sentence, or a whole part of a long one; `lead` is where its list's lead-in starts, if it has one."""

    start: int
    end: int
    lead: int | None = None


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    score: float
    lead: int | None = None


def quotable_units(text: str) -> list[Unit]:
    """The units a quote is made of, in text order, without a heading that opens them ("12. **Notices**.") or
    stands on lines of its own."""
    out: list[Unit] = []
    for s in sentences(text):
        body = strip_heading(s.text)
        if underlined := _UNDERLINED.match(body):
            body = strip_heading(body[underlined.end() :])
        start = s.end - len(body)
        if _HEADING_ONLY.fullmatch(body.strip()):
            continue
        if len(body) <= LONG_SENTENCE:
            out.append(Unit(start, s.end))
        else:
            out.extend(_parts(text, start, s.end))
    return out


def _parts(text: str, start: int, end: int) -> list[Unit]:
    """A long sentence's items (with where its lead-in starts), else its clauses between semicolons."""
    body = text[start:end]
    for pattern in (_LINE_ITEM, _INLINE_ITEM):
        markers = [m.start() for m in pattern.finditer(body)]
        if len(markers) >= 2:
            return _split(text, start, end, markers, lead=markers[0] > 0 and bool(body[: markers[0]].strip()))
    breaks = [m.end() for m in _SEMICOLON.finditer(body)]
    if breaks:
        return _split(text, start, end, breaks, lead=False)
    return [Unit(start, end)]


def _split(text: str, start: int, end: int, cuts: list[int], lead: bool) -> list[Unit]:
    bounds = [0, *cuts, end - start] if cuts[0] > 0 else [*cuts, end - start]
    units = []
    for lo, hi in itertools.pairwise(bounds):
        piece = text[start + lo : start + hi]
        # "...; and (c)": the item before ends at its semicolon; the conjunction belongs to neither.
        tail = _CONJUNCTION.search(piece)
        kept = piece[: tail.start() + (1 if tail.group().startswith((";", ",")) else 0)] if tail else piece
        kept = kept.rstrip()
        if kept.strip():
            offset = start + lo + (len(kept) - len(kept.lstrip()))
            item_lead = start if lead and lo > 0 else None
            units.append(Unit(offset, start + lo + len(kept), item_lead))
    return units


def _spans(text: str, query: Query, weights: list[float]) -> list[_Span]:
    """Units that carry a part of the question, in text order."""
    out = []
    for unit in quotable_units(text):
        found = set(lemmas(text[unit.start : unit.end]))
        score = sum(w * c.credit(found) for w, c in zip(weights, query.concepts, strict=True))
        if score > 0:
            out.append(_Span(unit.start, unit.end, score, unit.lead))
    return out


def _quoted_spans(spans: list[_Span], weights: list[float]) -> list[_Span]:
    """The best unit, and every other that carries a real part of the question (best first, to a limit)."""
    ranked = sorted(spans, key=lambda s: (-s.score, s.start))
    floor = SENTENCE_SHARE * sum(weights)
    chosen = ranked[:1] + [s for s in ranked[1:] if s.score >= floor][: MAX_SENTENCES_PER_CLAUSE - 1]
    return sorted(chosen, key=lambda s: s.start)


def verbatim_quotes(text: str, query: Query, weights: list[float]) -> list[str]:
    """Verbatim quotes of the whole units that carry the question, best first: neighbours joined into one passage
    while it stays within QUOTE_CHARS, an item with its list's lead-in when both fit."""
    spans = _spans(text, query, weights)
    if not spans:
        units = quotable_units(text)
        return [text[units[0].start : units[0].end]] if units else [text.strip()]
    passages: list[_Span] = []
    for span in _quoted_spans(spans, weights):
        start = span.lead if span.lead is not None and span.end - span.lead <= QUOTE_CHARS else span.start
        if passages and span.end - min(passages[-1].start, start) <= QUOTE_CHARS:
            last = passages[-1]
            passages[-1] = _Span(min(last.start, start), span.end, max(last.score, span.score))
        else:
            passages.append(_Span(start, span.end, span.score))
    passages.sort(key=lambda p: (-p.score, p.start))
    return [text[p.start : p.end] for p in passages]
