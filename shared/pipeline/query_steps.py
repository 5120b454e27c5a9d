"""The query job's steps over job artifacts: retrieve (in chunks), plan, answer one part, combine, save.

Safe to run twice: deterministic artifact names, upserts, and stored model answers are reused, not re-bought.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from shared.analysis.base import Analyzer
from shared.llm.schema import strict_json_schema
from shared.models.analysis import (
    ContractForAnalysis,
    ModelCall,
    PartAnswer,
    QueryCombineTask,
    QueryPartTask,
    QueryResult,
    Usage,
    total_usage,
)
from shared.models.jobs import JobType, QueryJobRequest
from shared.pipeline import artifacts as names
from shared.pipeline import query
from shared.pipeline.messages import (
    SKIPPED_CANCELLED,
    ItemAnalyzed,
    QueryCombined,
    QueryPlanned,
    QueryRetrieved,
    ResultSaved,
)
from shared.pipeline.prompts import CHAT_FRAMING_TOKENS
from shared.pipeline.scope import JobScope
from shared.pipeline.steps import save_result, snapshot_contracts
from shared.text.tokens import count_tokens, encoding_for_model


class AnalyzedPart(BaseModel):
    """One part's validated answer with the model and usage that produced it (a job artifact)."""

    answer: PartAnswer
    model: str
    usage: Usage


@dataclass(frozen=True)
class Combined:
    result: QueryResult
    raw: str
    """The reduce call's raw output ("" when there was a single part)."""
    llm_call: bool


def request_of(scope: JobScope) -> QueryJobRequest:
    return QueryJobRequest.model_validate(scope.job().request)


def retrieve_chunk(scope: JobScope, contract_ids: Sequence[str]) -> QueryRetrieved:
    return QueryRetrieved(contracts=snapshot_contracts(scope, contract_ids))


def budget_for(analyzer: Analyzer, request: QueryJobRequest, output_reserve: int) -> query.Budget:
    """The exact per-part budget of the model the job runs on."""
    encoding = encoding_for_model(analyzer.model_name(request.modelSelection))
    overhead = query.prompt_overhead(encoding, strict_json_schema(PartAnswer))
    return query.make_budget(analyzer.context_tokens(request.modelSelection), output_reserve, overhead, encoding)


def sent_tokens(analyzer: Analyzer, encoding: str) -> Callable[[QueryPartTask], int] | None:
    """Exact prompt tokens of a part as the LLM client sends it (its own messages, chat framing, response
    schema); None for the offline analyzer, which sends nothing."""
    if analyzer.provider == "offline":
        return None
    # Imported only for model providers: the offline path never loads the openai SDK.
    from shared.llm.prompts import query_part_messages

    schema = count_tokens(json.dumps(strict_json_schema(PartAnswer), separators=(",", ":")), encoding)

    def measure(task: QueryPartTask) -> int:
        messages = query_part_messages(task)
        return sum(count_tokens(str(m["content"]), encoding) for m in messages) + CHAT_FRAMING_TOKENS + schema

    return measure


def plan_for(
    analyzer: Analyzer, request: QueryJobRequest, contracts: Sequence[ContractForAnalysis], reserve: int
) -> tuple[query.Budget, list[QueryPartTask]]:
    budget = budget_for(analyzer, request, reserve)
    measure = sent_tokens(analyzer, budget.encoding)
    return budget, query.plan_parts(request.question, contracts, budget, request.modelSelection, measure)


def plan(scope: JobScope, analyzer: Analyzer, output_reserve: int) -> QueryPlanned:
    request = request_of(scope)
    store = scope.artifacts
    contracts = [store.get(names.contract_snapshot(cid), ContractForAnalysis) for cid in request.contract_ids]
    budget, parts = plan_for(analyzer, request, contracts, output_reserve)
    for part in parts:
        store.put(names.query_part(part.part_index), part)
    return QueryPlanned(
        parts=len(parts),
        budget_tokens=budget.part_tokens,
        part_tokens=[query.part_tokens(p, budget.encoding) for p in parts],
        model=analyzer.model_name(request.modelSelection),
    )


def answer_part(scope: JobScope, analyzer: Analyzer, part_index: int) -> ItemAnalyzed:
    store = scope.artifacts
    item = f"part {part_index + 1}"
    done = store.find(names.query_answer(part_index), AnalyzedPart)
    if done is not None:
        return _summary(item, done, note="already answered")
    if scope.is_cancelled():
        return ItemAnalyzed(status="skipped", item=item, note=SKIPPED_CANCELLED)
    task = store.get(names.query_part(part_index), QueryPartTask)
    reply = analyzer.answer_part(task)
    store.put_text(names.query_raw(part_index), reply.raw)
    analyzed = AnalyzedPart(answer=query.validate_part(task, reply.output), model=reply.model, usage=reply.usage)
    store.put(names.query_answer(part_index), analyzed)
    return _summary(item, analyzed)


def _summary(item: str, part: AnalyzedPart, note: str = "") -> ItemAnalyzed:
    relevant = sum(1 for p in part.answer.per_contract if p.relevant)
    counts = {"citations": len(part.answer.citations), "relevant_contracts": relevant}
    return ItemAnalyzed(item=item, model=part.model, usage=part.usage, counts=counts, note=note)


def combine(scope: JobScope, analyzer: Analyzer, parts_total: int) -> QueryCombined:
    store = scope.artifacts
    done = store.find(names.QUERY_RESULT, QueryResult)
    if done is not None:
        return QueryCombined(citations=len(done.citations), model=done.model, usage=done.usage, note="already combined")
    request = request_of(scope)
    parts = [store.get(names.query_answer(i), AnalyzedPart) for i in range(parts_total)]
    titles = {cid: store.get(names.contract_snapshot(cid), ContractForAnalysis).title for cid in request.contract_ids}
    if len(parts) > 1 and scope.is_cancelled():
        return QueryCombined(status="skipped", note=SKIPPED_CANCELLED)
    combined = combine_answers(analyzer, request, parts, titles)
    if combined.llm_call:
        store.put_text(names.QUERY_COMBINED_RAW, combined.raw)
    result = combined.result
    store.put(names.QUERY_RESULT, result)
    return QueryCombined(
        citations=len(result.citations), llm_call=combined.llm_call, model=result.model, usage=result.usage
    )


def combine_answers(
    analyzer: Analyzer, request: QueryJobRequest, parts: Sequence[AnalyzedPart], titles: dict[str, str]
) -> Combined:
    """The reduce step, shared with the inline path. A single part needs no model call."""
    answers = [p.answer for p in parts]
    calls: list[ModelCall] = list(parts)
    raw = ""
    if len(answers) == 1:
        final = query.single_part_answer(answers[0])
    else:
        reply = analyzer.combine(
            QueryCombineTask(question=request.question, parts=answers, model_selection=request.modelSelection)
        )
        final, raw = reply.output, reply.raw
        calls.append(reply)
    usage, model = total_usage(calls)
    known = set(titles)
    citations = query.dedupe([c for c in final.citations if c.contract_id in known])
    result = QueryResult(
        question=request.question,
        answer=final.answer,
        citations=citations,
        per_contract=query.merge_per_contract(answers, titles),
        model=model,
        usage=usage,
    )
    return Combined(result=result, raw=raw, llm_call=len(answers) > 1)


def save(scope: JobScope) -> ResultSaved:
    return save_result(scope, JobType.QUERY, scope.artifacts.get(names.QUERY_RESULT, QueryResult))
