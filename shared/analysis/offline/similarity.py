"""Text primitives for the offline analyzer: tokens, light stemmers, TF-IDF cosine and sentence spans.

Stdlib only and deterministic: the same input always gives the same numbers, so offline results are stable
across runs and machines (tests and job artifacts depend on that).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Curly quotes and dashes from word processors; folded so that retyped text compares equal.
_FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})


def wordlist(text: str) -> list[str]:
    """Whitespace-separated words of a literal: long vocabularies stay readable in source."""
    return text.split()


STOPWORDS = frozenset(
    wordlist(
        """a an the and or of to in on at by for with from as is are was were be been being this that these those
    it its it's such any all each either other than then there here hereby herein hereof hereto hereunder
    thereof therein shall will would should may must can could do does did has have had not no nor so if
    into upon under over per their them they he she his her we our us you your i me my which who whom whose
    what when where why how also only own same both more most very"""
    )
)


def fold(text: str) -> str:
    """Lower-case with typographic quotes and dashes folded to ASCII."""
    return text.translate(_FOLD).lower()


def words(text: str) -> list[str]:
    """Lower-case word tokens (markdown, punctuation and case are not words)."""
    return [w.replace("'", "") for w in _WORD.findall(fold(text))]


def word_spans(text: str) -> list[tuple[str, int, int]]:
    """Word tokens with their character offsets in `text`, for quoting the original around a diff."""
    folded = fold(text)
    if len(folded) != len(text):
        # A few characters lower-case to two (e.g. U+0130); fold one by one so offsets still index `text`.
        folded = "".join(low if len(low := fold(ch)) == 1 else ch for ch in text)
    return [(m.group().replace("'", ""), m.start(), m.end()) for m in _WORD.finditer(folded)]


_STEP2 = (
    "izations",
    "ization",
    "ational",
    "ations",
    "ation",
    "itions",
    "ition",
    "ities",
    "ity",
    "ions",
    "ion",
    "ingly",
    "ings",
    "ing",
    "edly",
    "ed",
    "ments",
    "ment",
    "ness",
    "ly",
)


def stem(word: str) -> str:
    """A deliberately small suffix stripper: terminate/termination/terminated -> terminat, laws -> law.

    Porter would be better linguistically, but this is enough for matching clause vocabulary and costs nothing.
    """
    w = word
    if len(w) <= 3 or w.isdigit():
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in _STEP2:
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            w = w[: -len(suffix)]
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
                w = w[:-1]  # committed -> commit
            break
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


def terms(text: str) -> list[str]:
    """Stemmed content terms (stopwords dropped): the unit of TF-IDF."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


# Suffixes `lemma` strips, longest first within a family; inflections may leave a three-letter root (hired -> hir).
_LEMMA_SUFFIXES = (
    "ational",
    "ation",
    "ition",
    "ities",
    "ity",
    "ments",
    "ment",
    "ness",
    "ingly",
    "ings",
    "ing",
    "edly",
    "ed",
    "ively",
    "ive",
    "ions",
    "ion",
    "ure",
    "ly",
    "ate",
    "al",
)
_SHORT_ROOT = frozenset({"ings", "ing", "ed", "ment"})
_LONG_ROOT = frozenset({"ive", "ively"})  # survive, receive keep their "iv": only adjectives (injunctive) lose it
# Words whose suffix is not one: stripped, they would meet another word ("exception" is not "except", "during"
# is not "duration", a "government" is not what "governs").
_LEMMA_WHOLE = frozenset({"exception", "during", "government", "governmental"})


@lru_cache(maxsize=65536)  # the hot path of answering: a contract's vocabulary is small and repeats
def lemma(word: str) -> str:
    """A retrieval stem that joins a word's inflections and its common derivations: terminate, terminated,
    termination -> termin; hire, hiring, hired -> hir; survive, survival -> surviv; disclose, disclosure -> disclos.

    Used for answering questions, where a question's wording must meet the contract's. `stem` stays as it is
    for comparisons, whose alignment scores are tuned to it."""
    w = word
    if len(w) <= 3 or any(ch.isdigit() for ch in w):
        return w
    if w.endswith(("ies", "ied")) and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if w in _LEMMA_WHOLE:
        return w
    for _ in range(2):  # twice: jurisdictional -> jurisdiction -> jurisdict
        suffix = next((s for s in _LEMMA_SUFFIXES if _strips(w, s)), None)
        if suffix is None:
            break
        w = w[: -len(suffix)]
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    if w.endswith("at") and len(w) >= 6:
        w = w[:-2]  # terminat(ed) -> termin, as termination
    if len(w) > 3 and w[-1] == w[-2] and w[-1].isalpha() and w[-1] not in "ls":
        w = w[:-1]  # committed -> commit, subletting -> sublet
    return w


def _strips(word: str, suffix: str) -> bool:
    if not word.endswith(suffix) or (suffix == "ed" and word.endswith("eed")):  # proceed, exceed keep their "eed"
        return False
    root = len(word) - len(suffix)
    return root >= (3 if suffix in _SHORT_ROOT else 5 if suffix in _LONG_ROOT else 4)


def lemmas(text: str) -> list[str]:
    """`lemma` of every content word of `text` (stopwords dropped): the unit of query retrieval."""
    return [lemma(w) for w in words(text) if w not in STOPWORDS]


class TfIdf:
    """TF-IDF vectors over a small corpus (the clauses of the contracts being compared)."""

    def __init__(self, documents: Sequence[Sequence[str]]) -> None:
        df: Counter[str] = Counter()
        for doc in documents:
            df.update(set(doc))
        n = len(documents)
        # Smoothed idf: a term in every document still weighs a little, so identical texts score 1.0.
        self._idf = {t: math.log((1 + n) / (1 + c)) + 1.0 for t, c in df.items()}
        self._default_idf = math.log(1 + n) + 1.0

    def vector(self, doc: Iterable[str]) -> dict[str, float]:
        tf = Counter(doc)
        vec = {t: (1.0 + math.log(c)) * self._idf.get(t, self._default_idf) for t, c in tf.items()}
        norm = math.sqrt(sum(v * v for v in vec.values()))
        return {t: v / norm for t, v in vec.items()} if norm else {}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    """Cosine of two unit vectors (as made by TfIdf.vector)."""
    if len(a) > len(b):
        a, b = b, a
    return min(1.0, sum(v * b.get(t, 0.0) for t, v in a.items()))


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


# A sentence ends at . ; ! or ? followed by whitespace and an upper-case letter, quote, digit or "(", or at a
# blank line. Abbreviations common in contracts (e.g., i.e., Inc., No.) are protected below.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)]*\s+(?=[\"'\u201c\u2018(A-Z0-9*])|\n\s*\n")
_ABBREVIATION = re.compile(
    r"(?:\b(?:e\.g|i\.e|inc|ltd|co|corp|no|sec|art|mr|ms|dr|u\.s|st|etc|vs|v)\.|\b[A-Z]\.)$", re.I
)


def sentences(text: str) -> list[Sentence]:
    """Sentence spans of `text`; each `Sentence.text` is exactly `text[start:end]` (quotes must be verbatim)."""
    out: list[Sentence] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if _ABBREVIATION.search(text[start : m.start()]) or _is_heading(text[start : m.start()]):
            continue  # "12. **Notices**." or "2.4 Non-Solicitation." belongs to the sentence it introduces
        _append_sentence(text, start, m.start(), out)
        start = m.end()
    _append_sentence(text, start, len(text), out)
    return out


def _is_heading(fragment: str) -> bool:
    found = re.findall(r"[A-Za-z]+", fragment)
    if len(found) < 3:
        return True
    return len(found) <= 8 and all(w[0].isupper() for w in found if len(w) > 3)


def _append_sentence(text: str, start: int, end: int, out: list[Sentence]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start and any(ch.isalnum() for ch in text[start:end]):
        out.append(Sentence(start, end, text[start:end]))


def clip(text: str, limit: int = 400, focus: int = 0, ellipsis: bool = True) -> str:
    """At most `limit` characters of `text`, a window around offset `focus`, cut at word boundaries.

    With `ellipsis=False` the result is an exact substring of `text` (citations must be verbatim)."""
    if len(text) <= limit:
        return text
    start = max(0, min(focus - limit // 3, len(text) - limit))
    end = start + limit
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 40 else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > end - 40 else end
    window = text[start:end].strip()
    if not ellipsis:
        return window
    return ("…" if start > 0 else "") + window + ("…" if end < len(text) else "")


# A heading opening a sentence: markdown/ARTICLE/Section lines, "12. **Notices**. ", "3.2 Payment Terms. ".
_HEADING_LINE = re.compile(
    r"^[ \t]*(?:#+[^\n]*|(?:ARTICLE|Article|SECTION|Section)\b[^\n]*|[A-Z][A-Z ,&'-]{2,80})\n\s*"
)
_INLINE_HEADING = re.compile(
    r"^[ \t]*(?:\d+(?:\.\d+)*\.?|\([a-z]{1,3}\))?[ \t]*(?:\*\*[^*\n]{1,100}\*\*\.?|"
    r"(?<=[\d.)])[ \t]*[A-Z][A-Za-z'&,-]*(?:[ \t]+(?:[A-Z][A-Za-z'&,-]*|of|and|or|the|to|for|on|in)){0,8}\.)[ \t]+"
)


def strip_heading(sentence: str) -> str:
    """`sentence` without the clause or sub-clause heading it starts with; always a suffix of `sentence`."""
    rest = sentence
    while True:
        m = _HEADING_LINE.match(rest) or _INLINE_HEADING.match(rest)
        if not m or m.end() >= len(rest):
            return rest
        rest = rest[m.end() :]
