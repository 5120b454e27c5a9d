"""The fact a quote states, as a lawyer reads it: "Delaware law", "courts of King County, Washington", or the
sentence that holds it ("The obligations of confidentiality survive for five (5) years after termination of this
Agreement").

What the question part asks decides what is looked for in the sentence: the law that governs (a place), where
disputes go (a place). Otherwise (a time, an amount, anything else) the fact is the sentence that holds it, whole
and without markup: never a piece cut by a character budget, which could stop before the words that answer ("...
continues for one (1) year unless ... The" when the answer is "two (2) years"), or start in the middle ("Or any of
its Representatives is required ..."). A sentence is the unit a quote is made of (shared/query/offline/quotes.py:
a long one's list item or clause between semicolons). Always read from the sentence, never invented: the quote
stays the citation.
"""

from __future__ import annotations

import re

from shared.analysis.offline.similarity import fold, lemmas, wordlist
from shared.comparison.offline.places import Place, places
from shared.query.offline.question import Query
from shared.query.offline.quotes import quotable_units
from shared.text.markup import comparable

_LAW = re.compile(r"\b(?:law|laws|govern\w*|applicable|construed)\b")
_VENUE = re.compile(r"\b(?:court\w*|venue|forum|heard|jurisdiction|sue|litigat\w*|arbitrat\w*|disputes?)\b")
_PLACEHOLDER = re.compile(r"\b(?:Law|Laws|Jurisdiction|Court|Courts|Party|Agreement|Venue)\b")
_LEAD = re.compile(r"^[\s,;:(\-\u2026]+|[\s,;:(\-\u2026]+$")


def state_fact(part: Query, quote: str) -> str:
    """The fact ``quote`` states about the question ``part``, in plain words: read from its sentence that carries
    most of the part."""
    units = [comparable(quote[u.start : u.end]) for u in quotable_units(quote)]
    candidates = [u for u in units if u.strip()] or [comparable(quote)]
    plain = max(candidates, key=lambda s: sum(c.credit(set(lemmas(s))) for c in part.concepts))
    asked = fold(part.text)
    # A template's placeholder ("the State of Governing Law") is not a place.
    found = [p for p in places(plain) if not _PLACEHOLDER.search(p.display)]
    if found and _LAW.search(asked) and not _VENUE.search(asked):
        return f"{_place_name(found[0].display)} law"
    if found and _VENUE.search(asked):
        return f"courts of {_venue(plain, found)}"
    return _tidy(plain)


def _venue(plain: str, found: list[Place]) -> str:
    """The place the courts are in: the first place named after "court", with the state that follows it."""
    court = plain.lower().find("court")
    after = [p for p in found if p.start > court] if court >= 0 else []
    first = (after or found)[-1 if not after else 0]
    name = _place_name(first.display)
    following = [p for p in found if 0 <= p.start - (first.start + len(first.display)) <= 3]
    return f"{name}, {_place_name(following[0].display)}" if following else name


def _place_name(display: str) -> str:
    return re.sub(r"^(?:the\s+)?(?:State|Commonwealth|Province)\s+of\s+", "", display)


def _tidy(text: str) -> str:
    """Trimmed, capitalised, without the sentence's full stop (an ellipsis the contract ends it with is kept)."""
    text = " ".join(text.split())
    cut = text.endswith("\u2026")
    text = _LEAD.sub("", text).rstrip(".")
    text = text[:1].upper() + text[1:] if text else text
    return text + "\u2026" if cut and text else text


_LOWER_LEAD = frozenset(
    wordlist("the a an each either any all no if in on upon for this these such its their our your we you it")
)


def joined(statements: list[str]) -> str:
    """Statements as one sentence: "Delaware law; the obligations survive five (5) years ...", ending with a stop
    (or the ellipsis of a cut-off statement)."""
    out = []
    for i, statement in enumerate(statements):
        first = statement.split(" ", 1)[0]
        if i and first.lower() in _LOWER_LEAD and first[:1].isupper():
            statement = statement[:1].lower() + statement[1:]
        out.append(statement)
    text = "; ".join(out)
    return text if text.endswith(("\u2026", ".", "?", "!")) else text + "."
