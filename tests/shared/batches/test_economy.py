"""An economy run's steps as its activities run them, against the Batch API of the OpenAI test server (real SDK),
a real SQLite store and Azurite's blob service: one line per record, answers ingested and checked like standard
ones, failed and missing lines, the answer cache, a cancel, a lost answer to "create", documents too long for one
request, the summary's cost."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from shared.batches import economy, economy_results, running
from shared.batches.messages import RunPlanned
from shared.batches.models import BatchConfig, BatchStatus, RecordStatus
from shared.batches.request import EvaluationJobRequest
from shared.batches.service import BatchService
from shared.documents.blobs import reset_document_blobs
from shared.jobs.document import BatchEvaluationJob
from shared.jobs.models import JobStatus
from shared.jobs.scope import JobScope
from shared.llm.batch_api import BatchAPI
from shared.llm.client import LLMClient
from shared.llm.prices import prices_for
from shared.settings import get_settings, use_settings
from shared.storage.base import Repositories
from shared.storage.factory import get_repositories, reset_repositories
from tests.shared.batches.test_workflow import CONFIG, SAMPLES, records, stage, upload
from tests.support.jobs import USER, job_scope
from tests.support.openai_server import OpenAITestServer

NDA = (SAMPLES / "nda_mutual_variant_a.md").read_bytes()
MSA = (SAMPLES / "msa_standard.txt").read_bytes()


@dataclass
class Env:
    repos: Repositories
    api: BatchAPI
    server: OpenAITestServer


def make_env(tmp_path: Path, azurite: str, server: OpenAITestServer, **settings: Any) -> Env:
    values = {"data_dir": tmp_path / "data", "storage_connection": azurite, "batch_api_poll_seconds": 1, **settings}
    use_settings(server.settings(**values))
    reset_repositories()
    reset_document_blobs()
    client = LLMClient(server.settings(**values))
    return Env(get_repositories(), BatchAPI(client, server.settings(**values), sleep=lambda _: None), server)


@pytest.fixture
def env(tmp_path: Path, azurite_connection_string: str, openai_server: OpenAITestServer) -> Iterator[Env]:
    yield make_env(tmp_path, azurite_connection_string, openai_server)
    use_settings(None)
    reset_repositories()
    reset_document_blobs()


def staged(env: Env, config: BatchConfig = CONFIG, documents: dict[str, bytes] | None = None) -> str:
    """A staged batch over the folder Suppliers, after uploading `documents` into it (default: an NDA, an MSA)."""
    for filename, content in ({"nda_a.md": NDA, "msa.txt": MSA} if documents is None else documents).items():
        upload(env.repos, "Suppliers", filename, content)
    batch = BatchService(env.repos.batches).create(USER, config)
    stage(env.repos, batch.batch_id, f"stage-{batch.batch_id}")
    return batch.batch_id


def submit_all(env: Env, batch_id: str, job_id: str) -> tuple[JobScope, RunPlanned, list[int]]:
    """The economy job's plan and submits, as the orchestrator calls them."""
    request = EvaluationJobRequest(batch_id=batch_id, mode="economy")
    env.repos.jobs.create(BatchEvaluationJob(job_id=job_id, user_id=USER, request=request))
    scope = job_scope(env.repos, job_id)
    scope.jobs.update_status(USER, job_id, JobStatus.PROCESSING)
    plan = running.plan(scope)
    assert plan.mode == "economy"
    starts, start = [], 0
    while start < plan.records:
        sent = economy.submit(scope, env.api, batch_id, start, plan.records, plan.chunk_size)
        if sent.requests:
            starts.append(start)
        start = sent.next
    return scope, plan, starts


def poll_until_done(env: Env, scope: JobScope, batch_id: str, after_cancel: bool = False) -> int:
    for polls in range(1, 20):
        if economy_results.poll(scope, env.api, batch_id, after_cancel).done:
            return polls
    raise AssertionError("the remote batch never stopped")


def test_one_line_per_record_then_answers_and_failed_lines_into_the_records(env: Env) -> None:
    batch_id = staged(env)
    ids = {key: r.record_id for key, r in records(env.repos, batch_id).items()}
    quote = "This Agreement is governed by the laws of the State of New York"
    env.server.batch_api.fail_lines({ids[("msa.txt", "Governing law")]: "This document cannot be processed"})
    env.server.batch_api.answer_lines({
        ids[("nda_a.md", "Duration")]: {"response_text": "Two years.", "score": 7, "evidence": []},
        ids[("nda_a.md", "Governing law")]: {"response_text": "New York.", "score": 1,
                                             "evidence": ["governed by the laws of Delaware", quote]},
    })  # fmt: skip
    scope, plan, starts = submit_all(env, batch_id, "job-economy")

    assert (plan.records, starts) == (6, [0])
    assert len(env.server.batch_api.uploads) == 1 and len(env.server.batch_api.created) == 1
    (remote,) = BatchService(env.repos.batches).get(USER, batch_id).remote_batches
    assert (remote.run_job_id, remote.requests, remote.status) == ("job-economy", 6, "validating")
    sent = env.server.batch_api.input_lines(str(remote.remote_id))
    assert sorted(line["custom_id"] for line in sent) == sorted(ids.values())
    assert {line["url"] for line in sent} == {"/v1/chat/completions"}
    assert {line["body"]["model"] for line in sent} == {"test-model-primary"}

    first = economy_results.poll(scope, env.api, batch_id)
    assert (first.done, first.remote_status, first.requests) == (False, "in_progress", 6)
    assert scope.job().progress.message == "Batch API in_progress: 0 of 6 requests answered"
    assert poll_until_done(env, scope, batch_id) == 1
    assert scope.job().progress.message == "Batch API completed: 5 of 6 requests answered, 1 failed"
    economy_results.ingest(scope, env.api, batch_id, 0)
    running.finish(scope, batch_id)

    found = records(env.repos, batch_id)
    assert {k: r.status for k, r in found.items() if r.status is RecordStatus.F} == {
        ("msa.txt", "Governing law"): RecordStatus.F, ("nda_a.md", "Duration"): RecordStatus.F,
    }  # fmt: skip
    assert "cannot be processed" in str(found[("msa.txt", "Governing law")].error)
    assert "HTTP 400" in str(found[("msa.txt", "Governing law")].error)
    assert "score: Input should be 1, 2, 3, 4 or 5" in str(found[("nda_a.md", "Duration")].error)
    assert found[("nda_a.md", "Duration")].usage.llm_calls == 1  # its answer was refused, but billed
    assert found[("msa.txt", "Governing law")].usage.llm_calls == 0  # a line the API failed: no completion
    law = found[("nda_a.md", "Governing law")]
    assert (law.score, law.evidence, law.reused) == (1.0, [quote], False)  # the made-up quote was dropped
    assert found[("nda_a.md", "Basics")].score == 0.5  # checks: scored by their regexes
    answered = [r for r in found.values() if r.status is RecordStatus.S]
    assert all(env.repos.answers.get(USER, str(r.answer_key)) is not None for r in answered)
    assert env.server.requests == []  # not one standard call

    batch = BatchService(env.repos.batches).get(USER, batch_id)
    assert batch.status is BatchStatus.COMPLETED_WITH_ERRORS and batch.remote_batches[0].ingested
    summary = batch.summary
    # Four answers used and the one refused: every completion the Batch API billed.
    assert summary is not None and (summary.mode, summary.model_calls) == ("economy", 5)
    full = prices_for(get_settings(), "primary").standard_cost(summary.usage)
    assert full > 0 and summary.estimated_cost == pytest.approx(full / 2, abs=1e-6) == summary.cost_saved


def test_every_step_runs_twice_without_sending_or_paying_twice(env: Env) -> None:
    batch_id = staged(env)
    scope, plan, _ = submit_all(env, batch_id, "job-twice")
    again = economy.submit(scope, env.api, batch_id, 0, plan.records, plan.chunk_size)
    assert (again.next, again.requests) == (6, 6)

    # The answer to "create" was lost (a crash right after it): the next attempt finds the batch by its file.
    def forget(batch: Any) -> Any:
        lost = batch.remote_batches[0].model_copy(update={"remote_id": None, "status": "uploaded"})
        return batch.model_copy(update={"remote_batches": [lost]})

    BatchService(env.repos.batches).mutate(USER, batch_id, forget)
    economy.submit(scope, env.api, batch_id, 0, plan.records, plan.chunk_size)
    assert len(env.server.batch_api.uploads) == 1 and len(env.server.batch_api.created) == 1

    poll_until_done(env, scope, batch_id)
    economy_results.ingest(scope, env.api, batch_id, 0)
    first = {k: (r.status, r.updated_at) for k, r in records(env.repos, batch_id).items()}

    def unread(batch: Any) -> Any:
        return batch.model_copy(
            update={"remote_batches": [batch.remote_batches[0].model_copy(update={"ingested": False})]}
        )

    BatchService(env.repos.batches).mutate(USER, batch_id, unread)  # as if the ingest crashed before saying so
    economy_results.ingest(scope, env.api, batch_id, 0)
    assert {k: (r.status, r.updated_at) for k, r in records(env.repos, batch_id).items()} == first

    # Another batch over the same documents and prompts: every answer is in the answer cache, nothing is sent.
    second = staged(env, CONFIG.model_copy(update={"name": "Same again"}), {})
    scope2, _, starts = submit_all(env, second, "job-cached")
    assert starts == [] and len(env.server.batch_api.uploads) == 1
    running.finish(scope2, second)
    summary = BatchService(env.repos.batches).get(USER, second).summary
    assert summary is not None and (summary.reused_answers, summary.model_calls, summary.estimated_cost) == (6, 0, 0)


def test_a_cancel_keeps_what_was_answered_and_leaves_the_rest_queued(env: Env) -> None:
    batch_id = staged(env)
    env.server.batch_api.hold()
    scope, _, _ = submit_all(env, batch_id, "job-cancel")
    assert not economy_results.poll(scope, env.api, batch_id).done  # in_progress, held
    env.server.batch_api.process(2)
    scope.jobs.cancel(USER, "job-cancel")
    assert economy_results.poll(scope, env.api, batch_id).status == "skipped"

    stopping = economy_results.cancel(scope, env.api, batch_id)
    assert (stopping.done, stopping.remote_status, stopping.starts) == (False, "cancelling", [0])
    assert len(env.server.batch_api.cancel_requests) == 1
    poll_until_done(env, scope, batch_id, after_cancel=True)
    economy_results.ingest(scope, env.api, batch_id, 0, cancelled=True)

    counts = env.repos.records.counts(USER, batch_id)
    assert counts == {"QUEUED": 4, "S": 2, "F": 0}


def test_records_the_batch_api_never_answered_fail_with_its_status(env: Env) -> None:
    batch_id = staged(env)
    env.server.batch_api.hold()
    scope, _, _ = submit_all(env, batch_id, "job-expired")
    economy_results.poll(scope, env.api, batch_id)
    env.server.batch_api.process(1)
    (remote,) = BatchService(env.repos.batches).get(USER, batch_id).remote_batches
    env.server.batch_api.expire(str(remote.remote_id))
    poll_until_done(env, scope, batch_id)
    economy_results.ingest(scope, env.api, batch_id, 0)
    found = list(records(env.repos, batch_id).values())
    missing = [r for r in found if r.status is RecordStatus.F]
    assert len(missing) == 5 and all(r.error == "not answered by the Batch API (status expired)" for r in missing)
    assert sum(r.status is RecordStatus.S for r in found) == 1


def test_a_batch_the_service_refuses_fails_every_record_with_its_reason(env: Env) -> None:
    batch_id = staged(env, documents={"nda_a.md": NDA})
    env.server.batch_api.fail_next_batch("The model 'test-model-primary' does not support batch")
    scope, _, _ = submit_all(env, batch_id, "job-refused")
    poll_until_done(env, scope, batch_id)
    economy_results.ingest(scope, env.api, batch_id, 0)
    running.finish(scope, batch_id)
    found = list(records(env.repos, batch_id).values())
    assert all(r.status is RecordStatus.F and "status failed" in str(r.error) for r in found)
    assert all("does not support batch" in str(r.error) for r in found)
    assert BatchService(env.repos.batches).get(USER, batch_id).status is BatchStatus.FAILED


def test_documents_too_long_for_one_request_fail_with_the_way_out(
    tmp_path: Path, azurite_connection_string: str, openai_server: OpenAITestServer
) -> None:
    env = make_env(tmp_path, azurite_connection_string, openai_server, llm_context_tokens_primary=2_000)
    try:
        short = b"1. Governing Law. This Agreement is governed by the laws of the State of New York."
        batch_id = staged(env, documents={"nda_a.md": NDA, "short.md": short})
        _, _, starts = submit_all(env, batch_id, "job-long")
        found = records(env.repos, batch_id)
        too_long = [r for (name, _), r in found.items() if name == "nda_a.md"]
        assert all(r.status is RecordStatus.F for r in too_long)
        assert "too long for one Batch API request" in str(too_long[0].error)
        assert "mode 'standard'" in str(too_long[0].error)
        (remote,) = BatchService(env.repos.batches).get(USER, batch_id).remote_batches
        assert starts == [0] and remote.requests == 3  # short.md x 3 prompts
    finally:
        use_settings(None)
        reset_repositories()


def test_a_run_larger_than_one_file_goes_out_in_several(
    tmp_path: Path, azurite_connection_string: str, openai_server: OpenAITestServer
) -> None:
    env = make_env(tmp_path, azurite_connection_string, openai_server, batch_api_max_requests=4, batch_run_chunk=3)
    try:
        batch_id = staged(env)
        scope, _, starts = submit_all(env, batch_id, "job-parts")
        assert starts == [0, 4] and [c.body["lines"] for c in env.server.batch_api.uploads] == [4, 2]
        poll_until_done(env, scope, batch_id)
        for start in starts:
            economy_results.ingest(scope, env.api, batch_id, start)
        assert env.repos.records.counts(USER, batch_id) == {"QUEUED": 0, "S": 6, "F": 0}
    finally:
        use_settings(None)
        reset_repositories()


def test_azure_lines_name_the_global_batch_deployment(
    tmp_path: Path, azurite_connection_string: str, openai_server: OpenAITestServer
) -> None:
    values = {"data_dir": tmp_path / "data", "storage_connection": azurite_connection_string,
              "azure_openai_batch_deployment_primary": "contracts-batch"}  # fmt: skip
    settings = openai_server.azure_settings(**values)
    use_settings(settings)
    reset_repositories()
    env = Env(get_repositories(), BatchAPI(LLMClient(settings), settings, sleep=lambda _: None), openai_server)
    try:
        batch_id = staged(env, documents={"nda_a.md": NDA})
        scope, _, _ = submit_all(env, batch_id, "job-azure")
        (remote,) = BatchService(env.repos.batches).get(USER, batch_id).remote_batches
        lines = env.server.batch_api.input_lines(str(remote.remote_id))
        assert {(line["url"], line["body"]["model"]) for line in lines} == {("/chat/completions", "contracts-batch")}
        assert all(c.path.startswith("/openai/") and c.query.get("api-version") for c in env.server.batch_api.calls)
        poll_until_done(env, scope, batch_id)
        economy_results.ingest(scope, env.api, batch_id, 0)
        assert env.repos.records.counts(USER, batch_id)["S"] == 3
        key = next(iter(records(env.repos, batch_id).values())).answer_key
        assert key is not None  # keyed by the standard deployment: answers are shared with standard runs
    finally:
        use_settings(None)
        reset_repositories()
