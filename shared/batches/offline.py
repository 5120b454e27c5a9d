"""The offline evaluation (LLM_PROVIDER=offline): transparent and deterministic. The prompt is read as the query
workflow reads a question, part by part (its content words and their legal synonyms); the document's clauses that
carry it are its answer, their sentences its evidence. Pass/fail: whether any clause carries the prompt; a scale:
how much of the prompt the document covers; checks: their regexes.

The reason reads as a sentence: the fact each part's best quote states and the clause it is in ("Delaware law
(Governing Law)."), or that no clause of the document addresses what was asked ("consultant_letter.txt has no
clause on the governing law.")."""

from __future__ import annotations

from shared.analysis.offline.similarity import lemma, words
from shared.batches.evaluation import Evaluation, EvaluationTask
from shared.batches.models import Checks, PassFail, Scale
from shared.contracts.analysis import ClauseText, ContractForAnalysis
from shared.query.offline.answer import PartFinding, find, read_parts, topic_of
from shared.query.offline.facts import joined
from shared.query.offline.question import Query
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
    parts = read_parts(task.prompt.text)
    contract = as_contract(task)
    found = [find(contract, part) for part in parts]
    answered = [f for f in found if f.hits]
    quotes = list(dict.fromkeys(c.quote for f in answered for cited in f.citations for c in cited))[:MAX_QUOTES]
    scoring = task.prompt.scoring
    share = sum(coverage(part, task.text) for part in parts) / len(parts)
    score: float | None
    if isinstance(scoring, PassFail):
        score = 1.0 if answered else 0.0
    elif isinstance(scoring, Scale):
        score = float(round(scoring.min + (scoring.max - scoring.min) * (share if answered else share / 2)))
    else:
        assert isinstance(scoring, Checks)
        score = None  # the checks score it (evaluation.settle)
    return Evaluation(response_text=reason(task.filename, found), score=score, evidence=quotes)


def reason(filename: str, found: list[PartFinding]) -> str:
    """Plain English: what the document says on each part, or that it says nothing on it."""
    if not any(f.hits for f in found):
        return f"Not addressed: {filename} has no clause on {topic_of([f.query for f in found])}."
    statements = []
    for f in found:
        if f.hits:
            title = f.citations[0][0].clause_title
            statements.append(f"{f.fact} ({title})" if f.fact else f"addressed in {title}")
        else:
            statements.append(f"nothing on {topic_of([f.query])}")
    return joined(statements)
