"""Which clauses of a contract answer a question part: the hybrid ranking (shared/analysis/ranking.py) and the
answerer's decision whether the contract addresses the question at all.

A clause answers only when it carries at least half of the question's concepts, weighted by how rare they are in
the contract, or a quarter when its heading names the question's topic (its first concept, as questions name
what they ask about first, or the most specific concept the contract mentions): "Equitable Relief" answers "Can
a party get an injunction without posting a bond?" even if it says nothing of bonds. No answering clause means
the contract does not address the question.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.analysis.ranking import Scores, score_clauses
from shared.contracts.analysis import ContractForAnalysis
from shared.query.offline.question import Concept, Query

MIN_COVERAGE = 0.5
MIN_TITLED_COVERAGE = 0.25
TOPIC_SHARE = 0.6
# A second clause is cited only when nearly as good as the best one.
SECOND_CLAUSE_SHARE = 0.6
MAX_CLAUSES_PER_CONTRACT = 2
CONSENSUS = True


@dataclass(frozen=True)
class ClauseHit:
    """A clause that answers the question, and how well."""

    clause_index: int
    score: float


def _topics(scores: Scores) -> set[int]:
    """What the question is about: its first concept, and the most specific ones the contract mentions."""
    concepts, weights = scores.query.concepts, scores.weights
    mentioned = [i for i, c in enumerate(concepts) if any(c.credit(found) for found in scores.found)]
    top = max((weights[i] for i in mentioned), default=0.0)
    return {0, *(i for i in mentioned if weights[i] >= TOPIC_SHARE * top)}


def _plausible(scores: Scores, k: int, topics: set[int]) -> bool:
    """Does clause k carry enough of the question to answer it? Framing text (definitions, a summary) answers only
    a question about what something means, or when its heading names the topic."""
    clause = scores.clauses[k]
    concepts = scores.query.concepts
    titled = [i for i in topics if concepts[i].credit(scores.titles[k])]
    if clause.framing and not scores.query.asks_scope and not titled:
        return False
    if clause.coverage >= MIN_COVERAGE:
        return True
    # A heading that names the topic answers with less of the question, unless a word the question asks about
    # weighs more than all it carries and is nowhere in the contract ("Do disputes go to arbitration?" is not
    # answered by "Payment Dispute" in a contract that never mentions arbitration; "Who pays the sales tax?" is
    # answered by "Responsibility for Payment", which names payment and taxes but not sales).
    absent = max((w for c, w in zip(concepts, scores.weights, strict=True) if not _mentioned(c, scores)), default=0.0)
    carried = clause.coverage * sum(scores.weights)
    # ... and so does the clause both the words and the meaning rank first.
    agreed = CONSENSUS and clause.lexical >= 1.0 and clause.semantic >= 1.0
    return clause.coverage >= MIN_TITLED_COVERAGE and (bool(titled) or agreed) and carried >= absent


def _mentioned(concept: Concept, scores: Scores) -> bool:
    return any(concept.credit(found) for found in scores.found)


def answering_clauses(contract: ContractForAnalysis, query: Query) -> tuple[list[ClauseHit], list[float]]:
    """The contract's plausible answering clauses, best first, and the weights of the question's concepts."""
    if not query.concepts or not contract.clauses:
        return [], [1.0] * len(query.concepts)
    scores = score_clauses(contract.clauses, query)
    topics = _topics(scores)
    hits = [
        ClauseHit(c.index, c.score)
        for c in scores.ranked()
        if c.score > 0 and c.lexical > 0 and _plausible(scores, c.index, topics)
    ]
    if not hits:
        return [], scores.weights
    return [
        h for h in hits[:MAX_CLAUSES_PER_CONTRACT] if h.score >= SECOND_CLAUSE_SHARE * hits[0].score
    ], scores.weights
