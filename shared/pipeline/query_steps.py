"""The query job's steps over job artifacts: retrieve (in chunks), plan, answer one part, combine, save.

Safe to run twice: deterministic artifact names, upserts, and stored model answers are reused, not re-bought.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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
from shared.pipeline.artifacts import Artifacts
from shared.pipeline.messages import (
    SKIPPED_CANCELLED,
    ItemAnalyzed,
    QueryCombined,
    QueryFinished,
    QueryGrouped,
    QueryPlanned,
    QueryRetrieved,
    ResultSaved,
)
from shared.pipeline.prompts import prompt_allowance, sent_prompt_tokens
from shared.pipeline.query_reduce import CombineMeter, group_answers
from shared.pipeline.scope import JobScope
from shared.pipeline.steps import save_result, snapshot_contracts
from shared.text.tokens import encoding_for_model


class AnalyzedPart(BaseModel):
    """One part's validated answer with the model and usage that produced it (a job artifact)."""

    answer: PartAnswer
    model: str
    usage: Usage


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
    from shared.llm.outputs import PartOut
    from shared.llm.prompts import query_part_messages

    def measure(task: QueryPartTask) -> int:
        return sent_prompt_tokens(query_part_messages(task), PartOut, encoding)

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


def combine_meter(analyzer: Analyzer, request: QueryJobRequest, output_reserve: int) -> CombineMeter:
    """The exact combine budget: the room the planner gives a part (context minus output reserve)."""
    selection = request.modelSelection
    allowed = prompt_allowance(analyzer, selection, output_reserve)
    return CombineMeter(request.question, encoding_for_model(analyzer.model_name(selection)), allowed)


def _level_answer(store: Artifacts, level: int, index: int) -> AnalyzedPart:
    return store.get(names.query_answer(index) if level == 0 else names.query_node(level, index), AnalyzedPart)


def group(scope: JobScope, analyzer: Analyzer, level: int, count: int, output_reserve: int) -> QueryGrouped:
    """Group round `level`'s answers for the next round. Pure over stored answers, so a re-run groups alike."""
    request = request_of(scope)
    meter = combine_meter(analyzer, request, output_reserve)
    answers = [_level_answer(scope.artifacts, level, i).answer for i in range(count)]
    return QueryGrouped(groups=group_answers(meter, answers, level), allowed_tokens=meter.allowed)


def combine(scope: JobScope, analyzer: Analyzer, level: int, index: int, first: int, count: int) -> QueryCombined:
    """One combine call of the reduce tree: answers first .. first+count-1 of round level-1 become answer
    `index` of round `level`. A stored node is reused, not re-bought."""
    store = scope.artifacts
    done = store.find(names.query_node(level, index), AnalyzedPart)
    if done is not None:
        return _combined(done, note="already combined")
    children = [_level_answer(store, level - 1, first + i).answer for i in range(count)]
    if count > 1 and scope.is_cancelled():
        return QueryCombined(status="skipped", note=SKIPPED_CANCELLED)
    node, raw = combine_group(analyzer, request_of(scope), children, index)
    if raw:
        store.put_text(names.query_node_raw(level, index), raw)
    store.put(names.query_node(level, index), node)
    return _combined(node)


def _combined(node: AnalyzedPart, note: str = "") -> QueryCombined:
    return QueryCombined(
        citations=len(node.answer.citations), llm_call=bool(node.model), model=node.model, usage=node.usage, note=note
    )


def combine_group(
    analyzer: Analyzer, request: QueryJobRequest, children: Sequence[PartAnswer], index: int
) -> tuple[AnalyzedPart, str]:
    """Combine a group into one answer (and the call's raw output). A group of one passes through without a
    model call. The node keeps its children's merged per-contract answers: a later round's offline combine
    answers from them, and the LLM combine accepts only citations the children already verified."""
    if len(children) == 1:
        return AnalyzedPart(answer=children[0].model_copy(update={"part_index": index}), model="", usage=Usage()), ""
    reply = analyzer.combine(
        QueryCombineTask(question=request.question, parts=list(children), model_selection=request.modelSelection)
    )
    known = {pc.contract_id for child in children for pc in child.per_contract}
    node = PartAnswer(
        part_index=index,
        answer=reply.output.answer,
        citations=query.dedupe([c for c in reply.output.citations if c.contract_id in known]),
        per_contract=query.merge_per_contract(children, {}),
    )
    return AnalyzedPart(answer=node, model=reply.model, usage=reply.usage), reply.raw


def finish(scope: JobScope, levels: Sequence[int]) -> QueryFinished:
    """The query result from the reduce tree's root, with every call's usage; per-contract answers come from
    the parts themselves."""
    store = scope.artifacts
    done = store.find(names.QUERY_RESULT, QueryResult)
    if done is None:
        request = request_of(scope)
        parts = [store.get(names.query_answer(i), AnalyzedPart) for i in range(levels[0])]
        nodes = [
            store.get(names.query_node(lv, i), AnalyzedPart) for lv in range(1, len(levels)) for i in range(levels[lv])
        ]
        titles = {
            cid: store.get(names.contract_snapshot(cid), ContractForAnalysis).title for cid in request.contract_ids
        }
        done = build_result(request, parts, nodes, titles)
        store.put(names.QUERY_RESULT, done)
    return QueryFinished(citations=len(done.citations), rounds=len(levels) - 1, model=done.model, usage=done.usage)


def build_result(
    request: QueryJobRequest, parts: Sequence[AnalyzedPart], nodes: Sequence[AnalyzedPart], titles: dict[str, str]
) -> QueryResult:
    """The result: the root's answer (the single part's when nothing was combined), citations only of the set's
    contracts, per-contract answers merged from the parts, and the usage of every call."""
    answers = [p.answer for p in parts]
    root = nodes[-1].answer if nodes else answers[0]
    final = query.single_part_answer(root)
    calls: list[ModelCall] = [*parts, *nodes]
    usage, model = total_usage(calls)
    citations = query.dedupe([c for c in final.citations if c.contract_id in titles])
    return QueryResult(
        question=request.question,
        answer=final.answer,
        citations=citations,
        per_contract=query.merge_per_contract(answers, titles),
        model=model,
        usage=usage,
    )


def reduce_in_process(
    analyzer: Analyzer, request: QueryJobRequest, parts: Sequence[AnalyzedPart], output_reserve: int
) -> list[AnalyzedPart]:
    """The inline path's reduce: the same tree as a job's, round by round, in this process. Returns the combined
    nodes in round order (the last is the root; none for a single part)."""
    nodes: list[AnalyzedPart] = []
    level, answers = 0, [p.answer for p in parts]
    meter: CombineMeter | None = None
    while len(answers) > 1:
        meter = meter or combine_meter(analyzer, request, output_reserve)
        sizes = group_answers(meter, answers, level)
        starts = [sum(sizes[:g]) for g in range(len(sizes))]
        round_nodes = [
            combine_group(analyzer, request, answers[first : first + size], g)[0]
            for g, (first, size) in enumerate(zip(starts, sizes, strict=True))
        ]
        nodes.extend(round_nodes)
        level, answers = level + 1, [n.answer for n in round_nodes]
    return nodes


def save(scope: JobScope) -> ResultSaved:
    return save_result(scope, JobType.QUERY, scope.artifacts.get(names.QUERY_RESULT, QueryResult))
