"""Concrete, nameable changes between two versions of a clause: the facts a reviewing lawyer looks for first.

Each detector compares the standard and compared text and returns `Change`s with a short phrase for the
explanation ("confidentiality period changed from five (5) years to two (2) years") and the offsets of the
changed text on each side, so the excerpt can show the sentence where it happened.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace

from shared.analysis.offline.comparable_headings import normalize_heading
from shared.analysis.offline.similarity import word_spans
from shared.comparison.offline.concepts import heading_concepts, is_high_risk
from shared.comparison.offline.places import Place, places
from shared.comparison.offline.quantities import Quantity, quantities


@dataclass(frozen=True)
class Change:
    kind: str  # "jurisdiction" | "number" | "negation" | "obligation" | "cap" | "exclusion"
    description: str
    standard_at: int | None  # offset in the standard clause text, when the change is located there
    compared_at: int | None
    high: bool = True  # does this change alone make the deviation high-severity?


# --- numbers -----------------------------------------------------------------------------------------------


def _number_subject(text: str, at: int, concepts: frozenset[str], unit: str) -> str:
    """What a number is about, from the words just around it in its sentence (or the clause's concept)."""
    if unit == "date":
        return "date"
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
        ("version", "version"),
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


# What a number is called when the words around it do not say what it is for.
_UNNAMED = frozenset({"number", "amount", "percentage", "period"})


@dataclass(frozen=True)
class _NumberChange:
    subject: str
    old: Quantity | None
    new: Quantity | None

    def restates(self, other: _NumberChange) -> bool:
        """The same values moving the same way, said again with a unit left out ("such thirty-day period" after
        "thirty (30) days") or without saying what it is for ("the 1.5% rate" after "interest at 1.5%")."""
        if (_value(self.old), _value(self.new)) != (_value(other.old), _value(other.new)):
            return False
        units = {q.unit for q in (self.old, self.new, other.old, other.new) if q is not None}
        if len(units - {""}) > 1:
            return False
        return self.subject in _UNNAMED or self.subject == other.subject or not _has_unit(self)


def _value(q: Quantity | None) -> float | None:
    return q.value if q is not None else None


def number_changes(standard: str, compared: str, concepts: frozenset[str]) -> list[Change]:
    """Numbers changed, removed or added, each fact once: the same change written twice in a clause (in other
    words, or with the unit left out) is named where it is said most fully."""
    qa, qb = quantities(standard), quantities(compared)
    removed, added = _unmatched(qa, qb, len(standard), len(compared))
    found: list[_NumberChange] = []
    for q in removed:
        partner = next((p for p in added if p.unit == q.unit), None)
        if partner is None and len(removed) == 1 and len(added) == 1:
            partner = added[0]  # one number replaced by one number: a change, even if the unit moved
        if partner is not None:
            added.remove(partner)
        found.append(_NumberChange(_number_subject(standard, q.start, concepts, q.unit), q, partner))
    for p in added:
        found.append(_NumberChange(_number_subject(compared, p.start, concepts, p.unit), None, p))
    # Named subjects and units first, so a restatement gives way to what it restates.
    ranked = sorted(found, key=lambda c: (c.subject in _UNNAMED, not _has_unit(c)))
    kept: list[_NumberChange] = []
    for change in ranked:
        if not any(change.restates(k) for k in kept):
            kept.append(change)
    named = {id(c) for c in kept}
    return [_number_change(c) for c in found if id(c) in named]


def _has_unit(change: _NumberChange) -> bool:
    return any(q is not None and q.unit for q in (change.old, change.new))


def _number_change(change: _NumberChange) -> Change:
    q, p = change.old, change.new
    said = q if q is not None else p
    assert said is not None
    # A date ("last updated", "effective") is worth naming, not escalating by itself.
    high = said.unit != "date"
    if q is not None and p is not None:
        return Change("number", f"{change.subject} changed from {q.phrase} to {p.phrase}", q.start, p.start, high)
    if q is not None:
        return Change("number", f"{change.subject} of {q.phrase} removed", q.start, None, high)
    return Change("number", f"{change.subject} of {said.phrase} added", None, said.start, high)


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

_VENUE_WORDS = re.compile(r"\b(?:courts?|venue|forum|jurisdiction|arbitrat\w*|seat)\b")
_LAW_WORDS = re.compile(r"\b(?:laws?|govern\w*|construed|interpreted)\b")


def _place_subject(context: str) -> str:
    """What a place is named for, from the words just before it in its sentence: the nearer of a court word
    ("the courts located in ...") and a law word ("governed by the laws of ...") decides."""
    lowered = re.split(r"[.;:]\s", context.lower())[-1]
    venue = max((m.end() for m in _VENUE_WORDS.finditer(lowered)), default=-1)
    law = max((m.end() for m in _LAW_WORDS.finditer(lowered)), default=-1)
    if venue < 0 and law < 0:
        return "jurisdiction"
    return "venue" if venue > law else "governing law"


@dataclass(frozen=True)
class _Named:
    subject: str
    place: Place


def _named(text: str) -> list[_Named]:
    return [_Named(_place_subject(text[max(0, p.start - 100) : p.start]), p) for p in places(text)]


def place_changes(standard: str, compared: str) -> list[Change]:
    """One change per fact: the governing law and the venue are compared each on its own (what each names, not
    where), so "Delaware" qualifying a county, or named again for the courts, is not a change of its own."""
    na, nb = _named(standard), _named(compared)
    subjects = list(dict.fromkeys(n.subject for n in na + nb))
    left_a: list[_Named] = []
    left_b: list[_Named] = []
    changes: list[Change] = []
    for subject in subjects:
        keys_a = {n.place.key for n in na if n.subject == subject}
        keys_b = {n.place.key for n in nb if n.subject == subject}
        removed = _first_of_each([n for n in na if n.subject == subject and n.place.key not in keys_b])
        added = _first_of_each([n for n in nb if n.subject == subject and n.place.key not in keys_a])
        for a, b in zip(removed, added, strict=False):
            changes.append(_moved(subject, a.place, b.place))
        left_a += removed[len(added) :]
        left_b += added[len(removed) :]
    # What one side names for one purpose and the other for another (a sentence read differently): paired in
    # order, named for what the standard used it for.
    for a, b in zip(left_a, left_b, strict=False):
        subject = a.subject if a.subject != "jurisdiction" else b.subject
        changes.append(_moved(subject, a.place, b.place))
    for a in left_a[len(left_b) :]:
        changes.append(Change("jurisdiction", f"{a.subject} reference to {a.place.name} removed", a.place.start, None))
    for b in left_b[len(left_a) :]:
        changes.append(Change("jurisdiction", f"{b.subject} reference to {b.place.name} added", None, b.place.start))
    return changes


def _first_of_each(named: list[_Named]) -> list[_Named]:
    """Each place once, where it is first named."""
    seen: dict[str, _Named] = {}
    for n in named:
        seen.setdefault(n.place.key, n)
    return list(seen.values())


def _moved(subject: str, a: Place, b: Place) -> Change:
    return Change("jurisdiction", f"{subject} changed from {a.name} to {b.name}", a.start, b.start)


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
        weakened = bool(deleted & _MANDATORY and inserted & _PERMISSIVE)
        strengthened = bool(deleted & _PERMISSIVE and inserted & _MANDATORY)
        neg_a = sum(w in _NEGATIONS for w in wa[i1:i2])
        neg_b = sum(w in _NEGATIONS for w in wb[j1:j2])
        # One edit, one change: "shall not" -> "may" is a prohibition lifted, not also an obligation weakened.
        if neg_a > neg_b and weakened:
            text = f"prohibition lifted: “{phrase_a}” now reads “{phrase_b}”"
            changes.append(Change("negation", text, at_a, at_b))
        elif neg_b > neg_a and strengthened:
            text = f"prohibition added: “{phrase_a}” now reads “{phrase_b}”"
            changes.append(Change("negation", text, at_a, at_b))
        elif neg_b > neg_a:
            changes.append(Change("negation", f"negation inserted: “{phrase_b}”", at_a, at_b))
        elif neg_a > neg_b:
            changes.append(Change("negation", f"negation removed: “{phrase_a}” now reads “{phrase_b}”", at_a, at_b))
        elif weakened:
            text = f"obligation weakened from “{phrase_a}” to “{phrase_b}”"
            changes.append(Change("obligation", text, at_a, at_b))
        elif strengthened:
            text = f"obligation strengthened from “{phrase_a}” to “{phrase_b}”"
            changes.append(Change("obligation", text, at_a, at_b))
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


def _depth(number: str) -> int:
    """How deep a sub-clause number sits: "8.2" is 2, "8.2.1" is 3, "(a)" below any of them."""
    return 99 if number.startswith("(") else number.rstrip(".").count(".") + 1


def _subclause_spans(text: str) -> dict[int, int]:
    """Each sub-clause's start -> where it ends: at the next sub-clause at its depth or above, or the text's end."""
    found = [(m.start(), _depth(m.group().split()[0])) for m in _SUBHEADING.finditer(text)]
    spans = {}
    for k, (start, depth) in enumerate(found):
        spans[start] = next((s for s, d in found[k + 1 :] if d <= depth), len(text))
    return spans


def within_subclauses(changes: list[Change], standard: str, compared: str) -> list[Change]:
    """A sub-clause removed or added is one change: what it said (its cap, its period) is not named again. A
    change on the same side inside it folds into it, its severity with it."""
    spans_a, spans_b = _subclause_spans(standard), _subclause_spans(compared)
    whole = [c for c in changes if c.kind == "subclause"]

    def holder(change: Change) -> Change | None:
        for sub in whole:
            if sub is change:
                continue
            if sub.compared_at is None and change.compared_at is None and change.standard_at is not None:
                start = sub.standard_at
                if start is not None and start <= change.standard_at < spans_a.get(start, start):
                    return sub
            if sub.standard_at is None and change.standard_at is None and change.compared_at is not None:
                start = sub.compared_at
                if start is not None and start <= change.compared_at < spans_b.get(start, start):
                    return sub
        return None

    folded: dict[int, bool] = {}  # id of a sub-clause change -> does something folded into it escalate?
    kept: list[Change] = []
    for change in changes:
        sub = holder(change) if change.kind != "subclause" else None
        if sub is None:
            kept.append(change)
        else:
            folded[id(sub)] = folded.get(id(sub), False) or change.high
    return [replace(c, high=True) if folded.get(id(c)) and not c.high else c for c in kept]


def detect_changes(standard: str, compared: str, concepts: frozenset[str]) -> list[Change]:
    """All concrete changes, most telling first."""
    changes = subclause_changes(standard, compared, concepts) + text_changes(standard, compared, concepts)
    return within_subclauses(changes, standard, compared)


def text_changes(standard: str, compared: str, concepts: frozenset[str]) -> list[Change]:
    """The changes read in the words alone (no line structure): places, numbers, caps, obligations. The
    comparison runs them on the comparable text (shared/text/markup.py), where markup cannot pass for a change."""
    return (
        place_changes(standard, compared)
        + number_changes(standard, compared, concepts)
        + protection_changes(standard, compared)
        + obligation_changes(standard, compared)
    )
