"""Clause-by-clause comparison of a standard contract against another: the offline `compare`.

For each aligned pair: reformatting alone is `matched`; otherwise `modified`, with the concrete changes named
(numbers, jurisdictions, 'shall' -> 'may', inserted 'not', removed caps) and a severity a reviewer would agree
with. Unpaired standard clauses are `missing`, unpaired compared clauses `added` (full mode only: clauses mode
reports the standard's listed clauses and nothing else).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from typing import Literal

from shared.analysis.offline.comparable_headings import normalize_heading
from shared.analysis.offline.similarity import (
    STOPWORDS,
    Sentence,
    clip,
    sentences,
    strip_heading,
    words,
)
from shared.comparison.models import ClauseFinding, ComparisonTask, ContractComparison, Severity
from shared.comparison.offline.alignment import Pair, align
from shared.comparison.offline.clause_changes import Change, subclause_changes, text_changes, within_subclauses
from shared.comparison.offline.concepts import BOILERPLATE, heading_concepts, is_high_risk
from shared.comparison.offline.edits import Reading, canonical_words, is_trivial, item_changes, only_moved, read
from shared.comparison.offline.references import numbering, reference_at, references, target
from shared.comparison.selection import listed_indexes
from shared.contracts.analysis import ClauseText

EXCERPT_CHARS = 400
# Word-level similarity at or above which a change with few content words is "minor wording".
MINOR_RATIO = 0.9
MINOR_CONTENT_WORDS = 3
# Word swaps no longer than this ("are effective when delivered" -> "take effect upon delivery") are rewording;
# a longer insertion or deletion adds or removes a term.
SWAP_WORDS = 4
SWAP_SHARE = 0.35
# A deletion or insertion this long is worth quoting in the explanation.
RUN_WORDS = 5
# Named list items in an explanation before "and N more".
MAX_NAMED_ITEMS = 3
# Changes named in an explanation before "(and N more changes)"; the excerpts quote the sentences of these.
MAX_NAMED_CHANGES = 3


@dataclass(frozen=True)
class _Diff:
    ratio: float
    content_words_changed: int
    changes: list[Change]
    only_swaps: bool = True  # every edit is a short word swap (see SWAP_WORDS)
    content_words: int = 0
    unchanged: str = ""  # why a pair with different text is the same clause: "formatting", "spelling", "moved"


Opcode = tuple[str, int, int, int, int]
_NO_NUMBERS: tuple[dict[str, str], dict[str, str]] = ({}, {})


def _diff(
    a_text: str, b_text: str, concepts: frozenset[str], numbers: tuple[dict[str, str], dict[str, str]] = _NO_NUMBERS
) -> _Diff:
    a, b = read(a_text), read(b_text)
    wa, wb = a.words, b.words
    if wa == wb:
        return _Diff(1.0, 0, [], unchanged="formatting")
    matcher = difflib.SequenceMatcher(None, wa, wb, autojunk=False)
    opcodes: list[Opcode] = [op for op in matcher.get_opcodes() if not is_trivial(*op, wa, wb)]
    opcodes, repointed = _references(a, b, opcodes, numbers)
    if not opcodes and not repointed:
        return _Diff(1.0, 0, [], unchanged="spelling" if matcher.ratio() < 1 else "renumbered")
    if not repointed and only_moved(a, b):
        return _Diff(1.0, 0, [], unchanged="moved")
    changed = 0
    only_swaps = True
    runs: list[tuple[int, str, int, int]] = []  # (words, side, i1, i2): long deletions and insertions
    for tag, i1, i2, j1, j2 in opcodes:
        if tag != "equal":
            changed += sum(w not in STOPWORDS for w in wa[i1:i2]) + sum(w not in STOPWORDS for w in wb[j1:j2])
            only_swaps = only_swaps and i2 - i1 <= SWAP_WORDS and j2 - j1 <= SWAP_WORDS
            if i2 - i1 >= RUN_WORDS and i2 - i1 > 2 * (j2 - j1):
                runs.append((i2 - i1, "a", i1, i2))
            if j2 - j1 >= RUN_WORDS and j2 - j1 > 2 * (i2 - i1):
                runs.append((j2 - j1, "b", j1, j2))
    content = sum(w not in STOPWORDS for w in wa) + sum(w not in STOPWORDS for w in wb)
    # Sub-clause headings are read on the verbatim lines; the other detectors on the comparable text, their
    # offsets taken back to the verbatim text for the excerpts.
    changes = subclause_changes(a_text, b_text, concepts) + repointed + _item_changes(a, b, concepts)
    changes += [
        replace(c, standard_at=a.raw_offset(c.standard_at), compared_at=b.raw_offset(c.compared_at))
        for c in text_changes(a.plain, b.plain, concepts)
    ]
    changes = within_subclauses(changes, a_text, b_text)
    if not any(c.kind in ("subclause", "item") for c in changes):
        changes += _run_changes(a, b, runs)
    if not changes and changed:
        changes = _edit_changes(a, b, opcodes)
    return _Diff(matcher.ratio(), changed, changes, only_swaps, content)


# Short edits are quoted whole when nothing else names the change: "“are effective when delivered” changed to
# “take effect upon delivery”".
EDIT_WORDS = 8
MAX_EDITS_NAMED = 2


def _edit_changes(a: Reading, b: Reading, opcodes: list[Opcode]) -> list[Change]:
    out: list[Change] = []
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal" or i2 - i1 > EDIT_WORDS or j2 - j1 > EDIT_WORDS:
            continue
        old = _quoted(a, i1, i2)
        new = _quoted(b, j1, j2)
        at_a = a.spans[i1][0] if i1 < len(a.spans) else None
        at_b = b.spans[j1][0] if j1 < len(b.spans) else None
        if tag == "replace":
            out.append(Change("text", f"wording changed from {old} to {new}", at_a, at_b, high=False))
        elif tag == "delete":
            out.append(Change("text", f"{old} removed", at_a, None, high=False))
        else:
            out.append(Change("text", f"{new} added", None, at_b, high=False))
    return out[:MAX_EDITS_NAMED]


def _quoted(reading: Reading, lo: int, hi: int) -> str:
    """Words lo..hi of a reading as written (without markup), in quotes."""
    if hi <= lo:
        return "“”"
    return "“" + " ".join(reading.plain[reading.plain_spans[lo][0] : reading.plain_spans[hi - 1][1]].split()) + "”"


def _references(
    a: Reading, b: Reading, opcodes: list[Opcode], numbers: tuple[dict[str, str], dict[str, str]]
) -> tuple[list[Opcode], list[Change]]:
    """Edits of a cross-reference's number: dropped when both point to the same clause (renumbering), named when
    the reference now points elsewhere (or where it points cannot be told)."""
    refs_a, refs_b = references(a.plain), references(b.plain)
    if not refs_a or not refs_b:
        return opcodes, []
    kept: list[Opcode] = []
    repointed: list[Change] = []
    for op in opcodes:
        tag, i1, i2, j1, j2 = op
        ra = reference_at(refs_a, a.plain_spans[i1][0]) if tag == "replace" else None
        rb = reference_at(refs_b, b.plain_spans[j1][0]) if tag == "replace" else None
        if ra is None or rb is None or a.plain_spans[i2 - 1][1] > ra.end or b.plain_spans[j2 - 1][1] > rb.end:
            kept.append(op)
            continue
        ta, tb = target(ra, numbers[0]), target(rb, numbers[1])
        if ta is not None and ta == tb:
            continue  # renumbered, same clause
        what = f"cross-reference changed from “{ra.text}” to “{rb.text}”"
        if ta is not None and tb is not None:
            what += f" (the standard's {ra.number} is “{ta}”, this contract's {rb.number} is “{tb}”)"
        repointed.append(Change("reference", what, a.raw_offset(ra.start), b.raw_offset(rb.start)))
        kept.append(op)
    return kept, repointed


def _item_changes(a: Reading, b: Reading, concepts: frozenset[str]) -> list[Change]:
    """Items of a list added, removed or reworded, each named (verbatim offsets)."""
    found = item_changes(a, b)
    high = is_high_risk(concepts)
    described = {"added": "item added: {}", "removed": "item removed: {}", "reworded": "item reworded: {}"}
    out = [
        Change("item", described[c.kind].format(c.name), c.standard_at, c.compared_at, high=high)
        for c in found[:MAX_NAMED_ITEMS]
    ]
    if len(found) > MAX_NAMED_ITEMS:
        out.append(Change("item", f"{len(found) - MAX_NAMED_ITEMS} more items changed", None, None, high=high))
    return out


def _run_changes(a: Reading, b: Reading, runs: list[tuple[int, str, int, int]]) -> list[Change]:
    """Name the longest removed and the longest added passage, quoted as written (without markup)."""
    out: list[Change] = []
    for side in ("a", "b"):
        found = sorted((r for r in runs if r[1] == side), key=lambda r: (-r[0], r[2]))
        if not found:
            continue
        _, _, lo, hi = found[0]
        reading = a if side == "a" else b
        passage = clip(
            " ".join(reading.plain[reading.plain_spans[lo][0] : reading.plain_spans[hi - 1][1]].split()), 140
        )
        start = reading.spans[lo][0]
        if side == "a":
            out.append(Change("text", f"wording removed: “{passage}”", start, None, high=False))
        else:
            out.append(Change("text", f"wording added: “{passage}”", None, start, high=False))
    return out


def _severity(diff: _Diff, concepts: frozenset[str]) -> Severity:
    if any(c.high for c in diff.changes):
        return "high"  # numbers, jurisdictions, obligations, negation, caps: always escalated
    minor = diff.ratio >= MINOR_RATIO and diff.content_words_changed <= MINOR_CONTENT_WORDS
    swaps = diff.only_swaps and diff.content_words_changed <= SWAP_SHARE * diff.content_words and diff.ratio >= 0.7
    if minor or swaps:
        return "low"
    return "high" if is_high_risk(concepts) else "medium"


def _sentence_index(items: list[Sentence], offset: int | None) -> int | None:
    if offset is None:
        return None
    return next((k for k, s in enumerate(items) if s.start <= offset < s.end), len(items) - 1 if items else None)


def _most_changed(a: str, b: str, named: list[Change]) -> tuple[str, str]:
    """The sentences the explanation talks about, on each side: every sentence where a named change is (with its
    counterpart on the other side when the change is on one side only); without one, the sentence pair where the
    clause changed most."""
    sa, sb = sentences(a), sentences(b)
    if not sa or not sb:
        return clip(a, EXCERPT_CHARS), clip(b, EXCERPT_CHARS)
    wa = [canonical_words(s.text) for s in sa]
    wb = [canonical_words(s.text) for s in sb]

    def best_partner(words_: list[str], others: list[list[str]]) -> tuple[int, float]:
        scored = [(difflib.SequenceMatcher(None, words_, o, autojunk=False).ratio(), -k) for k, o in enumerate(others)]
        ratio, neg_k = max(scored)
        return -neg_k, ratio

    picked_a: dict[int, int | None] = {}  # sentence index -> offset of the change in it (where to look first)
    picked_b: dict[int, int | None] = {}
    for change in named:
        at_a, at_b = _sentence_index(sa, change.standard_at), _sentence_index(sb, change.compared_at)
        if at_a is not None and at_b is None:
            at_b = best_partner(wa[at_a], wb)[0]
        elif at_b is not None and at_a is None:
            at_a = best_partner(wb[at_b], wa)[0]
        if at_a is not None and at_b is not None:
            picked_a.setdefault(at_a, change.standard_at)
            picked_b.setdefault(at_b, change.compared_at)
    if picked_a:
        return _quoted_sentences(a, sa, picked_a), _quoted_sentences(b, sb, picked_b)
    # No named change: the least-matched sentence on either side, with its best partner on the other.
    worst: tuple[float, int, str, int, int] | None = None  # (ratio, order, side, index, partner)
    for i, w in enumerate(wa):
        k, ratio = best_partner(w, wb)
        if ratio < 1.0 and (worst is None or ratio < worst[0]):
            worst = (ratio, i, "a", i, k)
    for j, w in enumerate(wb):
        k, ratio = best_partner(w, wa)
        if ratio < 1.0 and (worst is None or ratio < worst[0]):
            worst = (ratio, len(wa) + j, "b", j, k)
    if worst is None:
        return _excerpt(sa[0], None), _excerpt(sb[0], None)
    _, _, side, index, partner = worst
    if side == "a":
        return _excerpt(sa[index], None), _excerpt(sb[partner], None)
    return _excerpt(sa[partner], None), _excerpt(sb[index], None)


# Between quoted sentences that are not next to each other in the clause.
GAP = " … "


def _quoted_sentences(text: str, items: list[Sentence], picked: dict[int, int | None]) -> str:
    """The picked sentences in clause order: neighbours as one verbatim passage (what lies between them kept as
    written), sentences apart joined by GAP; a sentence longer than EXCERPT_CHARS is cut around its change."""
    runs: list[list[int]] = []
    for k in sorted(picked):
        if runs and runs[-1][-1] == k - 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    passages = []
    for run in runs:
        first, last = items[run[0]], items[run[-1]]
        if len(run) > 1 and all(len(items[k].text) <= EXCERPT_CHARS for k in run):
            body = strip_heading(first.text)
            passages.append(text[first.end - len(body) : last.end])
        else:
            passages.append(" ".join(_excerpt(items[k], picked[k]) for k in run))
    out = passages[0]
    for passage in passages[1:]:
        # A sentence cut around its change already says that something is left out.
        out += " " + passage if out.endswith("…") or passage.startswith("…") else GAP + passage
    return out


def _excerpt(sentence: Sentence, offset: int | None) -> str:
    body = strip_heading(sentence.text)
    cut = len(sentence.text) - len(body)
    focus = max(0, offset - sentence.start - cut) if offset is not None else 0
    return clip(body, EXCERPT_CHARS, focus)


def _first_sentence(text: str) -> str:
    found = sentences(text)
    return _excerpt(found[0], None) if found else clip(text, EXCERPT_CHARS)


def _named(changes: list[Change]) -> list[Change]:
    """The changes an explanation names: each description once (its first change), at most MAX_NAMED_CHANGES."""
    out: dict[str, Change] = {}
    for change in changes:
        if change.description not in out and len(out) < MAX_NAMED_CHANGES:
            out[change.description] = change
    return list(out.values())


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


_UNCHANGED = {
    "formatting": "Formatting only: the same text as the standard",
    "spelling": "Formatting and spelling only: the same text as the standard, typos or doubled words fixed",
    "moved": "Formatting only: the same items as the standard, moved or renumbered",
    "renumbered": "Formatting only: the same text as the standard; its cross-references are renumbered but point to "
    "the same clauses",
}


def _pair_finding(
    sa: ClauseText, sb: ClauseText, numbers: tuple[dict[str, str], dict[str, str]] = _NO_NUMBERS
) -> tuple[ClauseFinding, float]:
    concepts = heading_concepts(sa.title) | heading_concepts(sb.title)
    diff = _diff(sa.text, sb.text, concepts, numbers)
    renamed = normalize_heading(sa.title) != normalize_heading(sb.title)
    heading_note = f" (heading “{sb.title}” in this contract)" if renamed else ""
    if not diff.changes and diff.content_words_changed == 0:
        if diff.unchanged:
            explanation = _UNCHANGED[diff.unchanged]
        else:
            explanation = "Same substance as the standard; only connecting words differ"
        finding = ClauseFinding(title=sa.title, status="matched", explanation=f"{explanation}{heading_note}.")
        return finding, max(diff.ratio, 0.98)
    severity = _severity(diff, concepts)
    if diff.changes:
        extra = len({c.description for c in diff.changes}) - MAX_NAMED_CHANGES
        more = f" (and {extra} more changes)" if extra > 0 else ""
        explanation = _sentence_case("; ".join(c.description for c in _named(diff.changes))) + more
    elif severity == "low":
        explanation = "Minor wording changes that do not alter the substance"
    else:
        share = round((1 - diff.ratio) * 100)
        risk = "a high-risk clause" if severity == "high" else "the clause"
        explanation = f"Substantive rewording of {risk}: about {share}% of the wording differs from the standard"
    # The excerpts quote what the explanation names.
    excerpt_a, excerpt_b = _most_changed(sa.text, sb.text, _named(diff.changes))
    finding = ClauseFinding(
        title=sa.title,
        status="modified",
        severity=severity,
        standard_excerpt=excerpt_a,
        compared_excerpt=excerpt_b,
        explanation=f"{explanation}{heading_note}.",
    )
    return finding, diff.ratio


def _unpaired(clause: ClauseText, status: Literal["missing", "added"]) -> ClauseFinding:
    """A clause with no counterpart on the other side: missing from the compared contract, or added in it."""
    excerpt = _first_sentence(clause.text)
    if status == "missing":
        explanation = f"The standard's “{clause.title}” clause has no counterpart in this contract."
    else:
        explanation = f"“{clause.title}” appears in this contract but not in the standard."
    return ClauseFinding(
        title=clause.title,
        status=status,
        severity=_unpaired_severity(clause.title),
        standard_excerpt=excerpt if status == "missing" else "",
        compared_excerpt=excerpt if status == "added" else "",
        explanation=explanation,
    )


def _unpaired_severity(title: str) -> Severity:
    concepts = heading_concepts(title)
    if is_high_risk(concepts):
        return "high"
    return "low" if concepts and concepts <= BOILERPLATE else "medium"


def compare_contracts(task: ComparisonTask) -> ContractComparison:
    standard, compared = task.standard.clauses, task.compared.clauses
    # Alignment always sees every clause of both sides: a listed clause must not pair with a compared clause
    # that is the counterpart of an unlisted one.
    pairs: dict[int, Pair] = {p.standard: p for p in align(standard, compared)}
    numbers = (numbering(standard), numbering(compared))
    paired_b = {p.compared for p in pairs.values()}
    clauses_mode = task.mode == "clauses"
    listed = set(listed_indexes(task.standard, task.selected_clauses)) if clauses_mode else set(range(len(standard)))

    findings: list[ClauseFinding] = []
    weighted, weight = 0.0, 0.0  # length-weighted similarity over the reported clauses
    for i, sa in enumerate(standard):
        if i not in listed:
            continue
        size_a = len(words(sa.text))
        pair = pairs.get(i)
        if pair is None:
            findings.append(_unpaired(sa, "missing"))
            weight += size_a
            continue
        sb = compared[pair.compared]
        finding, ratio = _pair_finding(sa, sb, numbers)
        findings.append(finding)
        size = size_a + len(words(sb.text))
        weighted += ratio * size
        weight += size
    for j, sb in enumerate(compared):
        if clauses_mode or j in paired_b:
            continue  # clauses mode assesses the standard's clauses only: nothing is "added"
        findings.append(_unpaired(sb, "added"))
        weight += len(words(sb.text))
    similarity = round(weighted / weight, 4) if weight else 1.0
    return ContractComparison(
        contract_id=task.compared.contract_id,
        contract_title=task.compared.title,
        similarity=min(1.0, max(0.0, similarity)),
        summary=_summary(findings, task),
        clauses=findings,
    )


def _summary(findings: list[ClauseFinding], task: ComparisonTask) -> str:
    statuses: tuple[str, ...] = ("matched", "modified", "missing", "added")
    if task.mode == "clauses":
        statuses = statuses[:3]  # added clauses are not assessed in clauses mode: "0 added" would mislead
        scope = "selected clauses of the standard" if task.selected_clauses else "clauses of the standard"
    else:
        scope = "clauses"
    tally = ", ".join(f"{sum(f.status == s for f in findings)} {s}" for s in statuses)
    first = f"Against “{task.standard.title}”, {len(findings)} {scope} reviewed: {tally}."
    high = [f"{f.title} ({f.status})" for f in findings if f.severity == "high"]
    if not high:
        return first + " No high-severity deviations."
    return first + " High severity: " + ", ".join(high) + "."
