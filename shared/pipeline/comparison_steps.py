"""The comparison job's steps over job artifacts: retrieve, prompt, compare one contract, enhance, save.

Each step reads what the previous one stored and returns a small summary for orchestration history. Each is safe
to run twice: artifact names are deterministic, stores upsert, and a compared contract whose findings are already
stored is not sent to the model again.
"""

from __future__ import annotations

from shared.analysis.base import Analyzer
from shared.models.analysis import ComparisonResult, ComparisonTask, ContractForAnalysis
from shared.models.jobs import ComparisonJobRequest, JobType
from shared.pipeline import artifacts as names
from shared.pipeline import comparison
from shared.pipeline.messages import (
    SKIPPED_CANCELLED,
    ComparisonEnhanced,
    ComparisonPrompted,
    ComparisonRetrieved,
    ItemAnalyzed,
    ResultSaved,
)
from shared.pipeline.scope import JobScope
from shared.pipeline.steps import save_result, snapshot_contracts


def request_of(scope: JobScope) -> ComparisonJobRequest:
    return ComparisonJobRequest.model_validate(scope.job().request)


def retrieve(scope: JobScope) -> ComparisonRetrieved:
    """Snapshot the standard and every compared contract: a contract deleted later cannot change the job."""
    request = request_of(scope)
    refs = snapshot_contracts(scope, [request.standardContractId, *request.compareContractIds])
    return ComparisonRetrieved(standard=refs[0], compared=refs[1:], note=f"{len(refs)} contracts read")


def prompt(scope: JobScope, analyzer: Analyzer, output_reserve: int) -> ComparisonPrompted:
    """One task per compared contract. Every pair's prompt is counted here, where all of them are at hand: a
    pair that cannot fit the model fails the job before any model call (ComparisonTooLarge)."""
    request = request_of(scope)
    store = scope.artifacts
    standard = store.get(names.contract_snapshot(request.standardContractId), ContractForAnalysis)
    compared = [store.get(names.contract_snapshot(cid), ContractForAnalysis) for cid in request.compareContractIds]
    tasks = comparison.build_tasks(request, standard, compared)
    comparison.check_prompts_fit(analyzer, tasks, output_reserve)
    for task in tasks:
        store.put(names.comparison_task(task.compared.contract_id), task)
    return ComparisonPrompted(contract_ids=list(request.compareContractIds))


def compare_one(scope: JobScope, analyzer: Analyzer, contract_id: str) -> ItemAnalyzed:
    store = scope.artifacts
    done = store.find(names.comparison_output(contract_id), comparison.AnalyzedComparison)
    if done is not None:  # a re-run after a crash: the model already answered, do not pay for it twice
        return _summary(contract_id, done, note="already analyzed")
    if scope.is_cancelled():
        return ItemAnalyzed(status="skipped", item=contract_id, note=SKIPPED_CANCELLED)
    task = store.get(names.comparison_task(contract_id), ComparisonTask)
    reply = analyzer.compare(task)
    store.put_text(names.comparison_raw(contract_id), reply.raw)
    item = comparison.AnalyzedComparison(
        comparison=comparison.validate_item(task, reply.output), model=reply.model, usage=reply.usage
    )
    store.put(names.comparison_output(contract_id), item)
    return _summary(contract_id, item)


def _summary(contract_id: str, item: comparison.AnalyzedComparison, note: str = "") -> ItemAnalyzed:
    return ItemAnalyzed(
        item=contract_id, model=item.model, usage=item.usage, counts=comparison.counts(item.comparison), note=note
    )


def enhance(scope: JobScope) -> ComparisonEnhanced:
    request = request_of(scope)
    store = scope.artifacts
    items = [
        store.get(names.comparison_output(cid), comparison.AnalyzedComparison) for cid in request.compareContractIds
    ]
    result = comparison.enhance(request.standardContractId, items)
    store.put(names.COMPARISON_RESULT, result)
    deviations, high = comparison.deviation_counts(result)
    return ComparisonEnhanced(contracts=len(items), deviations=deviations, high_severity=high)


def save(scope: JobScope) -> ResultSaved:
    return save_result(scope, JobType.COMPARISON, scope.artifacts.get(names.COMPARISON_RESULT, ComparisonResult))
