"""The query job's steps over job artifacts: retrieve (in chunks), plan, answer one part, group and combine
(the reduce tree), finish, save.

Each step records the progress the job has when it ends (see shared/jobs/progress.py) and returns a small outcome
for orchestration history. Safe to run twice: deterministic artifact names, upserts, and stored model answers are
reused, not re-bought.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.analysis.base import Analyzer
from shared.jobs.artifacts import Artifacts
from shared.jobs.messages import Outcome, ResultSaved
from shared.jobs.models import JobType, ProcessingStep
from shared.jobs.progress import saving
from shared.jobs.scope import JobScope
from shared.jobs.steps import save_result, snapshot_contracts, snapshots
from shared.query import answers, progress
from shared.query import artifacts as names
from shared.query.messages import QueryGrouped, QueryPlanned
from shared.query.models import AnalyzedPart, QueryPartTask, QueryResult
from shared.query.plan import plan_for
from shared.query.reduce import combine_meter, group_answers
from shared.query.request import QueryJobRequest


def retrieve_chunk(scope: JobScope, contract_ids: Sequence[str], total: int) -> Outcome:
    """Snapshot a chunk of the set; the last chunk in moves the job on to planning."""
    snapshot_contracts(scope, contract_ids)
    done = scope.advance(
        ProcessingStep.RETRIEVING_DATA,
        total,
        progress.retrieving,
        weight=len(contract_ids),
        after=lambda: progress.planning(total),
    )
    return Outcome(progress=done)


def plan(scope: JobScope, analyzer: Analyzer, output_reserve: int) -> QueryPlanned:
    request = scope.request(QueryJobRequest)
    _, parts = plan_for(analyzer, request, snapshots(scope, request.contract_ids), output_reserve)
    store = scope.artifacts
    for part in parts:
        store.put(names.part(part.part_index), part)
    return QueryPlanned(parts=len(parts), progress=scope.report(progress.answering(0, len(parts))))


def answer_part(scope: JobScope, analyzer: Analyzer, part_index: int, parts_total: int) -> Outcome:
    store = scope.artifacts
    if store.find(names.answer(part_index), AnalyzedPart) is not None:
        return Outcome()  # a re-run after a crash: answered (and counted) already, not bought again
    if scope.is_cancelled():
        return Outcome(status="skipped")
    task = store.get(names.part(part_index), QueryPartTask)
    reply = analyzer.answer_part(task)
    store.keep_text(names.raw(part_index), reply.raw)  # paid for: kept through store blips
    analyzed = AnalyzedPart(answer=answers.validate_part(task, reply.output), model=reply.model, usage=reply.usage)
    store.keep(names.answer(part_index), analyzed)
    done = scope.advance(
        ProcessingStep.CALLING_LLM,
        parts_total,
        progress.answering,
        after=lambda: progress.after_answers(parts_total),
    )
    return Outcome(progress=done)


def _level_answer(store: Artifacts, level: int, index: int) -> AnalyzedPart:
    return store.get(names.answer(index) if level == 0 else names.node(level, index), AnalyzedPart)


def group(scope: JobScope, analyzer: Analyzer, level: int, count: int, output_reserve: int) -> QueryGrouped:
    """Group round `level`'s answers for the next round. Pure over stored answers, so a re-run groups alike."""
    meter = combine_meter(analyzer, scope.request(QueryJobRequest), output_reserve)
    level_answers = [_level_answer(scope.artifacts, level, i).answer for i in range(count)]
    groups = group_answers(meter, level_answers, level)
    return QueryGrouped(groups=groups, progress=scope.report(progress.combining(level + 1, 0, count)))


def combine(
    scope: JobScope, analyzer: Analyzer, level: int, index: int, first: int, count: int, round_total: int
) -> Outcome:
    """One combine call of the reduce tree: answers first .. first+count-1 of round level-1 become answer
    `index` of round `level`. A stored node is reused, not re-bought."""
    store = scope.artifacts
    if store.find(names.node(level, index), AnalyzedPart) is not None:
        return Outcome()
    children = [_level_answer(store, level - 1, first + i).answer for i in range(count)]
    if count > 1 and scope.is_cancelled():
        return Outcome(status="skipped")
    node, raw = answers.combine_group(analyzer, scope.request(QueryJobRequest), children, index)
    if raw:
        store.keep_text(names.node_raw(level, index), raw)  # paid for: kept through store blips
    store.keep(names.node(level, index), node)
    done = scope.advance(
        ProcessingStep.PROCESSING_RESULTS,
        round_total,
        lambda d, t: progress.combining(level, d, t),
        weight=count,
    )
    return Outcome(progress=done)


def finish(scope: JobScope, levels: Sequence[int]) -> Outcome:
    """The query result from the reduce tree's root, with every call's usage; per-contract answers come from
    the parts themselves."""
    store = scope.artifacts
    if store.find(names.RESULT, QueryResult) is None:
        request = scope.request(QueryJobRequest)
        parts = [store.get(names.answer(i), AnalyzedPart) for i in range(levels[0])]
        nodes = [store.get(names.node(lv, i), AnalyzedPart) for lv in range(1, len(levels)) for i in range(levels[lv])]
        titles = {c.contract_id: c.title for c in snapshots(scope, request.contract_ids)}
        store.put(names.RESULT, answers.build_result(request, parts, nodes, titles))
    return Outcome(progress=scope.report(saving()))


def save(scope: JobScope) -> ResultSaved:
    result = scope.artifacts.get(names.RESULT, QueryResult)
    return ResultSaved(result_id=save_result(scope, JobType.QUERY, result))
