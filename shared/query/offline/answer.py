"""The offline `answer_part` and `combine_parts`: answers a lawyer can read, each fact cited by a verbatim quote.

A question is read part by part ("What is the governing law, and how long do the confidentiality obligations
last?" is two). For each contract, each part is answered from its best clauses: a short statement of the fact
the best quote states ("Delaware law"; "The obligations survive for a period of five (5) years after termination
of this Agreement"), with the quotes as citations, the parts' citations in turn (each part's best first). Overall:
how many contracts answer, and each one's facts; the contracts that do not are named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.analysis.offline.similarity import lemmas
from shared.contracts.analysis import ContractForAnalysis
from shared.query.models import Citation, PartAnswer, PerContractAnswer, QueryAnswer, QueryCombineTask, QueryPartTask
from shared.query.offline.answering import ClauseHit, answering_clauses
from shared.query.offline.facts import joined, state_fact
from shared.query.offline.question import Query, parse_question, question_parts
from shared.query.offline.quotes import verbatim_quotes


@dataclass(frozen=True)
class PartFinding:
    """What one contract says on one part of the question: its answering clauses, their quotes, the fact."""

    query: Query
    hits: list[ClauseHit]
    citations: list[list[Citation]]  # per hit, its quotes
    fact: str


def read_parts(question: str) -> list[Query]:
    return [parse_question(part) for part in question_parts(question)]


_NAMING = re.compile(
    r"^(?:what|which|is there|are there|any)\b(?:\s+(?:is|are|does|do|a|an|any|the|clause|clauses|provision|"
    r"provisions|section|about|on|regarding|for))*\s+",
    re.I,
)


def topic_of(parts: list[Query]) -> str:
    """What the question asks about, in the asker's words: "the governing law", "poaching staff", or the question
    quoted when it does not name its topic up front ("Can they lock us out if we're late paying?")."""
    topics = []
    for part in parts:
        asked = part.text.strip().rstrip("?. ")
        named = _NAMING.match(asked)
        rest = asked[named.end() :] if named else ""
        if named and rest and len(rest.split()) <= 7:
            topics.append(rest)
        else:
            topics.append(f"“{part.text.strip()}”")
    return " or ".join(topics)


def find(contract: ContractForAnalysis, part: Query) -> PartFinding:
    hits, weights = answering_clauses(contract, part)
    citations = []
    for hit in hits:
        clause = contract.clauses[hit.clause_index]
        quotes = verbatim_quotes(clause.text, part, weights)
        citations.append(
            [Citation(contract_id=contract.contract_id, clause_title=clause.title, quote=q) for q in quotes]
        )
    fact = state_fact(part, _best_quote(citations[0], part)) if citations and citations[0] else ""
    return PartFinding(part, hits, citations, fact)


def _best_quote(citations: list[Citation], part: Query) -> str:
    """The quote that carries most of the part (the first of equals)."""
    return max(citations, key=lambda c: sum(x.credit(set(lemmas(c.quote))) for x in part.concepts)).quote


def _answer_contract(contract: ContractForAnalysis, parts: list[Query]) -> tuple[PerContractAnswer, list[float]]:
    found = [find(contract, part) for part in parts]
    answered = [f for f in found if f.hits]
    if not answered:
        answer = PerContractAnswer(
            contract_id=contract.contract_id,
            contract_title=contract.title,
            answer=f"No clause addresses {topic_of(parts)}.",
            relevant=False,
        )
        return answer, []
    citations: list[Citation] = []
    scores: list[float] = []
    depth = max(len(f.citations) for f in answered)
    for rank in range(depth):  # each part's best clause, then each part's second
        for f in answered:
            if rank < len(f.citations):
                for citation in f.citations[rank]:
                    if citation not in citations:
                        citations.append(citation)
                        scores.append(f.hits[rank].score)
    statements = []
    for f in found:
        if f.hits:
            statements.append(f.fact or f"see {f.citations[0][0].clause_title}")
        else:
            statements.append(f"nothing on {topic_of([f.query])}")
    answer = PerContractAnswer(
        contract_id=contract.contract_id,
        contract_title=contract.title,
        answer=joined(statements),
        citations=citations,
    )
    return answer, scores


def answer_part(task: QueryPartTask) -> PartAnswer:
    parts = read_parts(task.question)
    per_contract: list[PerContractAnswer] = []
    ranked_citations: list[tuple[float, int, int, Citation]] = []
    for ci, contract in enumerate(task.contracts):
        answer, scores = _answer_contract(contract, parts)
        per_contract.append(answer)
        for order, (score, citation) in enumerate(zip(scores, answer.citations, strict=True)):
            ranked_citations.append((score if order else float("inf"), ci, order, citation))
    # Each contract's first citation answers its first part: it leads; the rest by score.
    ranked_citations.sort(key=lambda r: (-r[0], r[1], r[2]))
    return PartAnswer(
        part_index=task.part_index,
        answer=_overall_answer(parts, per_contract),
        citations=[c for *_, c in ranked_citations],
        per_contract=per_contract,
    )


def _overall_answer(parts: list[Query], answers: list[PerContractAnswer]) -> str:
    relevant = [a for a in answers if a.relevant]
    if not answers:
        return "No contracts to search."
    if not relevant:
        return f"None of the {len(answers)} contracts has a clause that addresses {topic_of(parts)}."
    count = f"{len(relevant)} of {len(answers)} contracts address"
    head = f"{count} {topic_of(parts)}" if len(parts) == 1 else f"{count} this question"
    # Each contract's answer whole: its facts are whole sentences, and cutting one could stop before the words
    # that answer ("... continues for one (1) year unless ... The…" when the answer is "two (2) years").
    facts = " ".join(f"{a.contract_title}: {_sentence(a.answer)}" for a in relevant)
    silent = [a.contract_title for a in answers if not a.relevant]
    return f"{head}. {facts}" + (f" Not addressed in: {', '.join(silent)}." if silent else "")


def _sentence(text: str) -> str:
    return text if text.endswith(("…", ".", "?", "!")) else text + "."


def combine_parts(task: QueryCombineTask) -> QueryAnswer:
    """Merge the parts' per-contract answers (a contract split over parts counts once) and rank citations."""
    parts = read_parts(task.question)
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
            ranked.append((_citation_score(citation, parts), order, citation))
            order += 1
    ranked.sort(key=lambda r: (-r[0], r[1]))
    return QueryAnswer(answer=_overall_answer(parts, list(merged.values())), citations=[c for _, _, c in ranked])


def _citation_score(citation: Citation, parts: list[Query]) -> float:
    """Re-score a quote against the question: parts were ranked separately, so their scores do not compare."""
    found = set(lemmas(citation.quote)) | set(lemmas(citation.clause_title))
    return sum(c.credit(found) for part in parts for c in part.concepts)
