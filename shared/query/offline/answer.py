"""The offline `answer_part` and `combine_parts`: the answers assembled from the answering clauses' quotes.

Per contract, the quotes of its answering clauses (or "No clause addresses ..."); overall, which contracts address
the question and which do not, with every citation ranked best first.
"""

from __future__ import annotations

from shared.analysis.offline.similarity import clip, lemmas
from shared.contracts.analysis import ContractForAnalysis
from shared.query.models import Citation, PartAnswer, PerContractAnswer, QueryAnswer, QueryCombineTask, QueryPartTask
from shared.query.offline.question import Query, parse_question
from shared.query.offline.quotes import verbatim_quotes
from shared.query.offline.ranking import ClauseHit, answering_clauses


def _answer_contract(
    contract: ContractForAnalysis, hits: list[ClauseHit], query: Query, weights: list[float]
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
        for quote in verbatim_quotes(clause.text, query, weights):
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
        hits, weights = answering_clauses(contract, query)
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
