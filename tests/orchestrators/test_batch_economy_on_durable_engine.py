"""The evaluation orchestration in mode economy on devhost's Durable engine (real SDK replay, durable timers, real
activities) against the Batch API of the OpenAI test server: submit, poll on timers until the remote batch
completes, ingest, finish; a cancel while it runs cancels the remote batch and keeps what it had answered."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import azure.durable_functions as df
import pytest

from orchestrators.batch_economy import POLLS_PER_PACE, SLOWEST_PACE, poll_delay
from shared.analysis.factory import reset_analyzer
from shared.batches import names
from shared.batches.models import BatchConfig, BatchStatus
from shared.batches.request import EvaluationJobRequest, StagingJobRequest
from shared.batches.service import BatchService
from shared.documents.blobs import reset_document_blobs
from shared.jobs.models import JobStatus, JobType
from shared.jobs.names import CANCEL_EVENT
from shared.jobs.service import JobService
from shared.llm.batch_api import reset_batch_api
from shared.settings import use_settings
from shared.storage.base import Repositories
from shared.storage.factory import get_repositories, reset_repositories
from tests.devhost.durable.conftest import wait_done
from tests.orchestrators.test_batches_on_durable_engine import add_document, run_job
from tests.orchestrators.test_batches_on_durable_engine import client as client  # the engine, as a fixture
from tests.support.jobs import USER
from tests.support.openai_server import OpenAITestServer

S = df.OrchestrationRuntimeStatus
CONFIG = BatchConfig(
    name="Suppliers",
    folders=["Suppliers"],
    prompts=[{"name": "Law", "text": "Which law governs?"}, {"name": "Notice", "text": "How much notice ends it?"}],
)


@pytest.fixture
def repos(tmp_path: Path, azurite_connection_string: str, openai_server: OpenAITestServer) -> Iterator[Repositories]:
    use_settings(
        openai_server.settings(
            data_dir=tmp_path / "data", storage_connection=azurite_connection_string, batch_api_poll_seconds=0.2
        )
    )
    for reset in (reset_repositories, reset_document_blobs, reset_analyzer, reset_batch_api):
        reset()
    yield get_repositories()
    use_settings(None)
    for reset in (reset_repositories, reset_document_blobs, reset_analyzer, reset_batch_api):
        reset()


async def staged(client: df.DurableOrchestrationClient, repos: Repositories) -> str:
    add_document(repos, "nda_a.md", "nda_mutual_variant_a.md")
    add_document(repos, "msa.txt", "msa_standard.txt")
    batch = BatchService(repos.batches).create(USER, CONFIG)
    job = JobService(repos.jobs).create_job(USER, JobType.BATCH_STAGING, StagingJobRequest(batch_id=batch.batch_id))
    assert (await run_job(client, names.STAGING_ORCHESTRATOR, job.job_id)).runtime_status == S.Completed
    return batch.batch_id


def economy_job(repos: Repositories, batch_id: str) -> str:
    request = EvaluationJobRequest(batch_id=batch_id, mode="economy")
    return JobService(repos.jobs).create_job(USER, JobType.BATCH_EVALUATION, request).job_id


def test_polls_space_out_as_a_long_batch_runs() -> None:
    delays = [poll_delay(60, polls) for polls in range(200)]
    assert delays[:POLLS_PER_PACE] == [60] * POLLS_PER_PACE and delays[POLLS_PER_PACE] == 120
    assert max(delays) == 60 * SLOWEST_PACE and delays == sorted(delays)
    hours, polls = 0.0, 0
    while hours < 24:
        hours, polls = hours + poll_delay(60, polls) / 3600, polls + 1
    assert polls < 200  # a 24 h batch costs fewer than 200 polls of history


async def test_an_economy_run_waits_on_timers_for_the_batch_api_then_ingests_its_answers(
    client: df.DurableOrchestrationClient, repos: Repositories, openai_server: OpenAITestServer
) -> None:
    batch_id = await staged(client, repos)
    law_msa = next(r.record_id for r in repos.records.query(USER, batch_id).items if r.filename == "msa.txt")
    openai_server.batch_api.fail_lines({law_msa: "This document cannot be processed"})
    openai_server.batch_api.complete_after = 1.0  # several polls see it in progress
    job_id = economy_job(repos, batch_id)

    status = await run_job(client, names.EVALUATION_ORCHESTRATOR, job_id)

    assert status.runtime_status == S.Completed, status.output
    batch = BatchService(repos.batches).get(USER, batch_id)
    assert batch.status is BatchStatus.COMPLETED_WITH_ERRORS
    assert repos.records.counts(USER, batch_id) == {"QUEUED": 0, "S": 3, "F": 1}
    assert batch.summary is not None and batch.summary.mode == "economy" and (batch.summary.cost_saved or 0) > 0
    api = openai_server.batch_api
    assert (len(api.uploads), len(api.created), api.cancel_requests) == (1, 1, [])
    polls = [c for c in api.calls if c.method == "GET" and c.path.startswith("/v1/batches/")]
    assert 3 <= len(polls) <= 12  # every 0.2 s for about a second, then the one that saw it completed
    assert openai_server.requests == []  # no standard call


async def test_a_cancel_cancels_the_remote_batch_and_keeps_what_it_answered(
    client: df.DurableOrchestrationClient, repos: Repositories, openai_server: OpenAITestServer
) -> None:
    batch_id = await staged(client, repos)
    openai_server.batch_api.hold()
    job_id = economy_job(repos, batch_id)
    await client.start_new(names.EVALUATION_ORCHESTRATOR, job_id, {"job_id": job_id, "user_id": USER})
    for _ in range(300):
        remote = BatchService(repos.batches).get(USER, batch_id).remote_batches
        if remote and remote[0].status == "in_progress":
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the remote batch never showed in progress")
    openai_server.batch_api.process(1)
    JobService(repos.jobs).cancel(USER, job_id)
    await client.raise_event(job_id, CANCEL_EVENT, {"reason": "test"})

    status = await wait_done(client, job_id, timeout=60)

    assert status.runtime_status == S.Completed, status.output
    assert JobService(repos.jobs).get_job(USER, job_id).status is JobStatus.CANCELLED
    assert len(openai_server.batch_api.cancel_requests) == 1
    batch = BatchService(repos.batches).get(USER, batch_id)
    assert batch.status is BatchStatus.CANCELLED
    assert [(r.status, r.ingested) for r in batch.remote_batches] == [("cancelled", True)]
    assert repos.records.counts(USER, batch_id) == {"QUEUED": 3, "S": 1, "F": 0}


async def test_a_step_that_cannot_succeed_fails_the_job_with_the_reason(
    client: df.DurableOrchestrationClient, repos: Repositories, openai_server: OpenAITestServer
) -> None:
    batch_id = await staged(client, repos)
    openai_server.batch_api.files_lost = True  # its answers cannot be read
    job_id = economy_job(repos, batch_id)

    status = await run_job(client, names.EVALUATION_ORCHESTRATOR, job_id)

    assert status.runtime_status == S.Failed
    job = JobService(repos.jobs).get_job(USER, job_id)
    assert job.status is JobStatus.FAILED and job.error_details is not None
    assert "Batch API refused to read file" in job.error_details["message"] and "404" in job.error_details["message"]
    assert BatchService(repos.batches).get(USER, batch_id).status is BatchStatus.FAILED
    assert openai_server.batch_api.cancel_requests == []  # its remote batch had completed: nothing to stop
    assert repos.records.counts(USER, batch_id)["QUEUED"] == 4
