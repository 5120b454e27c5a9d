"""Extractive question answering over contracts: the offline `answer_part` and `combine`.

Retrieval is BM25 over clause texts plus a boost for clause titles, with the question's terms expanded by
legal synonyms ("governing law" also finds "construed in accordance with the laws of"). The answer quotes the
best sentence(s) verbatim: every citation quote is an exact substring of the clause text it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.analysis.offline.similarity import (
    BM25,
    STOPWORDS,
    clip,
    sentences,
    stem,
    strip_heading,
    terms,
    wordlist,
    words,
)
from shared.analysis.offline.vocabulary import QUESTION_STOP, SYNONYMS
from shared.models.analysis import (
    Citation,
    ContractForAnalysis,
    PartAnswer,
    PerContractAnswer,
    QueryAnswer,
    QueryCombineTask,
    QueryPartTask,
)

EXPANSION_WEIGHT = 0.4
TITLE_BOOST = 1.5
# A clause must cover at least this share of the question's (idf-weighted) concepts to count as an answer.
MIN_COVERAGE = 0.5
SYNONYM_CREDIT = 0.6
QUOTE_CHARS = 500
MAX_CLAUSES_PER_CONTRACT = 2


@dataclass(frozen=True)
class Query:
    concepts: list[tuple[str, tuple[str, ...]]]  # (asked term, its synonyms)
    weights: dict[str, float]
    topic: str


# Leading words of a question that are not its topic: "What is the" governing law?
_LEADING_WORDS = frozenset(
    wordlist(
        """what which who how long much many when where whether does do did is are can may under there any the a an
        contract contracts agreement agreements say says provide provides specify about of for regarding each
        these those in it this"""
    )
)
# Raw question words dropped before stemming: "payment terms" asks about payment; "non-solicitation" about
# solicitation ("non" would match every non-anything clause).
_RAW_STOP = frozenset({"terms", "non", "clause", "provision"})


# Party descriptions, not provisions: "a Delaware limited liability company" says nothing about liability.
_ENTITY_FORMS = re.compile(r"limited\s+liability\s+(?:company|partnership)", re.I)


def _topic(question: str) -> str:
    tokens = question.strip().rstrip("?.! ").split()
    while tokens and tokens[0].lower().strip(",") in _LEADING_WORDS:
        tokens.pop(0)
    return " ".join(tokens) or question.strip().rstrip("?")


def parse_question(question: str) -> Query:
    concepts: list[tuple[str, tuple[str, ...]]] = []
    weights: dict[str, float] = {}
    asked = [stem(w) for w in words(question) if w not in STOPWORDS and w not in _RAW_STOP]
    for term in dict.fromkeys(t for t in asked if t not in QUESTION_STOP):
        if term in weights and weights[term] >= 1.0:
            continue
        synonyms = SYNONYMS.get(term, ())
        concepts.append((term, synonyms))
        weights[term] = 1.0
        for syn in synonyms:
            weights.setdefault(syn, EXPANSION_WEIGHT)
    return Query(concepts, weights, _topic(question))


@dataclass(frozen=True)
class _Hit:
    contract_index: int
    clause_index: int
    score: float
    coverage: float


def _coverage(query: Query, doc_terms: set[str], bm25: BM25) -> float:
    """IDF-weighted share of the question's concepts the clause mentions (directly or via a synonym).

    Zero unless at least one asked term itself appears: synonyms alone ("employment" for "solicitation")
    make too many false answers. A synonym that is itself an asked term does not count twice."""
    asked = {term for term, _ in query.concepts}
    if not asked & doc_terms:
        return 0.0
    total = matched = 0.0
    for term, synonyms in query.concepts:
        idf = bm25.idf(term)
        total += idf
        if term in doc_terms:
            matched += idf
        elif any(s in doc_terms and s not in asked for s in synonyms):
            matched += idf * SYNONYM_CREDIT
    return matched / total if total else 0.0


def _best_sentences(text: str, query: Query) -> list[tuple[float, int, str]]:
    """Sentences of a clause ranked by how many question terms they carry: (score, start, text).

    The clause heading is cut from a sentence it opens ("12. **Notices**. Notices ..."): quotes are text."""
    ranked = []
    for s in sentences(text):
        body = strip_heading(s.text)
        found = set(terms(body))
        score = sum(w for t, w in query.weights.items() if t in found)
        if score > 0:
            ranked.append((score, s.start, body))
    ranked.sort(key=lambda r: (-r[0], r[1]))
    return ranked


def _quote(text: str, query: Query) -> str:
    ranked = _best_sentences(text, query)
    if not ranked:
        return clip(text, QUOTE_CHARS, ellipsis=False)
    best = ranked[0][2]
    if len(best) > QUOTE_CHARS:
        lowered = best.lower()
        positions = [lowered.find(t) for t, w in query.weights.items() if w >= 1.0 and t in lowered]
        return clip(best, QUOTE_CHARS, min(positions) if positions else 0, ellipsis=False)
    return best


def _answer_contract(contract: ContractForAnalysis, hits: list[_Hit], query: Query) -> PerContractAnswer:
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
        citations.append(
            Citation(contract_id=contract.contract_id, clause_title=clause.title, quote=_quote(clause.text, query))
        )
    lead = citations[0]
    answer = f"{lead.clause_title}: “{lead.quote}”"
    if len(citations) > 1:
        answer += " See also " + ", ".join(c.clause_title for c in citations[1:]) + "."
    return PerContractAnswer(
        contract_id=contract.contract_id, contract_title=contract.title, answer=answer, citations=citations
    )


def answer_part(task: QueryPartTask) -> PartAnswer:
    query = parse_question(task.question)
    docs: list[list[str]] = []
    titles: list[list[str]] = []
    owners: list[tuple[int, int]] = []
    for ci, contract in enumerate(task.contracts):
        for ki, clause in enumerate(contract.clauses):
            docs.append(terms(_ENTITY_FORMS.sub(" ", clause.text)))
            titles.append(terms(clause.title))
            owners.append((ci, ki))
    body, heading = BM25(docs), BM25(titles)
    per_contract_hits: dict[int, list[_Hit]] = {i: [] for i in range(len(task.contracts))}
    for d, (ci, ki) in enumerate(owners):
        if not query.concepts:
            break
        coverage = _coverage(query, set(docs[d]) | set(titles[d]), body)
        score = body.score(d, query.weights) + TITLE_BOOST * heading.score(d, query.weights)
        if coverage >= MIN_COVERAGE and score > 0:
            per_contract_hits[ci].append(_Hit(ci, ki, score * (0.5 + coverage), coverage))
    per_contract: list[PerContractAnswer] = []
    ranked_citations: list[tuple[float, int, Citation]] = []
    for ci, contract in enumerate(task.contracts):
        hits = sorted(per_contract_hits[ci], key=lambda h: (-h.score, h.clause_index))
        # Keep clauses close to the best one: a second clause only when it is nearly as good.
        hits = [h for h in hits[:MAX_CLAUSES_PER_CONTRACT] if h.score >= 0.6 * hits[0].score]
        answer = _answer_contract(contract, hits, query)
        per_contract.append(answer)
        for hit, citation in zip(hits, answer.citations, strict=True):
            ranked_citations.append((hit.score, ci, citation))
    ranked_citations.sort(key=lambda r: (-r[0], r[1]))
    return PartAnswer(
        part_index=task.part_index,
        answer=_overall_answer(query, per_contract),
        citations=[c for _, _, c in ranked_citations],
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
    found = set(terms(citation.quote)) | set(terms(citation.clause_title))
    return sum(w for t, w in query.weights.items() if t in found)
