"""What kind of edit turned one version of a clause into the other: markup, spelling, moves, or meaning.

A clause is read in its comparable form (shared/text/markup.py: markup, typography, whitespace and list numbering
are not text) as canonical words: lower-case, "will"/"must"/"agrees" read as "shall". Between two readings:

- *trivial* edits change no meaning: a misspelling fixed ("though" -> "through", one letter of a word of five or
  more that is not an inflection), a doubled word or phrase removed ("to to" -> "to"); letter case and punctuation
  are not compared at all;
- *moves*: a clause's items (list items and paragraphs) that reappear, in another order or with other numbers;
- everything else is an edit of meaning, reported item by item when the clause is a list ("item added: ...").
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from shared.analysis.offline.similarity import clip
from shared.text.markup import comparable, project

# "will" and "shall" are used interchangeably by drafters; treat them as one word.
EQUIVALENT = {"will": "shall", "must": "shall", "agrees": "shall"}
# Words whose one-letter change is never a typo: modals, negations, quantities.
_MEANINGFUL = frozenset(
    [
        "shall",
        "may",
        "might",
        "can",
        "cannot",
        "not",
        "no",
        "nor",
        "never",
        "must",
        "will",
        "would",
        "should",
        "none",
        "any",
        "all",
        "each",
        "every",
        "either",
        "neither",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "sixty",
        "ninety",
        "hundred",
        "thousand",
        "million",
        "first",
        "second",
        "third",
        "more",
        "less",
        "most",
        "least",
        "before",
        "after",
        "within",
        "without",
    ]
)
MIN_TYPO_LENGTH = 5
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
# A list item opens a line: a bullet, "1.", "1)", "(a)", "a.", "iv.", or a bold run-in title or defined term.
_ITEM_START = re.compile(
    r"^[ \t]*(?:[-*+\u2022][ \t]+|\(?[0-9]{1,3}[.)][ \t]+|\([A-Za-z]{1,4}\)[ \t]+|[a-z][.)][ \t]+"
    r"|[ivxlc]{1,6}[.)][ \t]+|\*\*|__)",
    re.M,
)
_ITEM_MARKER = re.compile(r"^(?:[-*+\u2022]|\(?[0-9]{1,3}[.)]|\([A-Za-z]{1,4}\)|[a-z][.)]|[ivxlc]{1,6}[.)])[ \t]+")
_BLANK = re.compile(r"\n[ \t]*\n")
# A heading line is an item of its own (its title is not a list item): "## 5. Fees", "Fees\n----".
_HEADING_LINE = re.compile(r"^[ \t]{0,3}#{1,6}[ \t][^\n]*$|^[^\n]+\n[ \t]{0,3}(?:=+|-{2,})[ \t]*$", re.M)
_DEFINED_TERM = re.compile(r"^\W{0,6}[\"\u201c]([^\"\u201d]{1,60})[\"\u201d]")
_QUOTED = re.compile(r"[\"\u201c]([^\"\u201d]{1,60})[\"\u201d]")
_DEFINING = re.compile(r"[\"\u201d],?\)?\s+(?:means?|refers?|represents?|is defined)\b")
_RUN_IN_TITLE = re.compile(r"^(?:\*\*|__)([^*_\n]{2,80}?)\.?(?:\*\*|__)")


@dataclass(frozen=True)
class Reading:
    """A clause as compared: the verbatim text, its canonical words and where each word is written."""

    raw: str
    plain: str  # the comparable form (markup.project)
    where: list[int]  # raw offset of every character of `plain`
    words: list[str]
    spans: list[tuple[int, int]]  # raw offsets of every word
    plain_spans: list[tuple[int, int]]  # offsets of every word in `plain`

    def raw_offset(self, plain_offset: int | None) -> int | None:
        """The verbatim offset of a position in the comparable text."""
        if plain_offset is None or not self.where:
            return None
        return self.where[min(max(plain_offset, 0), len(self.where) - 1)]


def read(text: str) -> Reading:
    plain, where = project(text)
    words: list[str] = []
    spans: list[tuple[int, int]] = []
    plain_spans: list[tuple[int, int]] = []
    for m in _WORD.finditer(plain):
        word = m.group().lower().replace("'", "")
        words.append(EQUIVALENT.get(word, word))
        spans.append((where[m.start()], where[m.end() - 1] + 1))
        plain_spans.append((m.start(), m.end()))
    return Reading(text, plain, where, words, spans, plain_spans)


def canonical_words(text: str) -> list[str]:
    return read(text).words


# --- trivial edits -----------------------------------------------------------------------------------------------


def _one_edit_apart(a: str, b: str) -> bool:
    """One letter inserted, deleted, replaced, or two neighbours swapped (Damerau distance 1)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


def is_typo_fix(a: str, b: str) -> bool:
    """A misspelling corrected: one edit apart, both five letters or more, same first letter, not an inflection
    (one word a prefix of the other: "Affiliate" / "Affiliates"), no digits, not a word whose letters carry meaning."""
    if min(len(a), len(b)) < MIN_TYPO_LENGTH or a[0] != b[0] or a in _MEANINGFUL or b in _MEANINGFUL:
        return False
    if any(ch.isdigit() for ch in a + b) or a.startswith(b) or b.startswith(a):
        return False
    return _one_edit_apart(a, b)


def _repeats_neighbour(words: Sequence[str], lo: int, hi: int) -> bool:
    """words[lo:hi] doubles the words just before or just after it ("to to", "to comprehensive to comprehensive")."""
    n = hi - lo
    doubled = list(words[lo:hi])
    return n > 0 and ((lo >= n and list(words[lo - n : lo]) == doubled) or list(words[hi : hi + n]) == doubled)


def is_trivial(tag: str, i1: int, i2: int, j1: int, j2: int, wa: Sequence[str], wb: Sequence[str]) -> bool:
    """Is this difflib opcode a typo fix or a doubled word, not an edit of meaning?"""
    if tag == "equal":
        return True
    if tag == "delete":
        return _repeats_neighbour(wa, i1, i2)
    if tag == "insert":
        return _repeats_neighbour(wb, j1, j2)
    if i2 - i1 == j2 - j1:
        return all(is_typo_fix(x, y) for x, y in zip(wa[i1:i2], wb[j1:j2], strict=True))
    return False


def substantive_opcodes(wa: Sequence[str], wb: Sequence[str]) -> list[tuple[str, int, int, int, int]]:
    """The word-level edits between two readings that change meaning (trivial ones dropped)."""
    matcher = difflib.SequenceMatcher(None, wa, wb, autojunk=False)
    return [op for op in matcher.get_opcodes() if not is_trivial(*op, wa, wb)]


# --- items -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """A list item or paragraph of a clause: its words and where it is written."""

    start: int
    end: int
    words: tuple[str, ...]
    listed: bool  # opens with a bullet, number, letter or a bold title: an item of a list
    heading: bool = False  # a heading line, not an item


def items(reading: Reading) -> list[Item]:
    """The clause's paragraphs and list items, in order (a list item ends where the next begins)."""
    text = reading.raw
    cuts = {0, len(text)}
    for m in _BLANK.finditer(text):
        cuts.add(m.end())
    starts_of_items = {m.start() for m in _ITEM_START.finditer(text)}
    cuts |= {s for s in starts_of_items if s == 0 or text[s - 1] == "\n"}
    headings = set()
    for m in _HEADING_LINE.finditer(text):
        cuts |= {m.start(), m.end()}
        headings.add(m.start())
    bounds = sorted(cuts)
    out: list[Item] = []
    k = 0
    for lo, hi in itertools.pairwise(bounds):
        chunk = text[lo:hi]
        if not chunk.strip():
            continue
        words: list[str] = []
        while k < len(reading.spans) and reading.spans[k][0] < hi:
            if reading.spans[k][0] >= lo:
                words.append(reading.words[k])
            k += 1
        if words:
            lead = lo + len(chunk) - len(chunk.lstrip())
            end = lo + len(chunk.rstrip())
            out.append(Item(lead, end, tuple(words), lead in starts_of_items, lo in headings))
    return out


def unmoved_differences(a: Reading, b: Reading) -> tuple[list[Item], list[Item]]:
    """Items of each side with no identical item on the other, wherever it sits and however it is numbered."""
    ia, ib = items(a), items(b)
    common = Counter(it.words for it in ia) & Counter(it.words for it in ib)
    return _unshared(ia, common), _unshared(ib, common)


def _unshared(found: list[Item], common: Counter[tuple[str, ...]]) -> list[Item]:
    left = Counter(common)
    out = []
    for it in found:
        if left[it.words]:
            left[it.words] -= 1
        else:
            out.append(it)
    return out


def only_moved(a: Reading, b: Reading) -> bool:
    """Do the two versions hold the same items, moved, renumbered or split differently into paragraphs, with at
    most trivial edits left once the identical items are set aside?"""
    only_a, only_b = unmoved_differences(a, b)
    wa = [w for it in only_a for w in it.words]
    wb = [w for it in only_b for w in it.words]
    return not substantive_opcodes(wa, wb)


def item_name(text: str) -> str:
    """How a lawyer names an item: its defined term ("definition of “Fees”"), its run-in title, or its words."""
    plain = comparable(text)
    term = _DEFINED_TERM.match(plain)
    if term is None and (quoted := _QUOTED.search(plain[:80])) and _DEFINING.search(plain[:160]):
        term = quoted
    if term is not None:
        return f"definition of \u201c{term.group(1).strip()}\u201d"
    untagged = _ITEM_MARKER.sub("", re.sub(r"<[^>]+>", "", text).lstrip(), count=1)
    title = _RUN_IN_TITLE.match(untagged)
    if title is not None:
        return f"\u201c{comparable(title.group(1))}\u201d"
    return f"\u201c{clip(plain, 90)}\u201d"


@dataclass(frozen=True)
class ItemChange:
    kind: str  # "added" | "removed" | "reworded"
    name: str
    standard_at: int | None  # verbatim offsets of the item on each side
    compared_at: int | None


PAIRED_ITEM_RATIO = 0.5


def item_changes(a: Reading, b: Reading) -> list[ItemChange]:
    """For a clause that is a list (two or more items on a side): the items added, removed or reworded, each
    named; items that only moved or were renumbered are not changes."""
    if sum(it.listed for it in items(a)) < 2 and sum(it.listed for it in items(b)) < 2:
        return []
    only_a, only_b = unmoved_differences(a, b)
    only_a = [it for it in only_a if not it.heading]
    only_b = [it for it in only_b if not it.heading]
    candidates = []
    for i, x in enumerate(only_a):
        for j, y in enumerate(only_b):
            ratio = difflib.SequenceMatcher(None, x.words, y.words, autojunk=False).ratio()
            if ratio >= PAIRED_ITEM_RATIO:
                candidates.append((-ratio, i, j))
    paired: dict[int, int] = {}
    used: set[int] = set()
    for _, i, j in sorted(candidates):
        if i not in paired and j not in used:
            paired[i] = j
            used.add(j)
    changes: list[ItemChange] = []
    for i, x in enumerate(only_a):
        if i in paired:
            y = only_b[paired[i]]
            if substantive_opcodes(x.words, y.words):
                changes.append(ItemChange("reworded", item_name(b.raw[y.start : y.end]), x.start, y.start))
        else:
            changes.append(ItemChange("removed", item_name(a.raw[x.start : x.end]), x.start, None))
    for j, y in enumerate(only_b):
        if j not in used:
            changes.append(ItemChange("added", item_name(b.raw[y.start : y.end]), None, y.start))
    return changes
