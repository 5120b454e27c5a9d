"""The fact a quoted sentence states, in a few words a lawyer can read: "Delaware law", "five (5) years after
termination of this Agreement", "$100,000".

What the question part asks decides what is looked for in the sentence: the law that governs (a place), where
disputes go (a place), a time (a duration, a date), an amount (money, a percentage). Otherwise the fact is the
sentence itself, without markup and cut to the phrase that carries the question. Always read from the sentence,
never invented: the quote stays the citation.
"""

from __future__ import annotations

import re

from shared.analysis.offline.similarity import clip, fold, lemmas, sentences, strip_heading, wordlist
from shared.comparison.offline.places import Place, places
from shared.comparison.offline.quantities import Quantity, quantities
from shared.query.offline.question import Query
from shared.text.markup import comparable

FACT_CHARS = 200
_LAW = re.compile(r"\b(?:law|laws|govern\w*|applicable|construed)\b")
_VENUE = re.compile(r"\b(?:court\w*|venue|forum|heard|jurisdiction|sue|litigat\w*|arbitrat\w*|disputes?)\b")
_TIME = re.compile(
    r"\b(?:how long|how soon|how fast|how quickly|how many (?:days|months|years)|when|deadline|period|last|"
    r"notice|within|until|duration|term|expire\w*|renew\w*|survive\w*)\b"
)
_AMOUNT = re.compile(
    r"\b(?:how much|most|maximum|cap|capped|limit\w*|amount|fee|fees|price|cost|pay|paid|interest|rate|"
    r"deposit|rent|salary)\b"
)
_TIME_UNITS = frozenset({"year", "month", "week", "day", "hour", "minute", "calendar day", "business day", "date"})
_PLACEHOLDER = re.compile(r"\b(?:Law|Laws|Jurisdiction|Court|Courts|Party|Agreement|Venue)\b")
_CHUNK = re.compile(r"[^;:]+")
_LEAD = re.compile(r"^[\s,;:(\-\u2026]+|[\s,;:(\-\u2026]+$")


def state_fact(part: Query, quote: str) -> str:
    """The fact ``quote`` states about the question ``part``, in plain words: read from its sentence that carries
    most of the part."""
    candidates = [comparable(strip_heading(s.text)) for s in sentences(quote)] or [comparable(quote)]
    plain = max(candidates, key=lambda s: sum(c.credit(set(lemmas(s))) for c in part.concepts))
    asked = fold(part.text)
    # A template's placeholder ("the State of Governing Law") is not a place.
    found = [p for p in places(plain) if not _PLACEHOLDER.search(p.display)]
    if found and _LAW.search(asked) and not _VENUE.search(asked):
        return f"{_place_name(found[0].display)} law"
    if found and _VENUE.search(asked):
        return f"courts of {_venue(plain, found)}"
    amounts = quantities(plain)
    time = [q for q in amounts if q.unit in _TIME_UNITS]
    money = [q for q in amounts if q.unit in ("$", "%")]
    if _TIME.search(asked) and time:
        return _around(plain, time[0])
    if _AMOUNT.search(asked) and money:
        return _around(plain, money[0])
    return _best_chunk(plain, part)


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


def _around(plain: str, quantity: Quantity) -> str:
    """The quantity with the words that say what it applies to: the sentence, or as much of it as reads whole."""
    if len(plain) <= FACT_CHARS:
        return _tidy(plain)
    end = quantity.start + len(quantity.phrase)
    if end <= FACT_CHARS:  # from the sentence's start to the end of the phrase that holds the quantity
        head = plain[:FACT_CHARS]
        cut = max(head.rfind(", ", end), head.rfind("; ", end))
        return _tidy(head[:cut] if cut > end else clip(plain, FACT_CHARS))
    start = plain.rfind(";", 0, quantity.start) + 1
    stops = [i for i in (plain.find(";", quantity.start), plain.find(". ", quantity.start)) if i >= 0]
    chunk = plain[start : min(stops) if stops else len(plain)]
    if len(chunk) <= FACT_CHARS:
        return _tidy(chunk)
    return _tidy(clip(chunk, FACT_CHARS, quantity.start - start))


def _best_chunk(plain: str, part: Query) -> str:
    """The sentence, or when long its part (between semicolons) that carries most of the question."""
    if len(plain) <= FACT_CHARS:
        return _tidy(plain)
    chunks = [m.group() for m in _CHUNK.finditer(plain) if m.group().strip()]
    if len(chunks) > 1:
        best = max(chunks, key=lambda c: (sum(x.credit(set(lemmas(c))) for x in part.concepts), -len(c)))
        if len(best) <= FACT_CHARS:
            return _tidy(best)
        plain = best
    focus = next((m.start() for c in part.concepts if (m := re.search(r"\b" + re.escape(c.word), fold(plain)))), 0)
    return _tidy(clip(plain, FACT_CHARS, focus))


def _tidy(text: str) -> str:
    """Trimmed, capitalised, without the sentence's full stop; a cut-off end keeps its ellipsis."""
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
