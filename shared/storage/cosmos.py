"""The repository interfaces over Azure Cosmos DB (sync azure-cosmos SDK).

Containers (created once by `python -m shared.storage.setup`, never per request): `contracts`, `jobs`,
`analysis_results`, `job_artifacts` here, and the batch workflow's `documents`, `document_texts` (cosmos_documents),
`batches`, `model_answers` (cosmos_batches) and `batch_records` (cosmos_records), the model deployments'
budgets `llm_quota` (cosmos_quota) and model-call figures `llm_usage` (cosmos_usage_figures), all partitioned by
/user_id. Every read and query names the partition key, so another user's item is simply not there (NotFound). Job
updates use If-Match on `_etag`. Lists page with TOP and our keyset continuation tokens (shared/storage/common.py).
Contract bodies, results and artifacts that exceed one item are chunked (shared/storage/cosmos_chunks.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from azure.core import MatchConditions
from azure.cosmos import ContainerProxy, DatabaseProxy
from azure.cosmos.exceptions import (
    CosmosAccessConditionFailedError,
    CosmosResourceExistsError,
    CosmosResourceNotFoundError,
)

from shared.contracts.models import Contract, ContractSummary, summarize
from shared.errors import ConflictError, NotFoundError
from shared.jobs.document import Job, parse_job
from shared.jobs.models import JobStatus, JobType
from shared.jobs.results import AnalysisResult
from shared.storage.base import Page, Repositories, Versioned
from shared.storage.common import artifact_key, check_limit, contracts_not_found, iso, keyset_page
from shared.storage.cosmos_batches import BATCHES, MODEL_ANSWERS, CosmosAnswerRepository, CosmosBatchRepository
from shared.storage.cosmos_chunks import delete_chunks, read_with_retry, write_head
from shared.storage.cosmos_common import newest_keyset as _keyset
from shared.storage.cosmos_common import newest_position as _position
from shared.storage.cosmos_common import params as _params
from shared.storage.cosmos_common import strip as _strip
from shared.storage.cosmos_documents import DOCUMENT_TEXTS, DOCUMENTS, CosmosDocumentRepository
from shared.storage.cosmos_job_overview import CosmosJobOverview
from shared.storage.cosmos_quota import LLM_QUOTA, CosmosQuotaRepository
from shared.storage.cosmos_records import BATCH_RECORDS, CosmosRecordRepository
from shared.storage.cosmos_usage_figures import LLM_USAGE, CosmosUsageRepository

CONTRACTS = "contracts"
JOBS = "jobs"
RESULTS = "analysis_results"
ARTIFACTS = "job_artifacts"

CONTRACT_DOC_TYPE = "contract"


class CosmosContractRepository:
    _SUMMARY_FIELDS = "c.id, c.created_at, c.contract_id, c.title, c.filename, c.source_format, c.clause_count, " + (
        "c.token_count, c.char_count"
    )

    def __init__(self, container: ContainerProxy) -> None:
        self.container = container

    def add(self, contract: Contract) -> None:
        summary = {**summarize(contract).model_dump(mode="json"), "created_at": iso(contract.created_at)}
        head = {"id": contract.contract_id, "user_id": contract.user_id, "doc_type": CONTRACT_DOC_TYPE, **summary}
        body = contract.model_dump(mode="json", include={"text", "clauses"})
        try:
            write_head(self.container, head, body, create=True)
        except CosmosResourceExistsError as exc:
            raise ConflictError(f"contract {contract.contract_id!r} already exists") from exc

    def get(self, user_id: str, contract_id: str) -> Contract:
        head, body = read_with_retry(self.container, contract_id, user_id, f"contract {contract_id!r}")
        if head.get("doc_type") != CONTRACT_DOC_TYPE:
            raise NotFoundError(f"contract {contract_id!r} not found", details={"contract_id": contract_id})
        return Contract.model_validate({**_strip(head), **body, "user_id": user_id})

    def get_many(self, user_id: str, contract_ids: Sequence[str]) -> list[Contract]:
        missing = self.missing(user_id, contract_ids)
        if missing:
            raise contracts_not_found(missing)
        return [self.get(user_id, contract_id) for contract_id in contract_ids]

    def missing(self, user_id: str, contract_ids: Sequence[str]) -> list[str]:
        if not contract_ids:
            return []
        wanted = list(dict.fromkeys(contract_ids))
        found = set(
            self.container.query_items(
                "SELECT VALUE c.id FROM c WHERE c.user_id = @user_id AND c.doc_type = @doc_type"
                " AND ARRAY_CONTAINS(@ids, c.id)",
                parameters=_params(user_id=user_id, doc_type=CONTRACT_DOC_TYPE, ids=wanted),
                partition_key=user_id,
            )
        )
        return [contract_id for contract_id in wanted if contract_id not in found]

    def list(self, user_id: str, *, limit: int = 100, continuation: str | None = None) -> Page[ContractSummary]:
        check_limit(limit)
        params: dict[str, Any] = {"user_id": user_id, "doc_type": CONTRACT_DOC_TYPE, "top": limit + 1}
        sql = _keyset(
            f"SELECT TOP @top {self._SUMMARY_FIELDS} FROM c WHERE c.user_id = @user_id AND c.doc_type = @doc_type",
            params,
            continuation,
        )
        rows = list(
            self.container.query_items(
                sql + " ORDER BY c.created_at DESC, c.id DESC", parameters=_params(**params), partition_key=user_id
            )
        )
        return keyset_page(rows, limit, ContractSummary.model_validate, _position)

    def delete(self, user_id: str, contract_id: str) -> None:
        try:
            head = self.container.read_item(contract_id, partition_key=user_id)
            if head.get("doc_type") != CONTRACT_DOC_TYPE:
                raise CosmosResourceNotFoundError(message=f"{contract_id} is not a contract")
            self.container.delete_item(contract_id, partition_key=user_id)
        except CosmosResourceNotFoundError as exc:
            raise NotFoundError(f"contract {contract_id!r} not found", details={"contract_id": contract_id}) from exc
        delete_chunks(self.container, head)


class CosmosJobRepository(CosmosJobOverview):  # the operations summary's cross-user queries: cosmos_job_overview
    def __init__(self, container: ContainerProxy) -> None:
        self.container = container

    @staticmethod
    def _doc(job: Job) -> dict[str, Any]:
        doc = job.model_dump(mode="json")
        doc["id"] = job.job_id
        doc["created_at"] = iso(job.created_at)
        doc["progress"]["updated_at"] = iso(job.progress.updated_at)  # fixed width: string order is time order
        return doc

    def create(self, job: Job) -> None:
        try:
            self.container.create_item(self._doc(job))
        except CosmosResourceExistsError as exc:
            raise ConflictError(f"job {job.job_id!r} already exists", details={"job_id": job.job_id}) from exc

    def get(self, user_id: str, job_id: str) -> Versioned[Job]:
        try:
            doc = self.container.read_item(job_id, partition_key=user_id)
        except CosmosResourceNotFoundError as exc:
            raise NotFoundError(f"job {job_id!r} not found", details={"job_id": job_id}) from exc
        return Versioned(parse_job(_strip(doc)), doc["_etag"])

    def replace(self, job: Job, etag: str) -> str:
        try:
            doc = self.container.replace_item(
                job.job_id, self._doc(job), etag=etag, match_condition=MatchConditions.IfNotModified
            )
        except CosmosAccessConditionFailedError as exc:
            raise ConflictError(
                f"job {job.job_id!r} was changed by someone else (etag {etag!r} is stale)",
                details={"job_id": job.job_id, "etag": etag},
            ) from exc
        except CosmosResourceNotFoundError as exc:
            raise NotFoundError(f"job {job.job_id!r} not found", details={"job_id": job.job_id}) from exc
        return str(doc["_etag"])

    def query(
        self,
        user_id: str,
        *,
        statuses: Sequence[JobStatus] | None = None,
        job_type: JobType | None = None,
        limit: int = 50,
        continuation: str | None = None,
    ) -> Page[Job]:
        check_limit(limit)
        params: dict[str, Any] = {"user_id": user_id, "top": limit + 1}
        sql = "SELECT TOP @top * FROM c WHERE c.user_id = @user_id"
        if statuses:
            params["statuses"] = [JobStatus(s).value for s in statuses]
            sql += " AND ARRAY_CONTAINS(@statuses, c.status)"
        if job_type is not None:
            params["job_type"] = JobType(job_type).value
            sql += " AND c.job_type = @job_type"
        sql = _keyset(sql, params, continuation)
        rows = list(
            self.container.query_items(
                sql + " ORDER BY c.created_at DESC, c.id DESC", parameters=_params(**params), partition_key=user_id
            )
        )
        return keyset_page(rows, limit, lambda row: parse_job(_strip(row)), _position)

    def changed_since(self, user_id: str, since: datetime, *, limit: int = 100) -> list[Job]:
        check_limit(limit)
        rows = self.container.query_items(
            "SELECT TOP @top * FROM c WHERE c.user_id = @user_id AND c.progress.updated_at > @since"
            " ORDER BY c.progress.updated_at",
            parameters=_params(user_id=user_id, since=iso(since), top=limit),
            partition_key=user_id,
        )
        return [parse_job(_strip(row)) for row in rows]

    def counts(self, user_id: str) -> dict[str, int]:
        # No GROUP BY (the test server lacks it, and per-status COUNTs within one partition are cheap index scans).
        counts: dict[str, int] = {}
        for status in JobStatus:
            values: list[Any] = list(
                self.container.query_items(
                    "SELECT VALUE COUNT(1) FROM c WHERE c.user_id = @user_id AND c.status = @status",
                    parameters=_params(user_id=user_id, status=status.value),
                    partition_key=user_id,
                )
            )
            counts[status.value] = int(values[0]) if values else 0
        return counts


class CosmosResultRepository:
    def __init__(self, container: ContainerProxy) -> None:
        self.container = container

    def save(self, result: AnalysisResult) -> None:
        doc = result.model_dump(mode="json")
        head = {key: value for key, value in doc.items() if key != "result"}
        head.update(id=result.result_id, created_at=iso(result.created_at), doc_type="result")
        if result.ttl is None:
            head.pop("ttl")  # no ttl field: the item inherits the container default (-1: never expires)
        previous = self._head(result.user_id, result.result_id)
        write_head(self.container, head, {"result": doc["result"]}, create=False, previous=previous)

    def _head(self, user_id: str, result_id: str) -> dict[str, Any] | None:
        try:
            head: dict[str, Any] = self.container.read_item(result_id, partition_key=user_id)
        except CosmosResourceNotFoundError:
            return None
        return head

    def get(self, user_id: str, result_id: str) -> AnalysisResult:
        head, body = read_with_retry(self.container, result_id, user_id, f"result {result_id!r}")
        fields = {key: value for key, value in _strip(head).items() if key not in ("body", "chunks", "doc_type")}
        return AnalysisResult.model_validate({**fields, "ttl": head.get("ttl"), **body})


class CosmosArtifactRepository:
    def __init__(self, container: ContainerProxy, *, default_ttl: int) -> None:
        self.container = container
        self._default_ttl = default_ttl

    def put(self, user_id: str, job_id: str, name: str, content: str, *, ttl: int | None = None) -> None:
        item_id = artifact_key(job_id, name)
        head = {
            "id": item_id,
            "user_id": user_id,
            "doc_type": "artifact",
            "job_id": job_id,
            "name": name,
            "ttl": self._default_ttl if ttl is None else ttl,
        }
        try:
            previous: dict[str, Any] | None = self.container.read_item(item_id, partition_key=user_id)
        except CosmosResourceNotFoundError:
            previous = None
        write_head(self.container, head, {"content": content}, create=False, previous=previous)

    def get(self, user_id: str, job_id: str, name: str) -> str:
        what = f"artifact {name!r} of job {job_id!r}"
        head, body = read_with_retry(self.container, artifact_key(job_id, name), user_id, what)
        if head.get("name") != name:
            raise NotFoundError(f"{what} not found", details={"job_id": job_id, "name": name})
        return str(body["content"])


def cosmos_repositories(database: DatabaseProxy, *, job_ttl_seconds: int = 604_800) -> Repositories:
    """Repositories over existing containers (get_container_client makes no request: nothing is created here)."""
    return Repositories(
        contracts=CosmosContractRepository(database.get_container_client(CONTRACTS)),
        jobs=CosmosJobRepository(database.get_container_client(JOBS)),
        results=CosmosResultRepository(database.get_container_client(RESULTS)),
        artifacts=CosmosArtifactRepository(database.get_container_client(ARTIFACTS), default_ttl=job_ttl_seconds),
        documents=CosmosDocumentRepository(
            database.get_container_client(DOCUMENTS), database.get_container_client(DOCUMENT_TEXTS)
        ),
        batches=CosmosBatchRepository(database.get_container_client(BATCHES)),
        records=CosmosRecordRepository(database.get_container_client(BATCH_RECORDS)),
        answers=CosmosAnswerRepository(database.get_container_client(MODEL_ANSWERS)),
        quota=CosmosQuotaRepository(database.get_container_client(LLM_QUOTA)),
        usage=CosmosUsageRepository(database.get_container_client(LLM_USAGE)),
        backend="cosmos",
    )
