"""The offline evaluation (LLM_PROVIDER=offline): transparent and deterministic. The prompt is read as the query
workflow reads a question (its content words and their legal synonyms); the document's clauses that carry it are
its answer, their sentences its evidence. Pass/fail: whether any clause carries the prompt; a scale: how much of
the prompt the document covers; checks: their regexes."""

from __future__ import annotations

from shared.analysis.offline.similarity import lemma, words
from shared.batches.evaluation import Evaluation, EvaluationTask
from shared.batches.models import Checks, PassFail, Scale
from shared.contracts.analysis import ClauseText, ContractForAnalysis
from shared.query.offline.question import Query, parse_question
from shared.query.offline.quotes import verbatim_quotes
from shared.query.offline.ranking import answering_clauses
from shared.text.segmentation import segment_top_level

MAX_QUOTES = 3


def as_contract(task: EvaluationTask) -> ContractForAnalysis:
    clauses = [ClauseText(title=c.title, number=c.number, text=c.text) for c in segment_top_level(task.text)]
    if not clauses:
        clauses = [ClauseText(title=task.filename, text=task.text)]
    return ContractForAnalysis(contract_id=task.document_id, title=task.filename, clauses=clauses)


def coverage(query: Query, text: str) -> float:
    """Share of the prompt's concepts the document uses (a related term counts a little less)."""
    if not query.concepts:
        return 0.0
    found = {lemma(w) for w in words(text)}
    return sum(c.credit(found) for c in query.concepts) / len(query.concepts)


def evaluate(task: EvaluationTask) -> Evaluation:
    query = parse_question(task.prompt.text)
    contract = as_contract(task)
    hits, weights = answering_clauses(contract, query)
    quotes: list[str] = []
    for hit in hits:
        quotes.extend(verbatim_quotes(contract.clauses[hit.clause_index].text, query, weights))
    quotes = quotes[:MAX_QUOTES]
    titles = list(dict.fromkeys(contract.clauses[h.clause_index].title for h in hits))
    scoring = task.prompt.scoring
    share = coverage(query, task.text)
    score: float | None
    if isinstance(scoring, PassFail):
        score = 1.0 if hits else 0.0
    elif isinstance(scoring, Scale):
        score = float(round(scoring.min + (scoring.max - scoring.min) * (share if hits else share / 2)))
    else:
        assert isinstance(scoring, Checks)
        score = None  # the checks score it (evaluation.settle)
    if hits:
        response = f"Addressed in {', '.join(titles)}: " + " … ".join(f"“{q}”" for q in quotes)
    else:
        response = f"Not addressed: no part of {task.filename} covers {query.topic}."
    return Evaluation(response_text=response, score=score, evidence=quotes)
