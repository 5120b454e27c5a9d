"""Extractive question answering over contracts: the offline `answer_part` and `combine`.

A question is read as concepts: its content words (question words, everyday verbs and the parties dropped), each
with the terms contracts use for the same thing ("poaching staff" ~ "solicit employees", "heard" ~ "courts").
Each contract is read on its own: its clauses are ranked by BM25 (the `bm25s` library) over lemmatized texts and
titles, one score per concept (its best term), and a clause answers only when it carries at least half of the
question's concepts, weighted by how rare they are in the contract (or names the question's topic in its title):
"not addressed" means no clause is a plausible match. The answer quotes every sentence of the clause that carries
a part of the question, verbatim: every citation quote is an exact substring of the clause text it names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import bm25s
import numpy as np

from shared.analysis.offline.similarity import (
    STOPWORDS,
    clip,
    fold,
    lemma,
    lemmas,
    sentences,
    strip_heading,
    wordlist,
    words,
)
from shared.analysis.offline.vocabulary import QUESTION_PHRASES, QUESTION_STOP, RELATED_TERMS, normalize_heading
from shared.models.analysis import (
    Citation,
    ContractForAnalysis,
    PartAnswer,
    PerContractAnswer,
    QueryAnswer,
    QueryCombineTask,
    QueryPartTask,
)

# A clause that says it with a related term ("employees" for "staff") answers almost as well as the word itself.
SYNONYM_CREDIT = 0.8
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
# Questions about what something means or covers: definitions answer them.
_SCOPE_WORDS = frozenset(
    wordlist(
        "mean means meaning define defines defined definition cover covers covered include includes included count"
    )
)
# A second clause is cited only when nearly as good as the best one.
SECOND_CLAUSE_SHARE = 0.6
MAX_CLAUSES_PER_CONTRACT = 2
# Every sentence that carries at least this share of the question is quoted (the best ones, up to a limit).
SENTENCE_SHARE = 0.15
MAX_SENTENCES_PER_CLAUSE = 3
QUOTE_CHARS = 500
BM25_K1 = 1.2
BM25_B = 0.75


@dataclass(frozen=True)
class Concept:
    """One content word of the question, and the terms a clause may use instead."""

    word: str
    related: tuple[str, ...]

    def credit(self, found: set[str]) -> float:
        if self.word in found:
            return 1.0
        return SYNONYM_CREDIT if any(t in found for t in self.related) else 0.0

    def terms(self) -> tuple[str, ...]:
        return (self.word, *self.related)


@dataclass(frozen=True)
class Query:
    concepts: tuple[Concept, ...]
    topic: str
    asks_scope: bool = False  # "what does ... mean / cover / include": definitions are answers like any other


# Leading words of a question that are not its topic: "What is the" governing law?
_LEADING_WORDS = frozenset(
    wordlist(
        """what which who how long much many when where whether does do did is are can may under there any the a an
        contract contracts agreement agreements say says provide provides specify about of for regarding each
        these those in it this"""
    )
)
# Words that only qualify the topic: "payment terms" asks about payment; "non-solicitation" about solicitation.
_RAW_STOP = frozenset({"terms", "non", "clause", "provision"})
# Party descriptions, not provisions: "a Delaware limited liability company" says nothing about liability.
_ENTITY_FORMS = re.compile(r"limited\s+liability\s+(?:company|partnership)", re.I)


def _topic(question: str) -> str:
    tokens = question.strip().rstrip("?.! ").split()
    while tokens and tokens[0].lower().strip(",") in _LEADING_WORDS:
        tokens.pop(0)
    return " ".join(tokens) or question.strip().rstrip("?")


def parse_question(question: str) -> Query:
    """The question's concepts, in order; a word that is a related term of an earlier concept adds nothing."""
    text = fold(question)
    for pattern, replacement in QUESTION_PHRASES:
        text = pattern.sub(replacement, text)
    asked = [lemma(w) for w in words(text) if w not in STOPWORDS and w not in QUESTION_STOP and w not in _RAW_STOP]
    concepts: list[Concept] = []
    covered: set[str] = set()
    for word in dict.fromkeys(asked):
        if word in covered:
            continue
        concept = Concept(word, RELATED_TERMS.get(word, ()))
        concepts.append(concept)
        covered.update(concept.terms())
    return Query(tuple(concepts), _topic(question), asks_scope=bool(_SCOPE_WORDS.intersection(words(text))))


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
class _Hit:
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


def _hits(contract: ContractForAnalysis, query: Query) -> tuple[list[_Hit], list[float]]:
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
            hits.append(_Hit(k, score))
    hits.sort(key=lambda h: (-h.score, h.clause_index))
    return [h for h in hits[:MAX_CLAUSES_PER_CONTRACT] if h.score >= SECOND_CLAUSE_SHARE * hits[0].score], weights


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    score: float
    carries: frozenset[int]  # indexes of the concepts the sentence carries


def _spans(text: str, query: Query, weights: list[float]) -> list[_Span]:
    """Sentences that carry a part of the question, in text order; a clause or sub-clause heading that opens a
    sentence ("12. **Notices**. Notices ...") is not quoted."""
    out = []
    for s in sentences(text):
        body = strip_heading(s.text)
        found = set(lemmas(body))
        credits = [c.credit(found) for c in query.concepts]
        score = sum(w * c for w, c in zip(weights, credits, strict=True))
        if score > 0:
            out.append(_Span(s.end - len(body), s.end, score, frozenset(i for i, c in enumerate(credits) if c)))
    return out


def _quoted_spans(spans: list[_Span], weights: list[float]) -> list[_Span]:
    """The best sentence, and every other that carries a real part of the question (best first, to a limit)."""
    ranked = sorted(spans, key=lambda s: (-s.score, s.start))
    floor = SENTENCE_SHARE * sum(weights)
    chosen = ranked[:1] + [s for s in ranked[1:] if s.score >= floor][: MAX_SENTENCES_PER_CLAUSE - 1]
    return sorted(chosen, key=lambda s: s.start)


def _quotes(text: str, query: Query, weights: list[float]) -> list[str]:
    """Verbatim quotes of the sentences that carry the question: neighbours joined into one passage while it
    stays within QUOTE_CHARS, a long sentence clipped around the first asked word it contains."""
    spans = _spans(text, query, weights)
    if not spans:
        return [clip(text, QUOTE_CHARS, ellipsis=False)]
    passages: list[tuple[int, int]] = []
    for span in _quoted_spans(spans, weights):
        if passages and span.end - passages[-1][0] <= QUOTE_CHARS:
            passages[-1] = (passages[-1][0], span.end)
        else:
            passages.append((span.start, span.end))
    return [_clip_passage(text[start:end], query) for start, end in passages]


def _clip_passage(passage: str, query: Query) -> str:
    if len(passage) <= QUOTE_CHARS:
        return passage
    folded = fold(passage)
    positions = [m.start() for c in query.concepts if (m := re.search(r"\b" + re.escape(c.word), folded))]
    return clip(passage, QUOTE_CHARS, min(positions) if positions else 0, ellipsis=False)


def _answer_contract(
    contract: ContractForAnalysis, hits: list[_Hit], query: Query, weights: list[float]
) -> PerContractAnswer:
    if not hits:
        return PerContractAnswer(
            contract_id=contract.contract_id,
            contract_title=contract.title,
            answer=f"No clause addresses {query.topic}.",
            relevant=False,
        )
    citations = []
    for hit in hits:
        clause = contract.clauses[hit.clause_index]
        for quote in _quotes(clause.text, query, weights):
            citations.append(Citation(contract_id=contract.contract_id, clause_title=clause.title, quote=quote))
    lead = citations[0].clause_title
    answer = f"{lead}: " + " … ".join(f"“{c.quote}”" for c in citations if c.clause_title == lead)
    others = list(dict.fromkeys(c.clause_title for c in citations if c.clause_title != lead))
    if others:
        answer += " See also " + ", ".join(others) + "."
    return PerContractAnswer(
        contract_id=contract.contract_id, contract_title=contract.title, answer=answer, citations=citations
    )


def answer_part(task: QueryPartTask) -> PartAnswer:
    query = parse_question(task.question)
    per_contract: list[PerContractAnswer] = []
    ranked_citations: list[tuple[float, int, int, Citation]] = []
    for ci, contract in enumerate(task.contracts):
        hits, weights = _hits(contract, query)
        answer = _answer_contract(contract, hits, query, weights)
        per_contract.append(answer)
        scores: dict[str, float] = {}
        for hit in hits:  # best first: a title two clauses share ranks by the better one
            scores.setdefault(contract.clauses[hit.clause_index].title, hit.score)
        for order, citation in enumerate(answer.citations):
            ranked_citations.append((scores[citation.clause_title], ci, order, citation))
    ranked_citations.sort(key=lambda r: (-r[0], r[1], r[2]))
    return PartAnswer(
        part_index=task.part_index,
        answer=_overall_answer(query, per_contract),
        citations=[c for *_, c in ranked_citations],
        per_contract=per_contract,
    )


def _overall_answer(query: Query, answers: list[PerContractAnswer]) -> str:
    relevant = [a for a in answers if a.relevant]
    if not answers:
        return "No contracts to search."
    if not relevant:
        return f"None of the {len(answers)} contracts has a clause that addresses {query.topic}."
    parts = [
        f"{a.contract_title} ({a.citations[0].clause_title}: “{clip(a.citations[0].quote, 160)}”)" for a in relevant
    ]
    head = f"{len(relevant)} of {len(answers)} contracts address {query.topic}: " + "; ".join(parts) + "."
    silent = [a.contract_title for a in answers if not a.relevant]
    return head + (f" Not addressed in: {', '.join(silent)}." if silent else "")


def combine_parts(task: QueryCombineTask) -> QueryAnswer:
    """Merge the parts' per-contract answers (a contract split over parts counts once) and rank citations."""
    query = parse_question(task.question)
    merged: dict[str, PerContractAnswer] = {}
    for part in sorted(task.parts, key=lambda p: p.part_index):
        for answer in part.per_contract:
            known = merged.get(answer.contract_id)
            if known is None or (answer.relevant and not known.relevant):
                merged[answer.contract_id] = answer
            elif answer.relevant:
                citations = known.citations + [c for c in answer.citations if c not in known.citations]
                merged[answer.contract_id] = known.model_copy(update={"citations": citations})
    seen: set[tuple[str, str, str]] = set()
    ranked: list[tuple[float, int, Citation]] = []
    order = 0
    for part in sorted(task.parts, key=lambda p: p.part_index):
        for citation in part.citations:
            key = (citation.contract_id, citation.clause_title, citation.quote)
            if key in seen:
                continue
            seen.add(key)
            ranked.append((_citation_score(citation, query), order, citation))
            order += 1
    ranked.sort(key=lambda r: (-r[0], r[1]))
    return QueryAnswer(answer=_overall_answer(query, list(merged.values())), citations=[c for _, _, c in ranked])


def _citation_score(citation: Citation, query: Query) -> float:
    """Re-score a quote against the question: parts were ranked separately, so their scores do not compare."""
    found = set(lemmas(citation.quote)) | set(lemmas(citation.clause_title))
    return sum(c.credit(found) for c in query.concepts)
