"""The batch workflow's steps, in order, as the activities run them: staging (good, badly encoded, unreadable and
empty documents), evaluation with the offline analyzer, the summary, re-running only failures, and the answer cache
that never pays twice. A real SQLite store and Azurite's blob service."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.analysis.base import AnalyzerReply
from shared.analysis.offline.analyzer import OfflineAnalyzer
from shared.batches import running, staging
from shared.batches.evaluation import Evaluation, EvaluationTask
from shared.batches.models import BatchConfig, BatchStatus, RecordStatus
from shared.batches.request import EvaluationJobRequest, StagingJobRequest
from shared.batches.service import BatchService
from shared.documents.blobs import blob_name, document_blobs, reset_document_blobs
from shared.documents.models import Document
from shared.errors import InvalidTransitionError
from shared.jobs.document import BatchEvaluationJob, BatchStagingJob
from shared.jobs.models import JobStatus
from shared.jobs.scope import JobScope
from shared.llm.analyzer import LLMAnalyzer
from shared.llm.client import LLMClient
from shared.llm.errors import LLMPermanentError, LLMTransientError
from shared.settings import Settings, use_settings
from shared.storage.base import Repositories
from shared.storage.factory import get_repositories, reset_repositories
from tests.support.jobs import USER, job_scope
from tests.support.openai_server import OpenAITestServer, Reply
from tests.support.quota import FakeClock, MemoryQuotaRepository

SAMPLES = Path(__file__).resolve().parents[3] / "sample_data"


@pytest.fixture
def repos(tmp_path: Path, azurite_connection_string: str) -> Iterator[Repositories]:
    use_settings(Settings(data_dir=tmp_path / "data", storage_connection=azurite_connection_string))
    reset_repositories()
    reset_document_blobs()
    yield get_repositories()
    use_settings(None)
    reset_repositories()
    reset_document_blobs()


def upload(repos: Repositories, folder: str, filename: str, content: bytes) -> Document:
    document_id = f"doc_{uuid.uuid4().hex[:10]}"
    name = blob_name(USER, document_id, filename)
    sha = hashlib.sha256(content).hexdigest()
    document_blobs().put(name, content, content_type="application/octet-stream", sha256=sha)
    document = Document(
        document_id=document_id, user_id=USER, folder=folder, filename=filename,
        format=filename.rsplit(".", 1)[-1], bytes=len(content), sha256=sha, blob_name=name,
    )  # fmt: skip
    repos.documents.add(document)
    return document


CONFIG = BatchConfig(
    name="Supplier NDAs",
    folders=["Suppliers"],
    prompts=[
        {"name": "Governing law", "text": "Which law governs the agreement?"},
        {"name": "Duration", "text": "How long do the confidentiality obligations last?",
         "scoring": {"type": "scale", "min": 1, "max": 5}},
        {"name": "Basics", "text": "Check the basics",
         "scoring": {"type": "checks", "checks": [{"name": "New York law", "regex": "State of New York"},
                                                  {"name": "Arbitration", "regex": "arbitrat"}]}},
    ],
)  # fmt: skip


class Counting:
    """The offline analyzer, counting its evaluations (a model call each, had it been a model)."""

    provider = "offline"

    def __init__(self, fail: dict[str, Exception] | None = None) -> None:
        self.inner = OfflineAnalyzer()
        self.calls: list[str] = []
        self.fail = fail or {}

    def model_name(self, selection: str) -> str:
        return self.inner.model_name("primary")

    def evaluate(self, task: EvaluationTask) -> AnalyzerReply[Evaluation]:
        self.calls.append(f"{task.filename}/{task.prompt.name}")
        if task.filename in self.fail:
            raise self.fail[task.filename]
        return self.inner.evaluate(task)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def stage(repos: Repositories, batch_id: str, job_id: str, reprocess: bool = False) -> JobScope:
    repos.jobs.create(
        BatchStagingJob(job_id=job_id, user_id=USER, request=StagingJobRequest(batch_id=batch_id, reprocess=reprocess))
    )
    scope = job_scope(repos, job_id)
    scope.jobs.update_status(USER, job_id, JobStatus.PROCESSING)
    planned = staging.plan(scope)
    chunks = (planned.documents + planned.chunk_size - 1) // planned.chunk_size
    for chunk in range(chunks):
        staging.stage_chunk(scope, batch_id, chunk, planned.chunk_size, planned.documents)
    staging.finish(scope, batch_id)
    return scope


def run(repos: Repositories, batch_id: str, job_id: str, analyzer: Counting) -> JobScope:
    repos.jobs.create(BatchEvaluationJob(job_id=job_id, user_id=USER, request=EvaluationJobRequest(batch_id=batch_id)))
    scope = job_scope(repos, job_id)
    scope.jobs.update_status(USER, job_id, JobStatus.PROCESSING)
    planned = running.plan(scope)
    for index in range(planned.records):
        chunk, position = divmod(index, planned.chunk_size)
        while True:
            try:
                running.evaluate_record(scope, analyzer, batch_id, chunk, position, planned.records)  # type: ignore[arg-type]
                break
            except LLMTransientError:
                continue  # the orchestrator's durable timer, then the same call again
    running.finish(scope, batch_id)
    return scope


def records(repos: Repositories, batch_id: str) -> dict[tuple[str, str], Any]:
    page = repos.records.query(USER, batch_id, limit=500)
    return {(r.filename, r.prompt_name): r for r in page.items}


def test_staging_lists_bad_documents_with_their_reason_and_stages_the_rest(repos: Repositories) -> None:
    good = upload(repos, "Suppliers", "nda_a.md", (SAMPLES / "nda_mutual_variant_a.md").read_bytes())
    pdf = upload(repos, "Suppliers", "nda.pdf", (SAMPLES / "nda_mutual_standard.pdf").read_bytes())
    upload(repos, "Suppliers", "broken.pdf", b"%PDF-1.4 this is not really a pdf")
    upload(repos, "Suppliers", "empty.txt", b"   \n")
    upload(repos, "Elsewhere", "other.md", b"Not in the batch's folders.")
    batch = BatchService(repos.batches).create(USER, CONFIG)

    scope = stage(repos, batch.batch_id, "job-stage")
    staged = BatchService(repos.batches).get(USER, batch.batch_id)

    assert staged.status is BatchStatus.STAGED and staged.snapshot == CONFIG
    report = {d.filename: d for d in staged.documents}
    assert set(report) == {"nda_a.md", "nda.pdf", "broken.pdf", "empty.txt"}
    assert report["nda_a.md"].status == "staged" and (report["nda_a.md"].token_count or 0) > 500
    assert report["nda.pdf"].status == "staged"
    assert report["broken.pdf"].status == "failed" and "broken.pdf" in (report["broken.pdf"].reason or "")
    assert report["empty.txt"].status == "failed" and "empty" in (report["empty.txt"].reason or "")
    assert repos.records.counts(USER, batch.batch_id) == {"QUEUED": 6, "S": 0, "F": 0}  # 2 documents x 3 prompts
    assert repos.documents.get_text(USER, good.document_id).sha256 == good.sha256
    assert repos.documents.get_text(USER, pdf.document_id).text.strip()
    assert scope.job().progress.message.startswith("Saving")

    # Editing the configuration later never changes what the staged batch runs.
    edited = CONFIG.model_copy(update={"prompts": CONFIG.prompts[:1]})
    assert BatchService(repos.batches).update_config(USER, batch.batch_id, edited).snapshot == CONFIG


def test_a_batch_with_nothing_stageable_fails_staging_and_can_be_staged_again(repos: Repositories) -> None:
    upload(repos, "Suppliers", "empty.md", b"")
    batch = BatchService(repos.batches).create(USER, CONFIG)
    stage(repos, batch.batch_id, "job-stage-1")
    assert BatchService(repos.batches).get(USER, batch.batch_id).status is BatchStatus.FAILED_STAGING

    upload(repos, "Suppliers", "nda.md", (SAMPLES / "nda_mutual_standard.md").read_bytes())
    stage(repos, batch.batch_id, "job-stage-2", reprocess=True)
    again = BatchService(repos.batches).get(USER, batch.batch_id)
    assert again.status is BatchStatus.STAGED
    assert [d.filename for d in again.documents if d.status == "staged"] == ["nda.md"]


def test_a_run_scores_every_record_with_evidence_and_summarises_the_batch(repos: Repositories) -> None:
    upload(repos, "Suppliers", "nda_a.md", (SAMPLES / "nda_mutual_variant_a.md").read_bytes())
    upload(repos, "Suppliers", "msa.txt", (SAMPLES / "msa_standard.txt").read_bytes())
    batch = BatchService(repos.batches).create(USER, CONFIG)
    stage(repos, batch.batch_id, "job-stage")
    analyzer = Counting()
    scope = run(repos, batch.batch_id, "job-run", analyzer)

    done = BatchService(repos.batches).get(USER, batch.batch_id)
    assert done.status is BatchStatus.COMPLETED
    found = records(repos, batch.batch_id)
    law = found[("nda_a.md", "Governing law")]
    assert (law.status, law.score) == (RecordStatus.S, 1.0) and "New York" in law.response_text
    assert law.evidence and all(
        " ".join(q.split()) in " ".join((SAMPLES / "nda_mutual_variant_a.md").read_text().split()) for q in law.evidence
    )
    assert found[("nda_a.md", "Basics")].score == 0.5  # New York law: yes; arbitration: no
    assert found[("msa.txt", "Basics")].score == 0.0
    assert 1 <= (found[("nda_a.md", "Duration")].score or 0) <= 5
    assert len(analyzer.calls) == 6 and not any(r.reused for r in found.values())
    assert done.summary is not None
    assert done.summary.by_status == {"QUEUED": 0, "S": 6, "F": 0} and done.summary.model_calls == 0  # offline
    by_prompt = {p.name: p for p in done.summary.prompts}
    assert by_prompt["Governing law"].distribution == {"pass": 2} and by_prompt["Governing law"].pass_rate == 1.0
    assert by_prompt["Basics"].mean == 0.25 and by_prompt["Basics"].pass_rate == 0.0
    assert all(d.overall_score is not None for d in done.documents if d.status == "staged")
    assert scope.job().progress.message == "Saving the results"


def test_only_failed_records_run_again_and_answers_already_paid_for_are_reused(repos: Repositories) -> None:
    upload(repos, "Suppliers", "nda_a.md", (SAMPLES / "nda_mutual_variant_a.md").read_bytes())
    upload(repos, "Suppliers", "nda_b.txt", (SAMPLES / "nda_mutual_variant_b.txt").read_bytes())
    batch = BatchService(repos.batches).create(USER, CONFIG)
    stage(repos, batch.batch_id, "job-stage")
    rejecting = Counting(fail={"nda_b.txt": LLMPermanentError("model rejected the request: HTTP 400: bad document")})
    run(repos, batch.batch_id, "job-run-1", rejecting)

    first = BatchService(repos.batches).get(USER, batch.batch_id)
    assert first.status is BatchStatus.COMPLETED_WITH_ERRORS
    failed = [r for r in records(repos, batch.batch_id).values() if r.status is RecordStatus.F]
    assert len(failed) == 3 and all("HTTP 400" in (r.error or "") for r in failed)

    again = Counting()
    run(repos, batch.batch_id, "job-run-2", again)
    assert sorted(again.calls) == sorted(f"nda_b.txt/{p.name}" for p in CONFIG.prompts)  # the failures, only
    assert BatchService(repos.batches).get(USER, batch.batch_id).status is BatchStatus.COMPLETED

    # Another batch over the same documents, prompts and model: every answer comes from the answer cache.
    second = BatchService(repos.batches).create(USER, CONFIG.model_copy(update={"name": "Same again"}))
    stage(repos, second.batch_id, "job-stage-2")
    cached_only = Counting()
    run(repos, second.batch_id, "job-run-3", cached_only)
    assert cached_only.calls == []
    summary = BatchService(repos.batches).get(USER, second.batch_id).summary
    assert summary is not None and summary.reused_answers == 6
    assert all(r.reused for r in records(repos, second.batch_id).values())


def test_a_record_the_model_keeps_refusing_for_now_is_failed_after_its_attempts(repos: Repositories) -> None:
    upload(repos, "Suppliers", "nda_a.md", (SAMPLES / "nda_mutual_variant_a.md").read_bytes())
    config = CONFIG.model_copy(update={"prompts": CONFIG.prompts[:1]})
    batch = BatchService(repos.batches).create(USER, config)
    stage(repos, batch.batch_id, "job-stage")
    overloaded = Counting(fail={"nda_a.md": LLMTransientError("model still failing after 3 attempts: HTTP 429")})
    run(repos, batch.batch_id, "job-run", overloaded)
    (record,) = records(repos, batch.batch_id).values()
    assert record.status is RecordStatus.F and "429" in (record.error or "")
    assert len(overloaded.calls) == running.MAX_RECORD_ATTEMPTS
    assert BatchService(repos.batches).get(USER, batch.batch_id).status is BatchStatus.FAILED


def test_a_batch_cannot_run_before_it_is_staged(repos: Repositories) -> None:
    batch = BatchService(repos.batches).create(USER, CONFIG)
    with pytest.raises(InvalidTransitionError, match="can be run only when"):
        BatchService(repos.batches).begin_run(USER, batch.batch_id, "job-x")


BAD = {"prompt_tokens": 1_000, "completion_tokens": 50, "total_tokens": 1_050}


@pytest.fixture
def llm(openai_server: OpenAITestServer) -> Iterator[LLMAnalyzer]:
    clock = FakeClock()  # the client's waits (backoff, its turn after a 429) pass at once
    client = LLMClient(openai_server.settings(), sleep=clock.sleep, clock=clock, quota=MemoryQuotaRepository())
    yield LLMAnalyzer(client)
    client.close()


def test_records_that_fail_after_their_calls_carry_them_and_the_summary_counts_them(
    repos: Repositories, openai_server: OpenAITestServer, llm: LLMAnalyzer
) -> None:
    upload(repos, "Suppliers", "nda_a.md", (SAMPLES / "nda_mutual_variant_a.md").read_bytes())
    batch = BatchService(repos.batches).create(USER, CONFIG)
    stage(repos, batch.batch_id, "job-stage")
    # Every reply is unusable, its corrective retry too: 3 records, 6 calls, every one answered and billed.
    openai_server.enqueue(*(Reply(content="not json", usage=BAD) for _ in range(6)))

    run(repos, batch.batch_id, "job-run", llm)  # type: ignore[arg-type]

    assert len(openai_server.requests) == 6
    found = records(repos, batch.batch_id).values()
    assert [r.status for r in found] == [RecordStatus.F] * 3
    assert all("invalid" in (r.error or "") and r.usage.llm_calls == 2 for r in found)
    done = BatchService(repos.batches).get(USER, batch.batch_id)
    assert done.status is BatchStatus.FAILED and done.summary is not None
    summary = done.summary
    assert summary.model_calls == 6  # it said 0 when failed records dropped their calls
    assert (summary.usage.prompt_tokens, summary.usage.completion_tokens, summary.usage.total_tokens) == (
        6_000,
        300,
        6_300,
    )
    # At the default prices (0.0025 / 0.01 per 1,000 tokens): 6,000 prompt and 300 completion tokens.
    assert summary.estimated_cost == pytest.approx(6 * 0.0025 + 0.3 * 0.01)


def test_a_retried_record_counts_what_its_failed_attempt_was_billed_for(
    repos: Repositories, openai_server: OpenAITestServer, llm: LLMAnalyzer
) -> None:
    upload(repos, "Suppliers", "nda_a.md", (SAMPLES / "nda_mutual_variant_a.md").read_bytes())
    config = CONFIG.model_copy(update={"prompts": CONFIG.prompts[:1]})
    batch = BatchService(repos.batches).create(USER, config)
    stage(repos, batch.batch_id, "job-stage")
    # Attempt 1: an unusable reply (billed), then its corrective retry never answered (5xx: not billed), so the
    # record is retried later; attempt 2: a 429 (not billed), then the answer.
    openai_server.enqueue(Reply(content="not json", usage=BAD))
    openai_server.server_error(503, times=3)
    openai_server.rate_limit(retry_after_ms=1)
    openai_server.respond_json(
        {"response_text": "New York law.", "score": 1, "evidence": []},
        usage={"prompt_tokens": 900, "completion_tokens": 40, "total_tokens": 940},
    )

    run(repos, batch.batch_id, "job-run", llm)  # type: ignore[arg-type]

    (record,) = records(repos, batch.batch_id).values()
    assert (record.status, record.attempts) == (RecordStatus.S, 2), record.error
    assert (record.usage.llm_calls, record.usage.total_tokens) == (2, 1_050 + 940)
    summary = BatchService(repos.batches).get(USER, batch.batch_id).summary
    assert summary is not None and (summary.model_calls, summary.usage.total_tokens) == (2, 1_990)
    # The answer cache keeps the answer's own cost: a later reuse is not billed again.
    assert repos.answers.get(USER, str(record.answer_key)).usage.total_tokens == 940  # type: ignore[union-attr]


def test_a_stored_pattern_re2_cannot_run_fails_its_records_with_the_reason_before_any_model_call(
    repos: Repositories,
) -> None:
    """A batch saved before patterns were compiled with RE2 may hold a backreference: it loads, its other prompts
    run, and its checks fail each record with the reason, unpaid."""
    upload(repos, "Suppliers", "nda_a.md", (SAMPLES / "nda_mutual_variant_a.md").read_bytes())
    legacy = BatchConfig.model_validate(
        {
            "name": "Saved before RE2",
            "folders": ["Suppliers"],
            "prompts": [
                {"name": "Governing law", "text": "Which law governs the agreement?"},
                {"name": "Echo", "text": "Check it", "scoring": {"type": "checks", "checks": [
                    {"name": "Repeated word", "regex": r"\b(\w+) \1\b"}]}},
            ],
        }
    )  # fmt: skip
    batch = BatchService(repos.batches).create(USER, legacy)
    stage(repos, batch.batch_id, "job-stage")
    analyzer = Counting()
    run(repos, batch.batch_id, "job-run", analyzer)

    found = records(repos, batch.batch_id)
    echo = found[("nda_a.md", "Echo")]
    assert echo.status is RecordStatus.F
    assert echo.error == (
        "the checks cannot run: check 'Repeated word': backreferences (\\1, (?P=name)) are not supported: "
        "RE2 matches in linear time, without them"
    )
    assert found[("nda_a.md", "Governing law")].status is RecordStatus.S
    assert analyzer.calls == ["nda_a.md/Governing law"]  # the failing record cost no model call
    assert BatchService(repos.batches).get(USER, batch.batch_id).status is BatchStatus.COMPLETED_WITH_ERRORS


def test_hostile_documents_are_listed_with_the_limit_they_broke_and_the_rest_is_staged(repos: Repositories) -> None:
    from tests.support import hostile_files as hostile

    upload(repos, "Suppliers", "nda_a.md", (SAMPLES / "nda_mutual_variant_a.md").read_bytes())
    upload(repos, "Suppliers", "bomb.docx", hostile.zip_bomb_docx(80 << 20))
    upload(repos, "Suppliers", "pages.pdf", hostile.many_pages_pdf(1_001))
    upload(repos, "Suppliers", "list.docx", hostile.numbered_list_docx(10**10, "lowerRoman"))
    batch = BatchService(repos.batches).create(USER, CONFIG.model_copy(update={"prompts": CONFIG.prompts[:1]}))
    stage(repos, batch.batch_id, "job-stage")

    report = {d.filename: d for d in BatchService(repos.batches).get(USER, batch.batch_id).documents}
    assert report["nda_a.md"].status == "staged" and report["list.docx"].status == "staged"
    assert report["bomb.docx"].status == "failed"
    assert "'bomb.docx': unzips to 83,8" in (report["bomb.docx"].reason or "")
    assert report["pages.pdf"].reason == "'pages.pdf': has 1,001 pages, over the 1,000 page limit"
    assert (report["list.docx"].token_count or 0) < 50  # two short numbered items, not millions of numerals
