"""Shared by the workflow-step, activity and orchestrator tests: a real SQLite store in tmp_path, sample contracts."""

from __future__ import annotations

import uuid
from pathlib import Path

from shared.comparison.request import ComparisonJobRequest
from shared.contracts.models import ClauseRecord, Contract
from shared.jobs import lifecycle
from shared.jobs.document import ComparisonJob, QueryJob
from shared.jobs.messages import FinalizeJobInput, StartJobInput
from shared.jobs.models import JobProgress, utcnow
from shared.jobs.scope import JobScope
from shared.jobs.service import JobService
from shared.query.request import QueryJobRequest, Retrieval
from shared.storage.base import Repositories
from shared.text.segmentation import segment
from shared.text.tokens import count_tokens

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
USER = "user-alice"
OTHER_USER = "user-bob"


def make_contract(user_id: str, title: str, text: str, contract_id: str | None = None) -> Contract:
    """As the contracts endpoint builds it: segmented clauses with offsets, exact token count."""
    clauses = [
        ClauseRecord(
            index=c.index, number=c.number, title=c.title, text=c.text, start=c.start, end=c.end, level=c.level
        )
        for c in segment(text)
    ]
    return Contract(
        contract_id=contract_id or f"contract_{uuid.uuid4().hex[:10]}",
        user_id=user_id,
        title=title,
        text=text,
        clauses=clauses,
        token_count=count_tokens(text),
    )


def add_sample(repos: Repositories, name: str, user_id: str = USER, contract_id: str | None = None) -> Contract:
    contract = make_contract(user_id, name, (SAMPLES / name).read_text(encoding="utf-8"), contract_id or name)
    repos.contracts.add(contract)
    return contract


def add_text(repos: Repositories, contract_id: str, text: str, user_id: str = USER, title: str = "") -> Contract:
    contract = make_contract(user_id, title or contract_id, text, contract_id)
    repos.contracts.add(contract)
    return contract


def comparison_job(repos: Repositories, standard: str, compared: list[str], job_id: str = "job-cmp") -> ComparisonJob:
    request = ComparisonJobRequest(standardContractId=standard, compareContractIds=compared)
    job = ComparisonJob(job_id=job_id, user_id=USER, request=request)
    repos.jobs.create(job)
    return job


def query_job(
    repos: Repositories, question: str, contract_ids: list[str], job_id: str = "job-q", retrieval: Retrieval = "ranked"
) -> QueryJob:
    request = QueryJobRequest(question=question, contract_ids=contract_ids, retrieval=retrieval)
    job = QueryJob(job_id=job_id, user_id=USER, request=request)
    repos.jobs.create(job)
    return job


def job_scope(repos: Repositories, job_id: str, ttl: int | None = None, user_id: str = USER) -> JobScope:
    """The scope a step activity runs in (activities/support.py), over `repos`."""
    return JobScope(repos=repos, jobs=JobService(repos.jobs), user_id=user_id, job_id=job_id, ttl=ttl)


def start_job(scope: JobScope) -> JobProgress:
    """The job's start step (queued -> processing, its first progress), as the start activity runs it."""
    data = StartJobInput(user_id=scope.user_id, job_id=scope.job_id, instance_id=scope.job_id, started_at=utcnow())
    started = lifecycle.start(scope.jobs, data)
    assert started.progress is not None
    return started.progress


def complete_job(scope: JobScope, result_id: str) -> JobProgress:
    """The job's finalize step for a saved result, as the finalize activity runs it."""
    data = FinalizeJobInput(
        user_id=scope.user_id, job_id=scope.job_id, status="completed", result_id=result_id, finished_at=utcnow()
    )
    return lifecycle.finalize(scope.jobs, scope.repos, data).progress


Shown = tuple[str, int, str, int, int]


def shown(progress: JobProgress | None) -> Shown:
    """What a user sees of a job's progress: step, percentage, message, items done and total."""
    assert progress is not None
    return (
        progress.current_step.value,
        progress.percentage,
        progress.message,
        progress.items_done,
        progress.items_total,
    )


def clause_contract(prefix: str, clauses: int, words_per_clause: int) -> str:
    """A synthetic contract with numbered clauses of distinct text (for budget tests)."""
    parts = []
    for i in range(1, clauses + 1):
        body = " ".join(f"{prefix}{i}w{j}" for j in range(words_per_clause))
        parts.append(f"{i}. Clause {prefix} {i}. {body}.")
    return "\n\n".join(parts)
