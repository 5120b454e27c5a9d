"""The seed's endpoints, request and response shapes unchanged for the existing frontend.

`POST /api/compare-contracts` runs small comparisons inline and turns big ones (>= 3 contracts, or `forceBatch`)
into a background job. `POST /api/query_contracts` does the same by size: batch when `forceBatch`, or when the
client's `estimatedTokens` or our own exact count exceeds QUERY_BATCH_TOKEN_THRESHOLD. `userEmail` in old
bodies is accepted and ignored: the caller is the signed-in principal.
"""

from typing import Literal

import azure.durable_functions as df
from azurefunctions.extensions.http.fastapi import Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.http import blocking, handle, json_response, read_model
from shared.analysis.factory import get_analyzer
from shared.comparison.inline import run_comparison_inline
from shared.comparison.models import ComparisonResult
from shared.comparison.request import ComparisonJobRequest
from shared.contracts.analysis import load_contracts
from shared.identity import Caller
from shared.jobs.document import Job
from shared.jobs.models import JobStatus, JobType
from shared.jobs.submission import ensure_contracts_owned, submit_job
from shared.json_types import JsonBool, JsonInt
from shared.query.inline import answer_query, query_prompt_tokens
from shared.query.models import QueryResult
from shared.query.request import QueryJobRequest
from shared.settings import get_settings
from shared.storage.factory import get_repositories

bp = df.Blueprint()

# The seed's rule: from three compared contracts on, a comparison runs in the background.
BATCH_MIN_CONTRACTS = 3
LEGACY_ONLY_FIELDS = {"userEmail", "forceBatch", "estimatedTokens", "priority"}


class LegacyCompareRequest(ComparisonJobRequest):
    model_config = ConfigDict(extra="forbid")

    userEmail: str | None = None  # accepted and ignored: identity comes from the principal
    forceBatch: JsonBool = False
    priority: JsonInt = Field(default=5, ge=1, le=10)


class LegacyQueryRequest(QueryJobRequest):
    model_config = ConfigDict(extra="forbid")

    userEmail: str | None = None
    forceBatch: JsonBool = False
    estimatedTokens: JsonInt | None = Field(default=None, ge=0)
    priority: JsonInt = Field(default=5, ge=1, le=10)


class LegacyBatchAccepted(BaseModel):
    """The seed's 202 for a request that became a background job."""

    success: Literal[True] = True
    batch_mode: Literal[True] = True
    job_id: str
    message: str
    status: JobStatus = JobStatus.QUEUED  # what was accepted; the orchestration may already have moved it on


class LegacyQueryAccepted(LegacyBatchAccepted):
    """The 202 of POST /api/query_contracts, with the prompt tokens that sent it to the background."""

    estimated_tokens: int


class LegacyComparisonAnswer(BaseModel):
    """The 200 of POST /api/compare-contracts run inline."""

    success: Literal[True] = True
    standardContractId: str
    compareContractIds: list[str]
    comparisonMode: Literal["full", "clauses"]
    results: ComparisonResult


class LegacyQueryAnswer(BaseModel):
    """The 200 of POST /api/query_contracts answered inline."""

    success: Literal[True] = True
    question: str
    contract_ids: list[str]
    estimated_tokens: int
    results: QueryResult


def batch_accepted(kind: str, job: Job, estimated_tokens: int | None = None) -> Response:
    message = f"{kind} job submitted successfully. Job ID: {job.job_id}"
    body = (
        LegacyBatchAccepted(job_id=job.job_id, message=message)
        if estimated_tokens is None
        else LegacyQueryAccepted(job_id=job.job_id, message=message, estimated_tokens=estimated_tokens)
    )
    return json_response(body, 202)


@bp.route(route="compare-contracts", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def compare_contracts(req: Request, client: df.DurableOrchestrationClient) -> Response:
    async def impl(req: Request, caller: Caller) -> Response:
        body = await read_model(req, LegacyCompareRequest)
        request = ComparisonJobRequest.model_validate(body.model_dump(exclude=LEGACY_ONLY_FIELDS))
        repos = get_repositories()
        if body.forceBatch or len(request.compareContractIds) >= BATCH_MIN_CONTRACTS:
            job = await submit_job(client, repos, caller.user_id, JobType.COMPARISON, request, priority=body.priority)
            return batch_accepted("Comparison", job)
        await blocking(
            ensure_contracts_owned, repos, caller.user_id, [request.standardContractId, *request.compareContractIds]
        )
        reserve = get_settings().llm_max_output_tokens
        result = await blocking(run_comparison_inline, repos, get_analyzer(), caller.user_id, request, reserve)
        return json_response(
            LegacyComparisonAnswer(
                standardContractId=request.standardContractId,
                compareContractIds=request.compareContractIds,
                comparisonMode=request.comparisonMode,
                results=result,
            )
        )

    return await handle(req, impl)


@bp.route(route="query_contracts", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def query_contracts(req: Request, client: df.DurableOrchestrationClient) -> Response:
    async def impl(req: Request, caller: Caller) -> Response:
        body = await read_model(req, LegacyQueryRequest)
        request = QueryJobRequest.model_validate(body.model_dump(exclude=LEGACY_ONLY_FIELDS))
        repos = get_repositories()
        await blocking(ensure_contracts_owned, repos, caller.user_id, request.contract_ids)
        # Read once: the estimate and an inline run both use these.
        contracts = await blocking(load_contracts, repos.contracts, caller.user_id, request.contract_ids)
        # Our own count is exact (same tokenizer as the planner); the client's estimate can only add caution.
        estimated = await blocking(query_prompt_tokens, request.question, contracts)
        threshold = get_settings().query_batch_token_threshold
        client_estimate = body.estimatedTokens or 0
        if body.forceBatch or client_estimate > threshold or estimated > threshold:
            job = await submit_job(client, repos, caller.user_id, JobType.QUERY, request, priority=body.priority)
            return batch_accepted("Query", job, estimated_tokens=max(estimated, client_estimate))
        reserve = get_settings().llm_max_output_tokens
        result = await blocking(answer_query, get_analyzer(), request, contracts, reserve)
        return json_response(
            LegacyQueryAnswer(
                question=request.question, contract_ids=request.contract_ids, estimated_tokens=estimated, results=result
            )
        )

    return await handle(req, impl)
