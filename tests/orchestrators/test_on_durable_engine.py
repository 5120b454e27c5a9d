"""The orchestrators and activities on devhost's Durable engine, replayed by the real SDK: task_any with the cancel
event, retries, custom status and failure propagation as the Functions host would run them."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import azure.durable_functions as df
import pytest

from activities import comparison as comparison_activities
from activities import jobs as job_activities
from activities import query as query_activities
from devhost.durable import DurableEngine
from devhost.indexing import index_app
from orchestrators import comparison as comparison_orchestrator
from orchestrators import query as query_orchestrator
from orchestrators.retry_policies import LLM_CALL, StepPolicy, TransientRetry
from shared.analysis.factory import get_analyzer
from shared.comparison.names import ORCHESTRATOR as COMPARISON_ORCHESTRATOR
from shared.comparison.request import ComparisonJobRequest
from shared.jobs.models import JobRef, JobStatus, JobType
from shared.jobs.names import CANCEL_EVENT
from shared.jobs.service import JobService
from shared.llm.errors import LLMPermanentError, LLMTransientError
from shared.storage.base import Repositories
from tests.devhost.durable.conftest import reset_sdk_session, wait_done, wait_for
from tests.support.jobs import USER, add_sample

S = df.OrchestrationRuntimeStatus
_APP = df.DFApp()
for _bp in (comparison_orchestrator.bp, query_orchestrator.bp, job_activities.bp, comparison_activities.bp,
            query_activities.bp):  # fmt: skip
    _APP.register_functions(_bp)
FUNCTIONS = index_app(_APP)


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


def comparison_job(repos: Repositories, compared: int) -> tuple[JobService, str]:
    add_sample(repos, "nda_mutual_standard.md", contract_id="std")
    ids = []
    for i in range(compared):
        name = ["nda_mutual_variant_a.md", "nda_mutual_variant_b.txt", "msa_variant_a.txt"][i % 3]
        ids.append(add_sample(repos, name, contract_id=f"c{i}").contract_id)
    jobs = JobService(repos.jobs)
    request = ComparisonJobRequest(standardContractId="std", compareContractIds=ids)
    job = jobs.create_job(USER, JobType.COMPARISON, request.model_dump(mode="json"))
    return jobs, job.job_id


async def start(client: df.DurableOrchestrationClient, job_id: str) -> None:
    payload = JobRef(job_id=job_id, user_id=USER).model_dump(mode="json")
    await client.start_new(COMPARISON_ORCHESTRATOR, job_id, payload)


def history_bytes(events: list[dict[str, Any]]) -> int:
    return sum(len(json.dumps(e.get(k))) for e in events for k in ("Input", "Result") if e.get(k) is not None)


async def test_ten_contract_comparison_completes_on_the_engine(
    client: df.DurableOrchestrationClient, repos: Repositories
) -> None:
    jobs, job_id = comparison_job(repos, 10)
    await start(client, job_id)
    status = await wait_done(client, job_id, timeout=60)

    assert status.runtime_status == S.Completed
    assert status.output == {"job_id": job_id, "status": "completed", "result_id": f"res_{job_id}"}
    assert status.custom_status["percentage"] == 100
    job = jobs.get_job(USER, job_id)
    assert (job.status, job.result_id, job.progress.percentage) == (JobStatus.COMPLETED, f"res_{job_id}", 100)
    events = (await client.get_status(job_id, show_history=True, show_history_output=True)).historyEvents or []
    size = history_bytes(events)
    print(f"\nengine: 10-contract comparison history: {len(events)} events, {size} bytes of inputs and results")
    assert size < 20_000


async def test_cancel_event_ends_a_running_job_cancelled(
    client: df.DurableOrchestrationClient, repos: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs, job_id = comparison_job(repos, 12)
    offline = get_analyzer()

    class Slow:
        provider = "offline"  # a stand-in with no context limit: the prompt step has nothing to count

        def compare(self, task: Any) -> Any:
            time.sleep(0.3)  # a slow model, so the cancel lands mid fan-out
            return offline.compare(task)

    monkeypatch.setattr(comparison_activities, "get_analyzer", lambda: Slow())
    await start(client, job_id)

    async def calling_llm() -> bool:
        custom = (await client.get_status(job_id)).custom_status or {}
        return custom.get("current_step") == "calling_llm"

    await wait_for(calling_llm, timeout=30)
    jobs.cancel(USER, job_id)  # what the cancel endpoint does, then it raises the event
    await client.raise_event(job_id, CANCEL_EVENT, {"reason": "user"})
    status = await wait_done(client, job_id, timeout=30)

    assert status.runtime_status == S.Completed
    assert status.output["status"] == "cancelled"
    assert status.custom_status["message"] == "Cancelled"
    job = jobs.get_job(USER, job_id)
    assert (job.status, job.result_id) == (JobStatus.CANCELLED, None)


async def test_permanent_failure_fails_job_and_instance(
    client: df.DurableOrchestrationClient, repos: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs, job_id = comparison_job(repos, 3)

    class Rejecting:
        provider = "offline"  # a stand-in with no context limit: the prompt step has nothing to count

        def compare(self, task: Any) -> Any:
            raise LLMPermanentError("LLM rejected the request (400): context_length_exceeded")

    monkeypatch.setattr(comparison_activities, "get_analyzer", lambda: Rejecting())
    await start(client, job_id)
    status = await wait_done(client, job_id, timeout=30)

    assert status.runtime_status == S.Failed
    job = jobs.get_job(USER, job_id)
    assert job.status is JobStatus.FAILED
    assert job.error_details == {
        "step": "calling_llm",
        "type": "llm_rejected",
        "message": "LLM rejected the request (400): context_length_exceeded",
    }
    assert status.custom_status["message"].startswith("Failed at calling_llm: LLM rejected the request")


async def test_outage_that_outlasts_the_retries_fails_the_job_naming_it(
    client: df.DurableOrchestrationClient, repos: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs, job_id = comparison_job(repos, 2)
    attempts: list[str] = []

    class Down:
        provider = "offline"  # a stand-in with no context limit: the prompt step has nothing to count

        def compare(self, task: Any) -> Any:
            attempts.append(task.compared.contract_id)
            raise LLMTransientError("Azure OpenAI returned 503 Service Unavailable (after 4 tries)")

    monkeypatch.setattr(comparison_activities, "get_analyzer", lambda: Down())
    # The real plan waits 30 s before its first retry; the behaviour under test is the same with a short one.
    short = StepPolicy(LLM_CALL.raised, TransientRetry(attempts=2, first_delay_ms=50))
    monkeypatch.setattr(comparison_orchestrator, "LLM_CALL", short)
    await start(client, job_id)
    status = await wait_done(client, job_id, timeout=30)

    assert status.runtime_status == S.Failed
    # Each call is tried at most twice, per the policy, and the job fails when the first one has used its two: the
    # other's second attempt may or may not have started by then (the two run side by side).
    tries = Counter(attempts)
    assert set(tries) == {"c0", "c1"} and max(tries.values()) == 2 and all(n <= 2 for n in tries.values()), attempts
    job = jobs.get_job(USER, job_id)
    assert job.status is JobStatus.FAILED
    assert job.error_details is not None
    assert job.error_details["step"] == "calling_llm"
    assert job.error_details["type"] == "llm_unavailable"
    assert job.error_details["message"].startswith("LLM unavailable: Azure OpenAI returned 503")
    assert job.error_details["message"].endswith("(after 2 attempts)")
    assert "503 Service Unavailable" in job.error_details["message"]
    assert "Traceback" not in job.error_details["message"]
