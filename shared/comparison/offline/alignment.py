"""Pair the clauses of a standard contract with those of a compared contract.

A pair scores on its headings (same normalized title or same legal concept, so "Choice of Law" meets
"Governing Law") and on its text, read in comparable form (markup is not words): the TF-IDF cosine of their terms,
blended with their meaning — the cosine of their WordLlama embeddings (shared/analysis/semantic.py), rescaled so
that unrelated clauses of one contract (about 0.3) count nothing and a rewritten clause (0.8 and more) counts —
so a clause renamed and reworded still meets its original. Pairs are taken greedily, best first: one standard
clause pairs with at most one compared clause.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from shared.analysis.offline.comparable_headings import normalize_heading
from shared.analysis.offline.similarity import TfIdf, cosine, terms
from shared.analysis.semantic import content_words, semantic_model
from shared.comparison.offline.concepts import heading_concepts, heading_terms
from shared.contracts.analysis import ClauseText
from shared.text.markup import comparable

# Below this a pair with different headings is two different clauses that share some vocabulary.
MIN_SCORE = 0.42
# Same heading: the pair holds even when the text was rewritten, as long as it is not unrelated text.
SAME_HEADING_FLOOR = 0.55
# Share of the text similarity that is meaning rather than shared terms, and the embedding cosine that counts as
# no likeness at all (unrelated clauses of one contract sit around 0.3, rarely above 0.6).
SEMANTIC_SHARE = 0.25
SEMANTIC_FLOOR = 0.5


@dataclass(frozen=True)
class Pair:
    standard: int
    compared: int
    score: float
    text_similarity: float


def heading_similarity(a: str, b: str) -> float:
    """1.0 for the same heading or concept set; partial overlap for 'Governing Law and Jurisdiction' vs 'Venue'."""
    na, nb = normalize_heading(a), normalize_heading(b)
    if na and na == nb:
        return 1.0
    ca, cb = heading_concepts(a), heading_concepts(b)
    concept = len(ca & cb) / len(ca | cb) if ca and cb else 0.0
    ta, tb = heading_terms(a), heading_terms(b)
    words = len(ta & tb) / len(ta | tb) if ta and tb else 0.0
    return max(concept, words)


def _meaning(standard: Sequence[str], compared: Sequence[str]) -> np.ndarray:
    """Embedding cosines of every standard clause with every compared clause, rescaled to 0..1."""
    if not standard or not compared:
        return np.zeros((len(standard), len(compared)))
    model = semantic_model()
    cosines = model.embed([content_words(t) for t in standard]) @ model.embed([content_words(t) for t in compared]).T
    return np.clip((cosines - SEMANTIC_FLOOR) / (1 - SEMANTIC_FLOOR), 0.0, 1.0)


def align(standard: Sequence[ClauseText], compared: Sequence[ClauseText]) -> list[Pair]:
    """Greedy best-first pairing; returns pairs in standard order."""
    texts_a = [c.title + " " + comparable(c.text) for c in standard]
    texts_b = [c.title + " " + comparable(c.text) for c in compared]
    docs_a = [terms(t) for t in texts_a]
    docs_b = [terms(t) for t in texts_b]
    model = TfIdf(docs_a + docs_b)
    vec_a = [model.vector(d) for d in docs_a]
    vec_b = [model.vector(d) for d in docs_b]
    meaning = _meaning(texts_a, texts_b)
    candidates: list[Pair] = []
    for i, ca in enumerate(standard):
        for j, cb in enumerate(compared):
            text = (1 - SEMANTIC_SHARE) * cosine(vec_a[i], vec_b[j]) + SEMANTIC_SHARE * float(meaning[i, j])
            head = heading_similarity(ca.title, cb.title)
            if head >= 1.0:
                score = SAME_HEADING_FLOOR + (1 - SAME_HEADING_FLOOR) * text
            else:
                score = max(text, 0.5 * head + 0.5 * text)
            if score >= MIN_SCORE:
                candidates.append(Pair(i, j, score, text))
    # Ties go to the pair nearest the diagonal, then to document order: deterministic and usually right.
    candidates.sort(key=lambda p: (-round(p.score, 9), abs(p.standard - p.compared), p.standard, p.compared))
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs: list[Pair] = []
    for pair in candidates:
        if pair.standard in used_a or pair.compared in used_b:
            continue
        used_a.add(pair.standard)
        used_b.add(pair.compared)
        pairs.append(pair)
    return sorted(pairs, key=lambda p: p.standard)


def title_selected(title: str, selected: Sequence[str]) -> bool:
    """Fuzzy title match for comparisonMode "clauses": same heading or concept, or a close spelling, as one of
    `selected`. The offline analyzer reports only such clauses; the LLM prompt sends only such standard clauses."""
    normalized = normalize_heading(title)
    for wanted in selected:
        other = normalize_heading(wanted)
        if not other:
            continue
        if heading_similarity(title, wanted) >= 0.5 or other in normalized:
            return True
        if difflib.SequenceMatcher(None, normalized, other, autojunk=False).ratio() >= 0.8:
            return True
    return False
