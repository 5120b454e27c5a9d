"""What the steps of every workflow share: snapshotting the job's contracts and saving its result."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from shared.contracts.analysis import ContractForAnalysis, load_contracts, to_analysis
from shared.jobs.artifacts import contract_snapshot
from shared.jobs.models import JobType
from shared.jobs.results import AnalysisResult, result_id_for
from shared.jobs.scope import JobScope


def snapshot_contracts(scope: JobScope, contract_ids: Sequence[str]) -> None:
    """Store each contract as read now, so a contract edited or deleted later cannot change the job."""
    contracts = load_contracts(scope.repos.contracts, scope.user_id, contract_ids)
    store = scope.artifacts
    for contract in contracts:
        store.put(contract_snapshot(contract.contract_id), to_analysis(contract))


def snapshots(scope: JobScope, contract_ids: Sequence[str]) -> list[ContractForAnalysis]:
    """The contracts as the job's retrieve step stored them, in the order asked."""
    store = scope.artifacts
    return [store.get(contract_snapshot(cid), ContractForAnalysis) for cid in contract_ids]


def save_result(scope: JobScope, job_type: JobType, result: BaseModel) -> str:
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
    return result_id
