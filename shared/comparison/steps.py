"""The comparison job's steps over job artifacts: retrieve, prompt, compare one contract, enhance, save.

Each step reads what the previous one stored, records the progress the job has when it ends (the next step's
start, or one more contract compared) and returns a small outcome for orchestration history. Each is safe to run
twice: artifact names are deterministic, stores upsert, and a compared contract whose findings are already stored
is not sent to the model again.
"""

from __future__ import annotations

from shared.analysis.base import Analyzer
from shared.comparison import artifacts as names
from shared.comparison import findings, progress
from shared.comparison.models import AnalyzedComparison, ComparisonResult, ComparisonTask
from shared.comparison.request import ComparisonJobRequest
from shared.jobs.messages import Outcome, ResultSaved
from shared.jobs.models import JobType, ProcessingStep
from shared.jobs.progress import saving
from shared.jobs.scope import JobScope
from shared.jobs.steps import save_result, snapshot_contracts, snapshots


def retrieve(scope: JobScope) -> Outcome:
    """Snapshot the standard and every compared contract: a contract deleted later cannot change the job."""
    request = scope.request(ComparisonJobRequest)
    snapshot_contracts(scope, request.contract_ids_touched())
    return Outcome(progress=scope.report(progress.prompting(len(request.compareContractIds))))


def prompt(scope: JobScope, analyzer: Analyzer, output_reserve: int) -> Outcome:
    """One task per compared contract. Every pair's prompt is counted here, where all of them are at hand: a
    pair that cannot fit the model fails the job before any model call (ComparisonTooLarge)."""
    request = scope.request(ComparisonJobRequest)
    standard, *compared = snapshots(scope, request.contract_ids_touched())
    tasks = findings.build_tasks(request, standard, compared)
    findings.check_prompts_fit(analyzer, tasks, output_reserve)
    store = scope.artifacts
    for task in tasks:
        store.put(names.of_contract("task", task.compared.contract_id), task)
    return Outcome(progress=scope.report(progress.comparing(0, len(tasks))))


def compare_one(scope: JobScope, analyzer: Analyzer, contract_id: str, total: int) -> Outcome:
    store = scope.artifacts
    if store.find(names.of_contract("output", contract_id), AnalyzedComparison) is not None:
        # A re-run after a crash: the model already answered (do not pay twice), and that run counted it.
        return Outcome()
    if scope.is_cancelled():
        return Outcome(status="skipped")
    task = store.get(names.of_contract("task", contract_id), ComparisonTask)
    reply = analyzer.compare(task)
    store.keep_text(names.of_contract("raw", contract_id), reply.raw)  # paid for: kept through store blips
    item = AnalyzedComparison(
        comparison=findings.validate_item(task, reply.output), model=reply.model, usage=reply.usage
    )
    store.keep(names.of_contract("output", contract_id), item)
    done = scope.advance(
        ProcessingStep.CALLING_LLM, total, progress.comparing, after=lambda: progress.processing(total)
    )
    return Outcome(progress=done)


def enhance(scope: JobScope) -> Outcome:
    request = scope.request(ComparisonJobRequest)
    store = scope.artifacts
    items = [store.get(names.of_contract("output", cid), AnalyzedComparison) for cid in request.compareContractIds]
    [standard] = snapshots(scope, [request.standardContractId])
    store.put(names.RESULT, findings.enhance(standard, items))
    return Outcome(progress=scope.report(saving()))


def save(scope: JobScope) -> ResultSaved:
    result = scope.artifacts.get(names.RESULT, ComparisonResult)
    return ResultSaved(result_id=save_result(scope, JobType.COMPARISON, result))
