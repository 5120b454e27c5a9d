"""Submitting a job while the store falters: once its orchestration has started, the caller hears that it runs."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from shared.jobs import submission
from shared.jobs.models import JobStatus, JobType
from shared.jobs.service import JobService
from shared.storage.sqlite import sqlite_repositories
from tests.support.jobs import USER, add_sample


class Orchestrations:
    def __init__(self) -> None:
        self.started: list[str] = []

    async def start_new(self, name: str, instance_id: str | None = None, client_input: Any | None = None) -> str:
        assert instance_id is not None
        self.started.append(instance_id)
        return instance_id

    async def raise_event(self, instance_id: str, event_name: str, event_data: Any = None) -> None:
        raise AssertionError("not used")


async def test_a_started_job_whose_instance_cannot_be_recorded_is_still_answered_as_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repos = sqlite_repositories(tmp_path)
    add_sample(repos, "nda_mutual_standard.md")
    add_sample(repos, "nda_mutual_variant_a.md")

    def locked(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(JobService, "set_instance", locked)
    monkeypatch.setattr(submission, "SET_INSTANCE_BUDGET_S", 0.1)
    orchestrations = Orchestrations()
    request = {"standardContractId": "nda_mutual_standard.md", "compareContractIds": ["nda_mutual_variant_a.md"]}

    job = await submission.submit_job(orchestrations, repos, USER, JobType.COMPARISON, request)

    # Not a 503: the caller would submit it again and the same work would be paid for twice.
    assert orchestrations.started == [job.job_id] and job.instance_id == job.job_id
    stored = JobService(repos.jobs).get_job(USER, job.job_id)
    assert stored.status is JobStatus.QUEUED  # its start activity records the instance when the store answers
