"""The query's answers: a part's answer checked against the part, merged per contract, and the job's result
built from the reduce tree's root."""

from __future__ import annotations

from collections.abc import Sequence

from shared.analysis.base import Analyzer
from shared.analysis.token_usage import ModelCall, TokenUsage, total_usage
from shared.query.models import (
    AnalyzedPart,
    Citation,
    PartAnswer,
    PerContractAnswer,
    QueryAnswer,
    QueryCombineTask,
    QueryPartTask,
    QueryResult,
)
from shared.query.request import QueryJobRequest


def validate_part(task: QueryPartTask, answer: PartAnswer) -> PartAnswer:
    """Keep only citations and per-contract answers about contracts the part actually contained."""
    known = {c.contract_id for c in task.contracts}
    titles = {c.contract_id: c.title for c in task.contracts}
    per_contract = [
        p.model_copy(update={"citations": dedupe([c for c in p.citations if c.contract_id in known])})
        for p in answer.per_contract
        if p.contract_id in known
    ]
    answered = {p.contract_id for p in per_contract}
    # A contract the model skipped still gets an entry, so the result covers the whole set.
    per_contract += [
        PerContractAnswer(contract_id=cid, contract_title=titles[cid], answer="Not addressed.", relevant=False)
        for cid in dict.fromkeys(c.contract_id for c in task.contracts)
        if cid not in answered
    ]
    return answer.model_copy(
        update={
            "part_index": task.part_index,
            "citations": dedupe([c for c in answer.citations if c.contract_id in known]),
            "per_contract": per_contract,
        }
    )


def dedupe(citations: Sequence[Citation]) -> list[Citation]:
    seen: dict[tuple[str, str, str], Citation] = {}
    for c in citations:
        seen.setdefault((c.contract_id, c.clause_title, c.quote.strip()), c)
    return list(seen.values())


def merge_per_contract(parts: Sequence[PartAnswer], titles: dict[str, str]) -> list[PerContractAnswer]:
    """One answer per contract, in set order; a contract split across parts gets its pieces joined."""
    merged: dict[str, PerContractAnswer] = {}
    for part in parts:
        for p in part.per_contract:
            prior = merged.get(p.contract_id)
            if prior is None:
                merged[p.contract_id] = p.model_copy(
                    update={"contract_title": titles.get(p.contract_id, p.contract_title)}
                )
                continue
            relevant = [x.answer for x in (prior, p) if x.relevant]
            merged[p.contract_id] = prior.model_copy(
                update={
                    "answer": " ".join(relevant) if relevant else prior.answer,
                    "relevant": prior.relevant or p.relevant,
                    "citations": dedupe([*prior.citations, *p.citations]),
                }
            )
    order = list(titles) + [cid for cid in merged if cid not in titles]
    return [merged[cid] for cid in order if cid in merged]


def single_part_answer(part: PartAnswer) -> QueryAnswer:
    """With one part the map answer is the answer: no reduce call is needed."""
    return QueryAnswer(answer=part.answer, citations=part.citations)


def combine_group(
    analyzer: Analyzer, request: QueryJobRequest, children: Sequence[PartAnswer], index: int
) -> tuple[AnalyzedPart, str]:
    """Combine a group into one answer (and the call's raw output). A group of one passes through without a
    model call. The node keeps its children's merged per-contract answers: a later round's offline combine
    answers from them, and the LLM combine accepts only citations the children already verified."""
    if len(children) == 1:
        return AnalyzedPart(
            answer=children[0].model_copy(update={"part_index": index}), model="", usage=TokenUsage()
        ), ""
    reply = analyzer.combine(
        QueryCombineTask(question=request.question, parts=list(children), model_selection=request.modelSelection)
    )
    known = {pc.contract_id for child in children for pc in child.per_contract}
    node = PartAnswer(
        part_index=index,
        answer=reply.output.answer,
        citations=dedupe([c for c in reply.output.citations if c.contract_id in known]),
        per_contract=merge_per_contract(children, {}),
    )
    return AnalyzedPart(answer=node, model=reply.model, usage=reply.usage), reply.raw


def build_result(
    request: QueryJobRequest, parts: Sequence[AnalyzedPart], nodes: Sequence[AnalyzedPart], titles: dict[str, str]
) -> QueryResult:
    """The result: the root's answer (the single part's when nothing was combined), citations only of the set's
    contracts, per-contract answers merged from the parts, and the usage of every call."""
    answers = [p.answer for p in parts]
    root = nodes[-1].answer if nodes else answers[0]
    final = single_part_answer(root)
    calls: list[ModelCall] = [*parts, *nodes]
    usage, model = total_usage(calls)
    citations = dedupe([c for c in final.citations if c.contract_id in titles])
    return QueryResult(
        question=request.question,
        answer=final.answer,
        citations=citations,
        per_contract=merge_per_contract(answers, titles),
        model=model,
        usage=usage,
    )
