"""Which clauses of a contract answer a question: BM25 ranking and the question's coverage.

Each contract is read on its own: its clauses are ranked by BM25 (the `bm25s` library) over lemmatized texts and
titles, one score per concept (its best term), and a clause answers only when it carries at least half of the
question's concepts, weighted by how rare they are in the contract (or names the question's topic in its title):
no answering clause means the contract does not address the question.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import bm25s
import numpy as np

from shared.analysis.offline.headings import normalize_heading
from shared.analysis.offline.similarity import lemmas
from shared.contracts.analysis import ContractForAnalysis
from shared.query.offline.question import SYNONYM_CREDIT, Concept, Query

# A concept named in a clause's title is what the clause is about.
TITLE_BOOST = 1.5
# A clause must carry at least this share of the question's (rarity-weighted) concepts to count as an answer, or
# MIN_TITLED_COVERAGE when its title names the question's topic (its first concept, as questions name what they
# ask about first, or the most specific concept the contract mentions): "Equitable Relief" answers "Can a party get
# an injunction without posting a bond?" even if it says nothing of bonds.
MIN_COVERAGE = 0.5
MIN_TITLED_COVERAGE = 0.25
TOPIC_SHARE = 0.8
# Definitions and preambles mention every topic of a contract without governing it: they answer a question
# only when no operative clause does as well, unless the question asks what something means or covers.
FRAMING_FACTOR = 0.5
_FRAMING_TITLES = frozenset({"definitions", "defined terms", "interpretation", "preamble", "recitals", "background"})
# A second clause is cited only when nearly as good as the best one.
SECOND_CLAUSE_SHARE = 0.6
MAX_CLAUSES_PER_CONTRACT = 2
BM25_K1 = 1.2
BM25_B = 0.75
# Party descriptions, not provisions: "a Delaware limited liability company" says nothing about liability.
_ENTITY_FORMS = re.compile(r"limited\s+liability\s+(?:company|partnership)", re.I)


def _bm25(documents: list[list[str]]) -> Callable[[str], np.ndarray]:
    """Per-term BM25 scores of every document (zeros for a term no document has)."""
    zeros = np.zeros(len(documents))
    if not any(documents):
        return lambda term: zeros
    index = bm25s.BM25(k1=BM25_K1, b=BM25_B)
    index.index(documents, show_progress=False)
    known = index.vocab_dict
    return lambda term: index.get_scores([term]).astype(float) if term in known else zeros


class _Clauses:
    """One contract's clauses, lemmatized and indexed for BM25 (bodies and titles apart). Each contract is read
    on its own, so its answer does not depend on which other contracts the planner put in its part."""

    def __init__(self, contract: ContractForAnalysis) -> None:
        bodies = [lemmas(_ENTITY_FORMS.sub(" ", k.text)) for k in contract.clauses]
        titles = [lemmas(k.title) for k in contract.clauses]
        self.found = [set(b) | set(t) for b, t in zip(bodies, titles, strict=True)]
        self.titles = [set(t) for t in titles]
        self.framing = [normalize_heading(k.title) in _FRAMING_TITLES for k in contract.clauses]
        self._body, self._title = _bm25(bodies), _bm25(titles)

    def weight(self, concept: Concept) -> float:
        """BM25's idf of the concept (any of its terms) in the contract: a concept the contract never mentions
        weighs most, so a clause that carries only the rest of the question is no answer."""
        n = len(self.found)
        df = sum(1 for found in self.found if concept.credit(found))
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def relevance(self, concept: Concept) -> np.ndarray:
        """Each clause's BM25 score for the concept: its best term, a related term counting for less."""
        best = np.zeros(len(self.found))
        for term in concept.terms():
            credit = 1.0 if term == concept.word else SYNONYM_CREDIT
            best = np.maximum(best, credit * (self._body(term) + TITLE_BOOST * self._title(term)))
        return best


@dataclass(frozen=True)
class ClauseHit:
    """A clause that answers the question, and how well."""

    clause_index: int
    score: float


def _coverage(query: Query, weights: list[float], found: set[str]) -> float:
    total = sum(weights)
    carried = sum(w * c.credit(found) for c, w in zip(query.concepts, weights, strict=True))
    return carried / total if total else 0.0


def _plausible(query: Query, weights: list[float], clauses: _Clauses, k: int) -> float:
    """The clause's coverage of the question when it is a plausible answer, else 0."""
    coverage = _coverage(query, weights, clauses.found[k])
    if coverage >= MIN_COVERAGE:
        return coverage
    titled = any(query.concepts[i].credit(clauses.titles[k]) for i in _topics(query, weights, clauses))
    return coverage if coverage >= MIN_TITLED_COVERAGE and titled else 0.0


def _topics(query: Query, weights: list[float], clauses: _Clauses) -> set[int]:
    """What the question is about: its first concept, and the most specific ones the contract mentions."""
    mentioned = [i for i, c in enumerate(query.concepts) if any(c.credit(found) for found in clauses.found)]
    top = max((weights[i] for i in mentioned), default=0.0)
    return {0, *(i for i in mentioned if weights[i] >= TOPIC_SHARE * top)}


def answering_clauses(contract: ContractForAnalysis, query: Query) -> tuple[list[ClauseHit], list[float]]:
    """The contract's plausible answering clauses, best first, and the weights of the question's concepts."""
    if not query.concepts or not contract.clauses:
        return [], [1.0] * len(query.concepts)
    clauses = _Clauses(contract)
    weights = [clauses.weight(c) for c in query.concepts]
    relevance = sum((clauses.relevance(c) for c in query.concepts), np.zeros(len(contract.clauses)))
    framing_factor = 1.0 if query.asks_scope else FRAMING_FACTOR
    hits = []
    for k in range(len(contract.clauses)):
        coverage = _plausible(query, weights, clauses, k)
        if coverage and relevance[k] > 0:
            score = float(relevance[k]) * (0.5 + coverage) * (framing_factor if clauses.framing[k] else 1.0)
            hits.append(ClauseHit(k, score))
    hits.sort(key=lambda h: (-h.score, h.clause_index))
    return [h for h in hits[:MAX_CLAUSES_PER_CONTRACT] if h.score >= SECOND_CLAUSE_SHARE * hits[0].score], weights
