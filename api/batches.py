"""Batches API (the DocumentEvaluator workflow): create, list, read and edit batches; stage, reprocess, run and
cancel them; read their response records; export them as CSV or JSON Lines.

Every batch is its owner's: another user's id is a 404, like an unknown one. Jobs start through
shared/batches/jobs.py (bad input or a status that does not allow the step creates nothing: 422 / 409) and answer
202 with the job, as every starter does. What is shown: api/batch_views.py; exports: api/batch_exports.py;
reprocess-staging's answer: shared/batches/staging_answer.py.
"""

from __future__ import annotations

import json
from typing import Any

import azure.durable_functions as df
from azurefunctions.extensions.http.fastapi import Request, Response

from api import batch_views as views
from api.batch_exports import export_response
from api.http import (
    MalformedJson,
    api_url,
    blocking,
    error_response,
    handle,
    json_response,
    page_size,
    parse_model,
    path_param,
    read_body,
    read_json,
)
from api.jobs import accepted
from shared.batches.jobs import batch_job, running_job, start_batch_job
from shared.batches.models import Batch, BatchConfig
from shared.batches.patterns import client_config
from shared.batches.request import EvaluationJobRequest, RunBatch, StagingJobRequest
from shared.batches.service import BatchService
from shared.batches.staging_answer import StagingFailed, seed_answer
from shared.identity import Caller
from shared.jobs import cancellation
from shared.jobs.models import JobType
from shared.jobs.service import job_service
from shared.jobs.waiting import wait_for_end
from shared.limits import ensure_batch_fits
from shared.settings import get_settings
from shared.storage.factory import get_repositories

bp = df.Blueprint()

DEFAULT_LIST_LIMIT = 50
MAX_LIST_LIMIT = 100
DEFAULT_RESPONSES_LIMIT = 100
MAX_RESPONSES_LIMIT = 1000


def batches() -> BatchService:
    repos = get_repositories()
    return BatchService(repos.batches, documents=repos.documents)  # a config's folders are checked against them


async def owned_batch(req: Request, caller: Caller) -> Batch:
    return await blocking(batches().get, caller.user_id, path_param(req, "batch_id"))


async def detail_response(req: Request, batch: Batch, status: int = 200) -> Response:
    counts = await blocking(get_repositories().records.counts, batch.user_id, batch.batch_id)
    job = await blocking(batch_job, job_service(), batch)
    return json_response(views.detail(req, batch, counts, job), status)


# --- create, list, read, edit ----------------------------------------------------------------------------


@bp.route(route="batches", methods=["POST"])
async def create_batch(req: Request) -> Response:
    async def impl(req: Request, caller: Caller) -> Response:
        # Every `checks` pattern is compiled with RE2 now: one RE2 cannot run is a 422 naming the check and why.
        config = parse_model(BatchConfig, await read_json(req), client_config())
        await blocking(ensure_batch_fits, get_repositories(), caller.user_id, config.folders, len(config.prompts))
        batch = await blocking(batches().create, caller.user_id, config)
        body = views.BatchCreated(batch_id=batch.batch_id, status=batch.status)
        return json_response(body, 201, {"Location": api_url(req, f"batches/{batch.batch_id}")})

    return await handle(req, impl)


@bp.route(route="batches", methods=["GET"])
async def list_batches(req: Request) -> Response:
    async def impl(req: Request, caller: Caller) -> Response:
        limit = page_size(req, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT)
        continuation = req.query_params.get("continuation") or None
        page = await blocking(batches().list_batches, caller.user_id, limit=limit, continuation=continuation)
        return json_response(
            views.BatchList(batches=[views.summary(b) for b in page.items], continuation=page.continuation)
        )

    return await handle(req, impl)


@bp.route(route="batches/{batch_id}", methods=["GET"])
async def get_batch(req: Request) -> Response:
    async def impl(req: Request, caller: Caller) -> Response:
        return await detail_response(req, await owned_batch(req, caller))

    return await handle(req, impl)


@bp.route(route="batches/{batch_id}", methods=["PUT"])
async def update_batch(req: Request) -> Response:
    async def impl(req: Request, caller: Caller) -> Response:
        batch_id = path_param(req, "batch_id")
        # Every `checks` pattern is compiled with RE2 now: one RE2 cannot run is a 422 naming the check and why.
        config = parse_model(BatchConfig, await read_json(req), client_config())
        await blocking(ensure_batch_fits, get_repositories(), caller.user_id, config.folders, len(config.prompts))
        # 404 before 409 (another user's batch), then the status check inside the ETag write: 409 while it runs.
        batch = await blocking(batches().update_config, caller.user_id, batch_id, config)
        return await detail_response(req, batch)

    return await handle(req, impl)


# --- jobs: stage, reprocess, run, cancel -----------------------------------------------------------------


@bp.route(route="batches/{batch_id}/stage", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def stage_batch(req: Request, client: df.DurableOrchestrationClient) -> Response:
    async def impl(req: Request, caller: Caller) -> Response:
        batch = await owned_batch(req, caller)
        request = StagingJobRequest(batch_id=batch.batch_id)
        job = await start_batch_job(client, get_repositories(), job_service(), batch, JobType.BATCH_STAGING, request)
        return accepted(req, job)

    return await handle(req, impl)


@bp.route(route="batches/{batch_id}/reprocess-staging", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def reprocess_batch_staging(req: Request, client: df.DurableOrchestrationClient) -> Response:
    async def impl(req: Request, caller: Caller) -> Response:
        batch = await owned_batch(req, caller)
        request = StagingJobRequest(batch_id=batch.batch_id, reprocess=True)
        job = await start_batch_job(client, get_repositories(), job_service(), batch, JobType.BATCH_STAGING, request)
        ended = await wait_for_end(job_service(), job, get_settings().batch_sync_wait_seconds)
        if not ended.status.is_terminal:
            return accepted(req, ended)
        try:
            answer = await blocking(seed_answer, get_repositories().results, ended)
        except StagingFailed as exc:
            details = {**exc.details, "statusQueryGetUri": api_url(req, f"jobs/{ended.job_id}/status")}
            return error_response(500, exc.code, exc.message, details)
        return json_response(answer)

    return await handle(req, impl)


async def optional_json(req: Request) -> Any:
    """The JSON body, or {} when there is none (a body is optional for run)."""
    raw = await read_body(req)
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedJson(f"request body is not valid JSON: {exc}") from exc


@bp.route(route="batches/{batch_id}/run", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def run_batch(req: Request, client: df.DurableOrchestrationClient) -> Response:
    async def impl(req: Request, caller: Caller) -> Response:
        batch = await owned_batch(req, caller)
        # mode "economy" (the Batch API) needs an LLM provider that has one: the starter checks (422 otherwise).
        body = parse_model(RunBatch, await optional_json(req))
        request = EvaluationJobRequest(batch_id=batch.batch_id, mode=body.mode)
        job = await start_batch_job(
            client, get_repositories(), job_service(), batch, JobType.BATCH_EVALUATION, request, body.priority
        )
        return accepted(req, job)

    return await handle(req, impl)


@bp.route(route="batches/{batch_id}/cancel", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def cancel_batch(req: Request, client: df.DurableOrchestrationClient) -> Response:
    async def impl(req: Request, caller: Caller) -> Response:
        batch = await owned_batch(req, caller)
        running = await blocking(running_job, job_service(), batch)
        job = await cancellation.cancel_job(client, job_service(), caller.user_id, running.job_id)
        body = views.BatchCancelAccepted(
            batch_id=batch.batch_id,
            job_id=job.job_id,
            job_type=job.job_type,
            status=job.status,
            message=f"Batch {batch.batch_id}: {job.job_type.value} job {job.job_id} cancelled",
            statusQueryGetUri=api_url(req, f"jobs/{job.job_id}/status"),
            batchGetUri=api_url(req, f"batches/{batch.batch_id}"),
        )
        return json_response(body, 202)

    return await handle(req, impl)


# --- records and exports ---------------------------------------------------------------------------------


@bp.route(route="batches/{batch_id}/responses", methods=["GET"])
async def list_batch_responses(req: Request) -> Response:
    async def impl(req: Request, caller: Caller) -> Response:
        statuses = views.parse_record_statuses(req.query_params.get("status"))
        limit = page_size(req, DEFAULT_RESPONSES_LIMIT, MAX_RESPONSES_LIMIT)
        continuation = req.query_params.get("continuation") or None
        batch = await owned_batch(req, caller)
        page = await blocking(
            get_repositories().records.query,
            caller.user_id,
            batch.batch_id,
            statuses=statuses,
            limit=limit,
            continuation=continuation,
        )
        return json_response(
            views.RecordList(responses=[views.record(r) for r in page.items], continuation=page.continuation)
        )

    return await handle(req, impl)


@bp.route(route="batches/{batch_id}/export.csv", methods=["GET"])
async def export_batch_csv(req: Request) -> Response:
    async def impl(req: Request, caller: Caller) -> Response:
        return export_response(get_repositories().records, await owned_batch(req, caller), "csv")

    return await handle(req, impl)


@bp.route(route="batches/{batch_id}/export.jsonl", methods=["GET"])
async def export_batch_jsonl(req: Request) -> Response:
    async def impl(req: Request, caller: Caller) -> Response:
        return export_response(get_repositories().records, await owned_batch(req, caller), "jsonl")

    return await handle(req, impl)
