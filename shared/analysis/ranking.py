"""Which clauses of a contract answer a question: the hybrid ranking of the offline answerer.

One function for every caller: ``rank_clauses(clauses, question)`` gives every clause of one contract with its
score, best first (the offline answerer quotes the first ones; a model-backed answerer can send only those).

A clause scores on three things, read from its text in comparable form (markup is not words):
- *words*: BM25 (the ``bm25s`` library) over lemmatized text, one score per concept of the question (its best
  term: the asker's word, or a legal term for the same thing from the question vocabulary, for a little less), a
  concept named in the clause's own heading counting TITLE_BOOST times, in its parent's heading PARENT_BOOST times;
- *meaning*: the cosine of the question and the clause in WordLlama's embedding space (shared/analysis/semantic.py),
  content words only, so "lock us out" finds "suspend access" without a shared word;
- *coverage*: the share of the question's concepts the clause carries, each weighted by how rare it is in the
  contract (a concept the contract never mentions weighs most: a clause that carries only the rest is no answer).
The score is ``(LEXICAL * words + SEMANTIC * meaning) * (COVERAGE_FLOOR + coverage)``, both parts scaled to the
contract's best. Framing text — the preamble, a summary table, definitions, the introduction of an article whose
sections follow, a heading with next to no text — mentions every topic without governing any: it counts
FRAMING_FACTOR times, unless the question asks what something means.

Each contract is read on its own, so its ranking does not depend on which other contracts are asked. A two-part
question ("What is the governing law, and how long do the obligations last?") is ranked part by part, the parts'
best clauses interleaved.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import bm25s
import numpy as np

from shared.analysis.offline.comparable_headings import normalize_heading
from shared.analysis.offline.similarity import lemmas
from shared.analysis.semantic import content_words, semantic_model
from shared.contracts.analysis import ClauseText
from shared.query.offline.question import SYNONYM_CREDIT, Query, parse_question, question_parts
from shared.query.offline.vocabulary import QUESTION_STOP
from shared.text.markup import comparable
from shared.text.segmentation import PATH_SEPARATOR

TITLE_BOOST = 1.5
PARENT_BOOST = 0.5
LEXICAL = 0.6
SEMANTIC = 0.4
COVERAGE_FLOOR = 0.5
FRAMING_FACTOR = 0.5
# A clause with fewer content words than this holds a heading or a line of framing, not a provision.
SHORT_CLAUSE_WORDS = 8
BM25_K1 = 1.2
BM25_B = 0.75
_FRAMING_TITLES = frozenset(
    {"definitions", "defined terms", "interpretation", "preamble", "recitals", "background", "summary"}
)
# The document's own title heading near the top ("GitHub Corporate Terms of Service", "Cloud Service Agreement"):
# its words are the document's name, its text a version line or an introduction.
_DOCUMENT_TITLE = re.compile(
    r"(?:\bterms of service|\bterms of use|\bterms and conditions|^terms|\bagreement|\baddendum)$"
)
DOCUMENT_TITLE_POSITION = 3
# Party descriptions, not provisions: "a Delaware limited liability company" says nothing about liability.
_ENTITY_FORMS = re.compile(r"limited\s+liability\s+(?:company|partnership)", re.I)


@dataclass(frozen=True)
class RankedClause:
    """A clause of the contract and how well it answers (a part of) the question."""

    index: int  # position in the clauses given
    score: float  # the hybrid score; only comparable within one contract and one part
    coverage: float  # share of the part's rarity-weighted concepts the clause carries (0-1)
    lexical: float  # BM25 over the part's concepts, scaled to the contract's best (0-1)
    semantic: float  # cosine with the part, scaled to the contract's range (0-1)
    framing: bool  # preamble, summary, definitions, an article's introduction, a bare heading
    part: int = 0  # which part of a two-part question


def rank_clauses(clauses: Sequence[ClauseText], question: str) -> list[RankedClause]:
    """Every clause, most relevant first; for a question in several parts, each part's best in turn."""
    parts = [score_clauses(clauses, parse_question(part)).ranked(p) for p, part in enumerate(question_parts(question))]
    if len(parts) == 1:
        return parts[0]
    out: list[RankedClause] = []
    seen: set[int] = set()
    for rank in range(len(clauses)):
        for ranked in parts:
            if rank < len(ranked) and ranked[rank].index not in seen:
                seen.add(ranked[rank].index)
                out.append(ranked[rank])
    return out


@dataclass(frozen=True)
class Scores:
    """One contract's clauses scored for one question part: everything the answerer decides with."""

    query: Query
    weights: list[float]  # each concept's rarity in the contract
    found: list[set[str]]  # each clause's lemmas (text and headings)
    titles: list[set[str]]  # each clause's own heading lemmas
    clauses: list[RankedClause]  # in document order

    def ranked(self, part: int = 0) -> list[RankedClause]:
        order = sorted(self.clauses, key=lambda c: (-c.score, c.index))
        return [RankedClause(c.index, c.score, c.coverage, c.lexical, c.semantic, c.framing, part) for c in order]


def score_clauses(clauses: Sequence[ClauseText], query: Query) -> Scores:
    """Score every clause for one question part (see the module docstring)."""
    n = len(clauses)
    if not n:
        return Scores(query, [1.0] * len(query.concepts), [], [], [])
    headings = [c.title.split(PATH_SEPARATOR) for c in clauses]
    plains = [comparable(c.text) for c in clauses]
    bodies = [lemmas(_ENTITY_FORMS.sub(" ", p)) for p in plains]
    own = [lemmas(h[-1]) for h in headings]
    parents = [lemmas(" ".join(h[:-1])) for h in headings]
    found = [set(b) | set(o) | set(p) for b, o, p in zip(bodies, own, parents, strict=True)]
    body, title, parent = _bm25(bodies), _bm25(own), _bm25(parents)

    weights = []
    lexical = np.zeros(n)
    for concept in query.concepts:
        df = sum(1 for f in found if concept.credit(f))
        weights.append(math.log(1 + (n - df + 0.5) / (df + 0.5)))
        best = np.zeros(n)
        for term in concept.terms():
            credit = 1.0 if term == concept.word else SYNONYM_CREDIT
            best = np.maximum(best, credit * (body(term) + TITLE_BOOST * title(term) + PARENT_BOOST * parent(term)))
        lexical += best
    total = sum(weights)
    coverage = [
        sum(w * c.credit(f) for c, w in zip(query.concepts, weights, strict=True)) / total if total else 0.0
        for f in found
    ]
    semantic = _semantic(query, headings, plains)
    framing = _framing(clauses, headings, bodies)
    lex = lexical / lexical.max() if lexical.max() > 0 else lexical
    spread = semantic.max() - semantic.min()
    sem = (semantic - semantic.min()) / spread if spread > 0 else np.zeros(n)
    factor = 1.0 if query.asks_scope else FRAMING_FACTOR
    ranked = []
    for k in range(n):
        relevance = (LEXICAL * lex[k] + SEMANTIC * sem[k]) * (COVERAGE_FLOOR + coverage[k])
        if not query.concepts:
            relevance = 0.0
        score = relevance * (factor if framing[k] else 1.0)
        ranked.append(RankedClause(k, float(score), coverage[k], float(lex[k]), float(sem[k]), framing[k]))
    return Scores(query, weights, found, [set(o) for o in own], ranked)


def _bm25(documents: list[list[str]]) -> Callable[[str], np.ndarray]:
    """Per-term BM25 scores of every document (zeros for a term no document has)."""
    zeros = np.zeros(len(documents))
    if not any(documents):
        return lambda term: zeros
    index = bm25s.BM25(k1=BM25_K1, b=BM25_B)
    index.index(documents, show_progress=False)
    known = index.vocab_dict
    return lambda term: index.get_scores([term]).astype(float) if term in known else zeros


def _semantic(query: Query, headings: list[list[str]], plains: list[str]) -> np.ndarray:
    asked = content_words(f"{query.text} {query.reading}", QUESTION_STOP)
    if not asked:
        return np.zeros(len(plains))
    model = semantic_model()
    vectors = _clause_vectors.vectors([" ".join(h) + ". " + p for h, p in zip(headings, plains, strict=True)])
    return vectors @ model.embed([asked])[0]


class _VectorCache:
    """Clause vectors by a digest of their text (a contract's clauses are asked many questions): at most
    CACHED_VECTORS of 1 KB each, least recently used dropped; the texts themselves are not kept."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._vectors: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def vectors(self, texts: list[str]) -> np.ndarray:
        keys = [hashlib.blake2b(t.encode("utf-8"), digest_size=16).digest() for t in texts]
        with self._lock:
            found = {k: self._vectors[k] for k in keys if k in self._vectors}
            for k in found:
                self._vectors.move_to_end(k)
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            fresh = semantic_model().embed([content_words(texts[i]) for i in missing])
            with self._lock:
                for i, vector in zip(missing, fresh, strict=True):
                    found[keys[i]] = self._vectors[keys[i]] = vector
                while len(self._vectors) > self._size:
                    self._vectors.popitem(last=False)
        return np.stack([found[k] for k in keys])


CACHED_VECTORS = 4096
_clause_vectors = _VectorCache(CACHED_VECTORS)


def _framing(clauses: Sequence[ClauseText], headings: list[list[str]], bodies: list[list[str]]) -> list[bool]:
    titles = [c.title for c in clauses]
    out = []
    for k, heading in enumerate(headings):
        introduction = any(t.startswith(titles[k] + PATH_SEPARATOR) for t in titles[k + 1 : k + 2])
        name = normalize_heading(heading[-1])
        named = any(normalize_heading(h) in _FRAMING_TITLES for h in heading) or (
            k < DOCUMENT_TITLE_POSITION and bool(_DOCUMENT_TITLE.search(name))
        )
        out.append(named or introduction or len(bodies[k]) < SHORT_CLAUSE_WORDS)
    return out
