"""What the comparison and query steps share: snapshotting the job's contracts and saving its result."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from shared.models.analysis import AnalysisResult
from shared.models.jobs import JobType
from shared.pipeline import artifacts as names
from shared.pipeline.contracts import contract_ref, load_contracts, to_analysis
from shared.pipeline.messages import ContractRef, ResultSaved
from shared.pipeline.scope import JobScope, result_id_for


def snapshot_contracts(scope: JobScope, contract_ids: Sequence[str]) -> list[ContractRef]:
    """Store each contract as read now, so a contract edited or deleted later cannot change the job; returns
    the small refs that cross history, in the order asked."""
    contracts = load_contracts(scope.repos.contracts, scope.user_id, contract_ids)
    store = scope.artifacts
    for contract in contracts:
        store.put(names.contract_snapshot(contract.contract_id), to_analysis(contract))
    return [contract_ref(c) for c in contracts]


def save_result(scope: JobScope, job_type: JobType, result: BaseModel) -> ResultSaved:
    """Upsert the job's result under its deterministic id (a save that runs twice writes the same item)."""
    result_id = result_id_for(scope.job_id)
    scope.repos.results.save(
        AnalysisResult(
            result_id=result_id,
            job_id=scope.job_id,
            user_id=scope.user_id,
            job_type=job_type,
            result=result.model_dump(mode="json"),
            ttl=scope.ttl,
        )
    )
    return ResultSaved(result_id=result_id)
