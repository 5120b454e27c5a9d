"""Shared by the pipeline, activity and orchestrator tests: a real SQLite store in tmp_path, sample contracts."""

from __future__ import annotations

import uuid
from pathlib import Path

from shared.models.contracts import ClauseRecord, Contract
from shared.models.jobs import ComparisonJobRequest, Job, JobType, QueryJobRequest
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


def comparison_job(repos: Repositories, standard: str, compared: list[str], job_id: str = "job-cmp") -> Job:
    request = ComparisonJobRequest(standardContractId=standard, compareContractIds=compared)
    job = Job(job_id=job_id, user_id=USER, job_type=JobType.COMPARISON, request=request.model_dump(mode="json"))
    repos.jobs.create(job)
    return job


def query_job(repos: Repositories, question: str, contract_ids: list[str], job_id: str = "job-q") -> Job:
    request = QueryJobRequest(question=question, contract_ids=contract_ids)
    job = Job(job_id=job_id, user_id=USER, job_type=JobType.QUERY, request=request.model_dump(mode="json"))
    repos.jobs.create(job)
    return job


def clause_contract(prefix: str, clauses: int, words_per_clause: int) -> str:
    """A synthetic contract with numbered clauses of distinct text (for budget tests)."""
    parts = []
    for i in range(1, clauses + 1):
        body = " ".join(f"{prefix}{i}w{j}" for j in range(words_per_clause))
        parts.append(f"{i}. Clause {prefix} {i}. {body}.")
    return "\n\n".join(parts)
