"""The batch orchestrations on devhost's Durable engine (real SDK replay, real activities, sub-orchestrations),
over a SQLite store and Azurite's blobs, with the offline analyzer: stage, then run in chunks."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import azure.durable_functions as df
import pytest

from activities import batches as batch_activities
from activities import jobs as job_activities
from devhost.durable import DurableEngine
from devhost.indexing import index_app
from orchestrators import batch_evaluation, batch_staging
from shared.batches import names
from shared.batches.models import BatchConfig, BatchStatus, RecordStatus
from shared.batches.request import EvaluationJobRequest, StagingJobRequest
from shared.batches.service import BatchService
from shared.documents.blobs import blob_name, document_blobs, reset_document_blobs
from shared.documents.models import Document
from shared.jobs.models import JobRef, JobStatus, JobType
from shared.jobs.service import JobService
from shared.settings import Settings, use_settings
from shared.storage.base import Repositories
from shared.storage.factory import get_repositories, reset_repositories
from tests.devhost.durable.conftest import reset_sdk_session, wait_done
from tests.support.jobs import USER

S = df.OrchestrationRuntimeStatus
SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
_APP = df.DFApp()
for _bp in (batch_staging.bp, batch_evaluation.bp, job_activities.bp, batch_activities.bp):
    _APP.register_functions(_bp)
FUNCTIONS = index_app(_APP)


@pytest.fixture
def repos(tmp_path: Path, azurite_connection_string: str) -> Iterator[Repositories]:
    # Chunks of 2 records: a run of 6 records is 3 sub-orchestrations.
    use_settings(Settings(data_dir=tmp_path / "data", storage_connection=azurite_connection_string, batch_run_chunk=2))
    reset_repositories()
    reset_document_blobs()
    yield get_repositories()
    use_settings(None)
    reset_repositories()
    reset_document_blobs()


@pytest.fixture
async def client(tmp_path: Path, repos: Repositories) -> AsyncIterator[df.DurableOrchestrationClient]:
    engine = DurableEngine(
        functions=FUNCTIONS,
        state_dir=tmp_path / "state",
        host_config={"version": "2.0"},
        public_base_url="http://127.0.0.1:7071",
        system_key="test-system-key",
    )
    await engine.start()
    try:
        yield df.DurableOrchestrationClient(engine.client_binding())
    finally:
        await engine.stop()
        await reset_sdk_session()


def add_document(repos: Repositories, filename: str, sample: str) -> None:
    content = (SAMPLES / sample).read_bytes()
    document_id = f"doc_{filename.split('.')[0]}"
    name = blob_name(USER, document_id, filename)
    sha = hashlib.sha256(content).hexdigest()
    document_blobs().put(name, content, content_type="text/plain", sha256=sha)
    repos.documents.add(
        Document(
            document_id=document_id, user_id=USER, folder="Suppliers", filename=filename,
            format=filename.rsplit(".", 1)[-1], bytes=len(content), sha256=sha, blob_name=name,
        )
    )  # fmt: skip


async def run_job(
    client: df.DurableOrchestrationClient, orchestrator: str, job_id: str
) -> df.DurableOrchestrationStatus:
    await client.start_new(orchestrator, job_id, JobRef(job_id=job_id, user_id=USER).model_dump(mode="json"))
    return await wait_done(client, job_id, timeout=60)


async def test_a_batch_is_staged_then_run_in_sub_orchestrations_to_completion(
    client: df.DurableOrchestrationClient, repos: Repositories
) -> None:
    add_document(repos, "nda_a.md", "nda_mutual_variant_a.md")
    add_document(repos, "msa.txt", "msa_standard.txt")
    add_document(repos, "nda_b.txt", "nda_mutual_variant_b.txt")
    config = BatchConfig(
        name="Suppliers",
        folders=["Suppliers"],
        prompts=[{"name": "Law", "text": "Which law governs?"}, {"name": "Notice", "text": "How much notice ends it?"}],
    )
    batch = BatchService(repos.batches).create(USER, config)
    jobs = JobService(repos.jobs)

    staged = jobs.create_job(USER, JobType.BATCH_STAGING, StagingJobRequest(batch_id=batch.batch_id))
    status = await run_job(client, names.STAGING_ORCHESTRATOR, staged.job_id)
    assert status.runtime_status == S.Completed, status.output
    assert BatchService(repos.batches).get(USER, batch.batch_id).status is BatchStatus.STAGED

    evaluated = jobs.create_job(USER, JobType.BATCH_EVALUATION, EvaluationJobRequest(batch_id=batch.batch_id))
    status = await run_job(client, names.EVALUATION_ORCHESTRATOR, evaluated.job_id)
    assert status.runtime_status == S.Completed, status.output
    job = jobs.get_job(USER, evaluated.job_id)
    assert (job.status, job.progress.percentage) == (JobStatus.COMPLETED, 100)
    done = BatchService(repos.batches).get(USER, batch.batch_id)
    assert done.status is BatchStatus.COMPLETED
    assert repos.records.counts(USER, batch.batch_id) == {"QUEUED": 0, "S": 6, "F": 0}
    # Three chunks of two records, each its own sub-orchestration instance, named after the job.
    chunks = [await client.get_status(f"{evaluated.job_id}:{names.CHUNK_ORCHESTRATOR}:{i}") for i in range(3)]
    assert [c.runtime_status for c in chunks] == [S.Completed] * 3
    result = repos.results.get(USER, job.result_id or "")
    assert result.result["summary"]["by_status"]["S"] == 6
    assert all(r.status is RecordStatus.S for r in repos.records.query(USER, batch.batch_id).items)


async def test_a_run_of_a_batch_not_staged_fails_the_job_naming_the_state(
    client: df.DurableOrchestrationClient, repos: Repositories
) -> None:
    batch = BatchService(repos.batches).create(
        USER, BatchConfig(name="b", folders=["Suppliers"], prompts=[{"name": "p", "text": "Which law?"}])
    )
    job = JobService(repos.jobs).create_job(
        USER, JobType.BATCH_EVALUATION, EvaluationJobRequest(batch_id=batch.batch_id)
    )
    status = await run_job(client, names.EVALUATION_ORCHESTRATOR, job.job_id)
    assert status.runtime_status == S.Failed
    failed = JobService(repos.jobs).get_job(USER, job.job_id)
    assert failed.error_details is not None and "can be run only when" in failed.error_details["message"]
    assert BatchService(repos.batches).get(USER, batch.batch_id).status is BatchStatus.SAVED
