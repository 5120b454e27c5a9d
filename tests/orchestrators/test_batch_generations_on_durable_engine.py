"""A long batch run continues as new every CHUNKS_PER_GENERATION chunks, carrying ids and counts only: on devhost's
Durable engine (real SDK replay) no execution's history grows past a bound that does not depend on the batch's size,
the chunks keep their numbers across executions, the progress shown never goes back, and a cancel ends the job in a
later execution as in the first. Staging a large folder continues as new the same way."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import azure.durable_functions as df
import pytest

from devhost.durable import DurableEngine
from orchestrators import batch_evaluation, batch_staging
from shared.batches import names
from shared.batches.models import BatchConfig, BatchStatus, RecordStatus
from shared.batches.request import EvaluationJobRequest, StagingJobRequest
from shared.batches.service import BatchService
from shared.documents.blobs import reset_document_blobs
from shared.jobs.models import JobStatus, JobType
from shared.jobs.service import JobService
from shared.settings import Settings, use_settings
from shared.storage.base import Repositories
from shared.storage.factory import get_repositories, reset_repositories
from tests.devhost.durable.conftest import reset_sdk_session, wait_done
from tests.orchestrators.test_batches_on_durable_engine import FUNCTIONS, add_document, run_job
from tests.support.jobs import USER

S = df.OrchestrationRuntimeStatus
PROMPTS = [
    {"name": "Law", "text": "Which law governs?"},
    {"name": "Notice", "text": "How much notice ends it?"},
    {"name": "Term", "text": "How long does it last?"},
]


@pytest.fixture
def repos(tmp_path: Path, azurite_connection_string: str) -> Iterator[Repositories]:
    # A chunk per record: a run of 9 records is 9 chunks, three executions of 3 chunks each.
    settings = Settings(
        data_dir=tmp_path / "data", storage_connection=azurite_connection_string, batch_run_chunk=1, batch_stage_chunk=1
    )
    use_settings(settings)
    reset_repositories()
    reset_document_blobs()
    yield get_repositories()
    use_settings(None)
    reset_repositories()
    reset_document_blobs()


@pytest.fixture
def generations(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(batch_evaluation, "CHUNKS_PER_GENERATION", 3)
    monkeypatch.setattr(batch_staging, "CHUNKS_PER_GENERATION", 2)
    return 3


class Watched:
    """The engine, with every episode of the job's own instance recorded: (execution input, history events)."""

    def __init__(self, engine: DurableEngine, job_id: str) -> None:
        self.episodes: list[tuple[str | None, int]] = []
        self.statuses: list[Any] = []
        original = engine._call_orchestrator

        async def watch(info: Any, instance: Any, history: Any, new_events: Any) -> Any:
            call = await original(info, instance, history, new_events)
            if instance.instance_id == job_id:
                self.episodes.append((instance.input, len(history) + len(new_events)))
                self.statuses.append(call.result.state.get("customStatus"))
            return call

        engine._call_orchestrator = watch  # type: ignore[method-assign]

    def executions(self) -> list[int]:
        """The largest history each execution of the job's instance replayed, in order."""
        peaks: dict[str | None, int] = {}
        for given, events in self.episodes:
            peaks[given] = max(peaks.get(given, 0), events)
        return list(peaks.values())


@pytest.fixture
async def engine(tmp_path: Path, repos: Repositories) -> AsyncIterator[DurableEngine]:
    engine = DurableEngine(
        functions=FUNCTIONS,
        state_dir=tmp_path / "state",
        host_config={"version": "2.0"},
        public_base_url="http://127.0.0.1:7071",
        system_key="test-system-key",
    )
    await engine.start()
    try:
        yield engine
    finally:
        await engine.stop()
        await reset_sdk_session()


async def staged(client: df.DurableOrchestrationClient, repos: Repositories, documents: int) -> str:
    samples = ["nda_mutual_variant_a.md", "msa_standard.txt", "nda_mutual_variant_b.txt"]
    for i in range(documents):
        add_document(repos, f"doc{i}.md", samples[i % len(samples)])
    batch = BatchService(repos.batches).create(USER, BatchConfig(name="b", folders=["Suppliers"], prompts=PROMPTS))
    job = JobService(repos.jobs).create_job(USER, JobType.BATCH_STAGING, StagingJobRequest(batch_id=batch.batch_id))
    assert (await run_job(client, names.STAGING_ORCHESTRATOR, job.job_id)).runtime_status == S.Completed
    return batch.batch_id


async def test_each_execution_replays_a_bounded_history_and_the_chunks_keep_their_numbers(
    engine: DurableEngine, repos: Repositories, generations: int
) -> None:
    client = df.DurableOrchestrationClient(engine.client_binding())
    batch_id = await staged(client, repos, 3)  # 3 x 3 prompts = 9 records, 9 chunks
    job = JobService(repos.jobs).create_job(USER, JobType.BATCH_EVALUATION, EvaluationJobRequest(batch_id=batch_id))
    watched = Watched(engine, job.job_id)
    status = await run_job(client, names.EVALUATION_ORCHESTRATOR, job.job_id)
    assert status.runtime_status == S.Completed, status.output
    done = JobService(repos.jobs).get_job(USER, job.job_id)
    assert (done.status, done.progress.percentage) == (JobStatus.COMPLETED, 100)
    assert repos.records.counts(USER, batch_id) == {"QUEUED": 0, "S": 9, "F": 0}
    assert BatchService(repos.batches).get(USER, batch_id).status is BatchStatus.COMPLETED
    chunks = [await client.get_status(f"{job.job_id}:{names.CHUNK_ORCHESTRATOR}:{i}") for i in range(9)]
    assert [c.runtime_status for c in chunks] == [S.Completed] * 9

    peaks = watched.executions()
    assert len(peaks) == 3  # 9 chunks, 3 an execution
    # The first execution also starts the job and plans it; the last finishes and saves it. Every execution replays
    # its own chunks only: the middle one about as much as a run of 3 chunks does, nothing carried over.
    first, middle, last = peaks
    assert middle < first and middle < last
    assert max(peaks) < 3 * middle
    # The custom status goes on across executions (never blank once shown), its seq never going back.
    shown = watched.statuses[watched.statuses.index(next(s for s in watched.statuses if s is not None)) :]
    assert None not in shown
    seqs = [s["seq"] for s in shown]
    assert seqs == sorted(seqs) and seqs[-1] > seqs[0]


async def test_the_bound_does_not_grow_with_the_batch(
    engine: DurableEngine, repos: Repositories, generations: int
) -> None:
    client = df.DurableOrchestrationClient(engine.client_binding())
    batch_id = await staged(client, repos, 6)  # 18 records, 18 chunks: 6 executions
    job = JobService(repos.jobs).create_job(USER, JobType.BATCH_EVALUATION, EvaluationJobRequest(batch_id=batch_id))
    watched = Watched(engine, job.job_id)
    status = await run_job(client, names.EVALUATION_ORCHESTRATOR, job.job_id)
    assert status.runtime_status == S.Completed, status.output
    assert repos.records.counts(USER, batch_id)["S"] == 18
    peaks = watched.executions()
    assert len(peaks) == 6
    middles = peaks[1:-1]
    assert max(middles) - min(middles) <= 4  # a wake-up timer more or less, never a growing history


async def test_a_cancel_in_a_later_execution_ends_the_job_cancelled(
    engine: DurableEngine, repos: Repositories, generations: int
) -> None:
    client = df.DurableOrchestrationClient(engine.client_binding())
    batch_id = await staged(client, repos, 6)
    jobs = JobService(repos.jobs)
    job = jobs.create_job(USER, JobType.BATCH_EVALUATION, EvaluationJobRequest(batch_id=batch_id))
    watched = Watched(engine, job.job_id)
    await client.start_new(names.EVALUATION_ORCHESTRATOR, job.job_id, {"job_id": job.job_id, "user_id": USER})
    for _ in range(600):  # until the second execution runs
        if len(watched.executions()) >= 2:
            break
        await asyncio.sleep(0.02)
    assert len(watched.executions()) >= 2
    jobs.cancel(USER, job.job_id)
    await client.raise_event(job.job_id, "cancel", {"reason": "user"})
    status = await wait_done(client, job.job_id, timeout=60)
    assert status.runtime_status == S.Completed
    assert status.output["status"] == "cancelled"
    assert jobs.get_job(USER, job.job_id).status is JobStatus.CANCELLED
    counts = repos.records.counts(USER, batch_id)
    assert counts["S"] >= 3 and counts["QUEUED"] >= 1  # the first execution's chunks ran; not everything did
    assert BatchService(repos.batches).get(USER, batch_id).status is BatchStatus.CANCELLED
    assert all(r.status in (RecordStatus.S, RecordStatus.QUEUED) for r in repos.records.query(USER, batch_id).items)


async def test_staging_a_folder_continues_as_new_and_stages_every_document(
    engine: DurableEngine, repos: Repositories, generations: int
) -> None:
    client = df.DurableOrchestrationClient(engine.client_binding())
    for i in range(5):
        add_document(repos, f"doc{i}.md", "nda_mutual_variant_a.md")
    batch = BatchService(repos.batches).create(USER, BatchConfig(name="b", folders=["Suppliers"], prompts=PROMPTS))
    job = JobService(repos.jobs).create_job(USER, JobType.BATCH_STAGING, StagingJobRequest(batch_id=batch.batch_id))
    watched = Watched(engine, job.job_id)
    status = await run_job(client, names.STAGING_ORCHESTRATOR, job.job_id)
    assert status.runtime_status == S.Completed, status.output
    assert len(watched.executions()) == 3  # 5 documents, a call each, 2 calls an execution
    staged = BatchService(repos.batches).get(USER, batch.batch_id)
    assert staged.status is BatchStatus.STAGED
    assert repos.records.counts(USER, batch.batch_id)["QUEUED"] == 5 * len(PROMPTS)
    done = JobService(repos.jobs).get_job(USER, job.job_id)
    assert (done.status, done.progress.percentage) == (JobStatus.COMPLETED, 100)
