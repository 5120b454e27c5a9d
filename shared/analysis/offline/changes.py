"""Concrete, nameable changes between two versions of a clause: the facts a reviewing lawyer looks for first.

Each detector compares the standard and compared text and returns `Change`s with a short phrase for the
explanation ("confidentiality period changed from five (5) years to two (2) years") and the offsets of the
changed text on each side, so the excerpt can show the sentence where it happened.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from shared.analysis.offline.similarity import word_spans, wordlist

_NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
}
_NUM_WORD = r"(?:" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
_NUM_WORDS = rf"{_NUM_WORD}(?:[\s-]+{_NUM_WORD})*"
_DIGITS = r"\d[\d,]*(?:\.\d+)?"
_UNIT = (
    r"(?:calendar\s+|business\s+|working\s+)?(?:years?|months?|weeks?|days?|hours?|minutes?)"
    r"|percent|per\s*cent|%|dollars|usd|eur|euros?|gbp|pounds"
)
_MULTIPLIER = r"(?:\s+(?:thousand|million|billion))?"
# "five (5) years", "5 years", "$1,000,000", "twelve months", "10%", "USD 50,000"; bare "(5)" list markers and
# "Section 5" references are not quantities.
_QUANTITY = re.compile(
    rf"(?P<money>(?:\$|usd\s*|eur\s*|€|£)\s?{_DIGITS}{_MULTIPLIER})"
    rf"|(?P<words>\b{_NUM_WORDS}\b)(?:\s*\(\s*(?P<paren>\$?{_DIGITS}%?)\s*\))?(?:\s+(?P<unit1>{_UNIT})\b)?"
    rf"|(?<![\w.(§])(?P<digits>{_DIGITS}){_MULTIPLIER}(?:\s*(?P<unit2>{_UNIT})\b)?",
    re.I,
)
_REFERENCE = re.compile(r"(?:section|sections|article|clause|exhibit|schedule|§|paragraph)\s*$", re.I)


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str
    phrase: str
    start: int


@dataclass(frozen=True)
class Change:
    kind: str  # "jurisdiction" | "number" | "negation" | "obligation" | "cap" | "exclusion"
    description: str
    standard_at: int | None  # offset in the standard clause text, when the change is located there
    compared_at: int | None
    high: bool = True  # does this change alone make the deviation high-severity?


def _unit_key(unit: str | None) -> str:
    if not unit:
        return ""
    unit = re.sub(r"\s+", " ", unit.lower())
    unit = re.sub(r"^(calendar|business|working) ", r"\1 ", unit)
    if unit in ("%", "percent", "per cent"):
        return "%"
    return unit[:-1] if unit.endswith("s") and unit not in ("%",) else unit


def _words_value(text: str) -> float:
    total = 0
    for part in re.split(r"[\s-]+", text.lower()):
        value = _NUMBER_WORDS.get(part, 0)
        total = total * value if value == 100 and total else total + value
    return float(total)


def _parse_digits(text: str) -> float:
    cleaned = re.sub(r"[^\d.]", "", text)
    try:
        return float(cleaned)
    except ValueError:
        return 0.0


def _multiplier(text: str) -> float:
    lowered = text.lower()
    for word, factor in (("thousand", 1e3), ("million", 1e6), ("billion", 1e9)):
        if word in lowered:
            return factor
    return 1.0


def quantities(text: str) -> list[Quantity]:
    """Amounts, durations, percentages and plain numbers, with the phrase as written."""
    out: list[Quantity] = []
    for m in _QUANTITY.finditer(text):
        if _REFERENCE.search(text[max(0, m.start() - 12) : m.start()]):
            continue
        phrase = m.group().strip()
        line_head = text[text.rfind("\n", 0, m.start()) + 1 : m.start()]
        if m.group("digits") and not m.group("unit2") and not line_head.strip(" \t#*(>"):
            continue  # "12." or "8.3" opening a line is clause numbering, not a quantity
        if m.group("money"):
            out.append(Quantity(_parse_digits(phrase) * _multiplier(phrase), "$", phrase, m.start()))
        elif m.group("words"):
            unit, paren = m.group("unit1"), m.group("paren")
            value = _parse_digits(paren) if paren else _words_value(m.group("words"))
            if not unit and not paren and value < 2:
                continue  # "one of the parties", "no one": not a quantity
            out.append(Quantity(value, _unit_key(unit), phrase, m.start()))
        else:
            value = _parse_digits(m.group("digits")) * _multiplier(phrase)
            out.append(Quantity(value, _unit_key(m.group("unit2")), phrase, m.start()))
    return out


# --- numbers -----------------------------------------------------------------------------------------------


def _number_subject(text: str, at: int, concepts: frozenset[str], unit: str) -> str:
    """What a number is about, from the words just around it in its sentence (or the clause's concept)."""
    # Only the current sentence, and the keyword nearest the number wins ("... notice ... liability of $X").
    before = re.split(r"[.;:]\s", text[max(0, at - 240) : at].lower())[-1]
    after = re.split(r"[.;:]\s", text[at : at + 50].lower())[0]
    for needle, label in (
        ("notice", "notice period"),
        ("solicit", "non-solicit period"),
        ("compet", "non-compete period"),
    ):
        if needle in after and needle not in before:
            return label
    if ("liabil" in before and unit in ("$", "%")) or re.search(r"liab[^.]*limited to", before):
        return "liability cap"
    if "confidential" in before and unit.split(" ")[-1] in ("year", "month", "week", "day"):
        return "confidentiality period"
    lowered = before
    best: tuple[int, str] | None = None
    for needle, label in (
        ("notice", "notice period"),
        ("confidential", "confidentiality period"),
        ("surviv", "survival period"),
        ("non-compet", "non-compete period"),
        ("compete", "non-compete period"),
        ("solicit", "non-solicit period"),
        ("liabil", "liability cap"),
        ("exceed", "liability cap"),
        ("interest", "interest rate"),
        ("late", "late fee"),
        ("rent", "rent"),
        ("deposit", "deposit"),
        ("salary", "salary"),
        ("fee", "fees"),
        ("invoice", "payment period"),
        ("pay", "payment terms"),
        ("renew", "renewal period"),
        ("terminat", "termination period"),
        ("term", "term"),
    ):
        at = lowered.rfind(needle)
        if at >= 0 and (best is None or at > best[0]):
            best = (at, label)
    if best is not None:
        return best[1]
    time_unit = unit.split(" ")[-1] in ("year", "month", "week", "day", "hour", "minute")
    for concept, label in (
        ("confidentiality", "confidentiality period"),
        ("non_compete", "non-compete period"),
        ("non_solicit", "non-solicit period"),
        ("liability_cap", "liability cap"),
        ("payment", "payment terms"),
        ("termination", "notice period"),
        ("term", "term"),
    ):
        if concept in concepts and (time_unit or concept in ("liability_cap", "payment")):
            return label
    if unit == "$":
        return "amount"
    if unit == "%":
        return "percentage"
    return "period" if time_unit else "number"


def number_changes(standard: str, compared: str, concepts: frozenset[str]) -> list[Change]:
    qa, qb = quantities(standard), quantities(compared)
    removed, added = _unmatched(qa, qb, len(standard), len(compared))
    changes: list[Change] = []
    for q in removed:
        partner = next((p for p in added if p.unit == q.unit), None)
        if partner is None and len(removed) == 1 and len(added) == 1:
            partner = added[0]  # one number replaced by one number: a change, even if the unit moved
        subject = _number_subject(standard, q.start, concepts, q.unit)
        if partner is not None:
            added.remove(partner)
            text = f"{subject} changed from {q.phrase} to {partner.phrase}"
            changes.append(Change("number", text, q.start, partner.start))
        else:
            changes.append(Change("number", f"{subject} of {q.phrase} removed", q.start, None))
    for p in added:
        subject = _number_subject(compared, p.start, concepts, p.unit)
        changes.append(Change("number", f"{subject} of {p.phrase} added", None, p.start))
    return changes


def _unmatched(qa: list[Quantity], qb: list[Quantity], len_a: int, len_b: int) -> tuple[list[Quantity], list[Quantity]]:
    """Quantities on each side with no equal partner on the other; equal values pair by relative position,
    so when a clause now says "thirty (30) days" twice, the new occurrence is the one reported."""
    paired_a: set[int] = set()
    paired_b: set[int] = set()
    candidates = []
    for i, q in enumerate(qa):
        for j, p in enumerate(qb):
            if (q.value, q.unit) == (p.value, p.unit):
                distance = abs(q.start / max(1, len_a) - p.start / max(1, len_b))
                candidates.append((distance, i, j))
    for _, i, j in sorted(candidates):
        if i not in paired_a and j not in paired_b:
            paired_a.add(i)
            paired_b.add(j)
    return (
        [q for i, q in enumerate(qa) if i not in paired_a],
        [p for j, p in enumerate(qb) if j not in paired_b],
    )


# --- jurisdictions -----------------------------------------------------------------------------------------

_PLACES = [
    *wordlist(
        "Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida Georgia Hawaii Idaho "
        "Illinois Indiana Iowa Kansas Kentucky Louisiana Maine Maryland Massachusetts Michigan Minnesota Mississippi "
        "Missouri Montana Nebraska Nevada Ohio Oklahoma Oregon Pennsylvania Tennessee Texas Utah Vermont Virginia "
        "Washington Wisconsin Wyoming England Scotland Ireland Wales Canada Ontario Quebec Alberta Australia "
        "Singapore Germany France Netherlands Switzerland Japan India Israel Luxembourg Sweden Spain Italy"
    ),
    "New Hampshire",
    "New Jersey",
    "New Mexico",
    "New York",
    "North Carolina",
    "North Dakota",
    "Rhode Island",
    "South Carolina",
    "South Dakota",
    "West Virginia",
    "District of Columbia",
    "England and Wales",
    "Northern Ireland",
    "United Kingdom",
    "United States",
    "British Columbia",
    "New South Wales",
    "Hong Kong",
    "Cayman Islands",
    "San Francisco",
    "Los Angeles",
]
_CAP_WORD = r"[A-Z][A-Za-z'-]+"
_PLACE_PATTERN = re.compile(
    rf"\b(?:the\s+)?(?P<kind>State|Commonwealth|Province|Republic|Kingdom|County|City)\s+of\s+"
    rf"(?P<name>{_CAP_WORD}(?:\s+(?:and\s+)?{_CAP_WORD})*)"
    rf"|\b(?P<county>{_CAP_WORD}(?:\s+{_CAP_WORD})*)\s+County\b"
    rf"|\b(?P<known>{'|'.join(re.escape(p) for p in sorted(_PLACES, key=len, reverse=True))})\b"
)


@dataclass(frozen=True)
class Place:
    key: str
    display: str
    start: int


def places(text: str) -> list[Place]:
    """Jurisdictions named in a clause: 'State of Delaware', 'New Castle County', 'England and Wales'."""
    out: list[Place] = []
    for m in _PLACE_PATTERN.finditer(text):
        if m.group("name"):
            display = f"{m.group('kind')} of {m.group('name')}"
        elif m.group("county"):
            display = f"{m.group('county')} County"
        else:
            display = m.group("known")
        # Keyed by the full form: "State of Delaware" -> "State of New York" is a change even when the
        # clause still mentions "Wilmington, Delaware" elsewhere.
        out.append(Place(display.lower(), display, m.start()))
    return out


def _place_subject(context: str) -> str:
    lowered = re.split(r"[.;:]\s", context.lower())[-1]
    if "court" in lowered or "venue" in lowered or "jurisdiction" in lowered or "arbitrat" in lowered:
        return "venue"
    if "law" in lowered or "govern" in lowered or "construed" in lowered:
        return "governing law"
    return "jurisdiction"


def place_changes(standard: str, compared: str) -> list[Change]:
    pa, pb = places(standard), places(compared)
    keys_b = {p.key for p in pb}
    keys_a = {p.key for p in pa}
    removed = list({p.key: p for p in reversed(pa) if p.key not in keys_b}.values())[::-1]
    added = list({p.key: p for p in reversed(pb) if p.key not in keys_a}.values())[::-1]
    removed.sort(key=lambda p: p.start)
    added.sort(key=lambda p: p.start)
    changes: list[Change] = []
    for i, p in enumerate(removed):
        subject = _place_subject(standard[max(0, p.start - 100) : p.start])
        if i < len(added):
            q = added[i]
            changes.append(
                Change("jurisdiction", f"{subject} changed from {p.display} to {q.display}", p.start, q.start)
            )
        else:
            changes.append(Change("jurisdiction", f"{subject} reference to {p.display} removed", p.start, None))
    for q in added[len(removed) :]:
        subject = _place_subject(compared[max(0, q.start - 100) : q.start])
        changes.append(Change("jurisdiction", f"{subject} reference to {q.display} added", None, q.start))
    return changes


# --- obligations and negation ------------------------------------------------------------------------------

_NEGATIONS = frozenset({"not", "no", "never", "neither", "nor", "none", "without", "cannot"})
_MANDATORY = frozenset({"shall", "must", "will", "agrees", "required", "obligated"})
_PERMISSIVE = frozenset({"may", "can", "might", "option"})


def obligation_changes(standard: str, compared: str) -> list[Change]:
    """'shall' <-> 'may' and inserted/removed 'not': one word that turns a clause around."""
    sa, sb = word_spans(standard), word_spans(compared)
    wa, wb = [w for w, _, _ in sa], [w for w, _, _ in sb]
    changes: list[Change] = []
    matcher = difflib.SequenceMatcher(None, wa, wb, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or i2 - i1 > 6 or j2 - j1 > 6:
            continue  # a longer rewrite is reported as a rewrite, not as a flipped word
        deleted, inserted = set(wa[i1:i2]), set(wb[j1:j2])
        at_a = sa[i1][1] if i1 < len(sa) else None
        at_b = sb[j1][1] if j1 < len(sb) else None
        phrase_a, phrase_b = _phrase(standard, sa, i1, i2), _phrase(compared, sb, j1, j2)
        if deleted & _MANDATORY and inserted & _PERMISSIVE:
            text = f"obligation weakened from “{phrase_a}” to “{phrase_b}”"
            changes.append(Change("obligation", text, at_a, at_b))
        elif deleted & _PERMISSIVE and inserted & _MANDATORY:
            text = f"obligation strengthened from “{phrase_a}” to “{phrase_b}”"
            changes.append(Change("obligation", text, at_a, at_b))
        neg_a = sum(w in _NEGATIONS for w in wa[i1:i2])
        neg_b = sum(w in _NEGATIONS for w in wb[j1:j2])
        if neg_b > neg_a:
            changes.append(Change("negation", f"negation inserted: “{phrase_b}”", at_a, at_b))
        elif neg_a > neg_b:
            changes.append(Change("negation", f"negation removed: “{phrase_a}” now reads “{phrase_b}”", at_a, at_b))
    return changes


def _phrase(text: str, spans: list[tuple[str, int, int]], i1: int, i2: int, pad: int = 3) -> str:
    """The changed words with a few words of context, as written in the original text."""
    if not spans:
        return ""
    lo = max(0, i1 - pad)
    hi = min(len(spans), max(i2, i1 + 1) + pad) - 1
    return " ".join(text[spans[lo][1] : spans[max(lo, hi)][2]].split())


# --- liability caps and damages exclusions -----------------------------------------------------------------

_CAP = re.compile(
    r"(?:shall|will)\s+not\s+exceed|in\s+no\s+event[^.;]{0,200}?exceed|(?:aggregate|total|maximum|cumulative)"
    r"\s+liability|liability\s+cap|cap\s+on\s+liability|liability[^.;]{0,60}?(?:is|be|are)\s+limited\s+to",
    re.I,
)
_EXCLUSION = re.compile(
    r"(?:consequential|indirect|incidental|special|punitive|exemplary)\s+(?:or\s+\w+\s+)?damages|lost\s+profits",
    re.I,
)


def protection_changes(standard: str, compared: str) -> list[Change]:
    changes: list[Change] = []
    for pattern, kind, name in ((_CAP, "cap", "liability cap"), (_EXCLUSION, "exclusion", "damages exclusion")):
        ma, mb = pattern.search(standard), pattern.search(compared)
        if ma and not mb:
            changes.append(Change(kind, f"{name} removed", ma.start(), None))
        elif mb and not ma:
            changes.append(Change(kind, f"{name} added", None, mb.start()))
    return changes


# "8.2 Cap on Liability." or "(b) Payment." opening a line inside a top-level clause: a nested sub-clause.
_SUBHEADING = re.compile(r"^[ \t]*(?:\d+(?:\.\d+)+\.?|\([a-z]\))[ \t]+(?:\*\*)?([A-Z][^.\n*]{2,80})(?:\*\*)?\.", re.M)


def subclause_changes(standard: str, compared: str, concepts: frozenset[str]) -> list[Change]:
    """Nested sub-clauses removed or added inside an aligned clause, named by their heading."""
    from shared.analysis.offline.vocabulary import heading_concepts, is_high_risk, normalize_heading

    heads_a = {normalize_heading(m.group(1)): m for m in _SUBHEADING.finditer(standard)}
    heads_b = {normalize_heading(m.group(1)): m for m in _SUBHEADING.finditer(compared)}
    changes: list[Change] = []
    for key, m in heads_a.items():
        if key not in heads_b:
            high = is_high_risk(heading_concepts(m.group(1)) | concepts)
            changes.append(Change("subclause", f"sub-clause “{m.group(1)}” removed", m.start(), None, high))
    for key, m in heads_b.items():
        if key not in heads_a:
            high = is_high_risk(heading_concepts(m.group(1)) | concepts)
            changes.append(Change("subclause", f"sub-clause “{m.group(1)}” added", None, m.start(), high))
    return changes


def detect_changes(standard: str, compared: str, concepts: frozenset[str]) -> list[Change]:
    """All concrete changes, most telling first."""
    return (
        subclause_changes(standard, compared, concepts)
        + place_changes(standard, compared)
        + number_changes(standard, compared, concepts)
        + protection_changes(standard, compared)
        + obligation_changes(standard, compared)
    )
