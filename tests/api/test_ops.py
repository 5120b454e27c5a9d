"""GET /api/ops/summary and GET /api/me: the `ops` app role from the EasyAuth principal (or DEV_OPS for the local
development caller, never in Azure), and the figures an operator reads: model calls driven through the real LLM
client against the OpenAI test server (a 429 among them), jobs of two users, the scheduler's queue, a failure's
reason; and nothing of a contract or a raw user id in the answer."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel

from shared.errors import ErrorBody
from shared.hosting import Hosting
from shared.jobs.document import Job, parse_job
from shared.jobs.errors import describe
from shared.jobs.models import JobStatus, JobType, utcnow
from shared.jobs.service import JobService
from shared.llm.budget import BudgetState, Waiter
from shared.llm.chat_message import ChatMessage
from shared.llm.client import LLMClient
from shared.llm.config import deployment_key
from shared.llm.errors import LLMPermanentError
from shared.ops.models import OpsSummary
from shared.ops.usage_ledger import UsageLedger, use_ledger
from shared.settings import Settings
from shared.storage.base import Repositories
from shared.telemetry.attributes import user_hash
from tests.api.conftest import CONTRACT_TEXT, Api
from tests.support.openai_server import OpenAITestServer
from tests.support.quota import FakeClock, MemoryQuotaRepository

OID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
SUMMARY = "/api/ops/summary"


def principal(user_id: str, *roles: str) -> dict[str, str]:
    claims = [{"typ": OID, "val": user_id}, *({"typ": "roles", "val": role} for role in roles)]
    body = {"auth_typ": "aad", "claims": claims, "name_typ": "name", "role_typ": "roles"}
    return {"x-ms-client-principal": base64.b64encode(json.dumps(body).encode()).decode()}


# --- who may read it ----------------------------------------------------------------------------------------


async def test_without_the_role_it_is_403_in_the_error_shape(api: Api) -> None:
    reply = await api.call("GET", SUMMARY, user="alice")
    assert reply.status == 403 and reply.error_code == "role_required"
    ErrorBody.model_validate(reply.json)
    reply = await api.call("GET", SUMMARY, user=None, headers=principal("oid-1", "reader"))
    assert reply.status == 403
    assert (await api.call("GET", SUMMARY, user=None)).status == 401  # nobody signed in


async def test_an_easyauth_principal_with_the_ops_role_reads_it(api: Api) -> None:
    reply = await api.call("GET", SUMMARY, user=None, headers=principal("oid-1", "ops"))
    assert reply.status == 200, reply.body
    summary = OpsSummary.model_validate(reply.json)
    assert summary.last_hour.jobs.total == 0 and summary.last_day.deployments == []
    assert summary.currency == "USD"  # every estimated_cost is in COST_CURRENCY
    assert reply.headers["cache-control"] == "no-store"


async def test_dev_ops_grants_it_to_the_local_development_caller(api: Api, configure: Any) -> None:
    configure(dev_user_id="dev", dev_ops=True)
    assert (await api.call("GET", SUMMARY, user=None)).status == 200
    assert (await api.call("GET", SUMMARY, user="alice")).status == 403  # a principal is not the dev caller
    configure(dev_user_id="dev", dev_ops=False)
    assert (await api.call("GET", SUMMARY, user=None)).status == 403


async def test_dev_ops_is_ignored_in_azure(api: Api, configure: Any, host_in: Any) -> None:
    configure(dev_user_id="dev", dev_ops=True)
    host_in(Hosting.azure(easy_auth=True))
    assert (await api.call("GET", SUMMARY, user=None)).status == 401  # no development caller in Azure
    assert (await api.call("GET", SUMMARY, user="oid-1")).status == 403
    assert (await api.call("GET", SUMMARY, user=None, headers=principal("oid-1", "ops"))).status == 200


async def test_me_tells_the_page_the_callers_roles(api: Api, configure: Any) -> None:
    reply = await api.call("GET", "/api/me", user="alice")
    assert (reply.status, reply.json) == (200, {"user_id": "alice", "roles": []})
    reply = await api.call("GET", "/api/me", user=None, headers=principal("oid-1", "ops", "reader"))
    assert reply.json == {"user_id": "oid-1", "roles": ["ops"]}
    configure(dev_user_id="dev", dev_ops=True)
    assert (await api.call("GET", "/api/me", user=None)).json == {"user_id": "dev", "roles": ["ops"]}


# --- what it says -------------------------------------------------------------------------------------------

MESSAGES: list[ChatMessage] = [{"role": "user", "content": f"<contract>{CONTRACT_TEXT}</contract> Which law?"}]
PRICES = {
    "llm_price_per_1k_prompt_tokens_primary": 0.01,
    "llm_price_per_1k_completion_tokens_primary": 0.03,
    "llm_price_per_1k_prompt_tokens_secondary": 0.001,
    "llm_price_per_1k_completion_tokens_secondary": 0.002,
}


class Answer(BaseModel):
    answer: str


@pytest.fixture
def ledger(repos: Repositories) -> Iterator[UsageLedger]:
    """This worker's usage ledger (the summary writes what it holds before reading)."""
    ledger = UsageLedger(repos.usage)
    use_ledger(ledger)
    yield ledger
    use_ledger(None)


@pytest.fixture
def llm(openai_server: OpenAITestServer, configure: Any, settings: Settings) -> Iterator[LLMClient]:
    current = configure(
        **openai_server.settings(data_dir=settings.data_dir, dev_user_id="dev", dev_ops=True, **PRICES).model_dump()
    )
    clock = FakeClock(time.time())
    client = LLMClient(current, sleep=clock.sleep, rand=lambda: 0.5, quota=MemoryQuotaRepository(), clock=clock)
    yield client
    client.close()


def job(user_id: str, job_id: str, job_type: JobType = JobType.COMPARISON, **fields: Any) -> Job:
    requests = {
        JobType.COMPARISON: {"standardContractId": "s", "compareContractIds": ["a"]},
        JobType.QUERY: {"question": "Which law governs?", "contract_ids": ["a"]},
    }
    when = utcnow() - timedelta(minutes=10)
    return parse_job(
        {"job_id": job_id, "user_id": user_id, "job_type": job_type, "request": requests[job_type], "created_at": when}
        | fields
    )


async def test_the_figures_of_model_calls_jobs_queue_and_failures(
    api: Api, repos: Repositories, openai_server: OpenAITestServer, llm: LLMClient, ledger: UsageLedger
) -> None:
    # Model calls: the primary deployment is throttled once, then answers; the secondary answers.
    openai_server.rate_limit(retry_after_ms=100)
    openai_server.respond_json(
        {"answer": "Washington"}, usage={"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500}
    )
    openai_server.respond_json(
        {"answer": "Washington"}, usage={"prompt_tokens": 400, "completion_tokens": 100, "total_tokens": 500}
    )
    llm.complete_json(MESSAGES, Answer, "answer", "primary", max_tokens=300)
    llm.complete_json(MESSAGES, Answer, "answer", "secondary", max_tokens=300)
    assert [r.reply_status for r in openai_server.requests] == [429, 200, 200]

    # Jobs of two users: one running, one failed with its reason, one completed, one queued query.
    service = JobService(repos.jobs)
    for item in (
        job("alice", "job-running", status=JobStatus.PROCESSING, started_at=utcnow() - timedelta(minutes=5)),
        job("alice", "job-failing", status=JobStatus.PROCESSING),
        job("bob", "job-done", status=JobStatus.COMPLETED),
        job("bob", "job-queued", JobType.QUERY, created_at=utcnow() - timedelta(hours=3)),
    ):
        repos.jobs.create(item)
    refused = LLMPermanentError("model 'test-model-primary' rejected the request: HTTP 400: content filtered")
    reason = describe("calling_llm", refused).model_dump()
    service.update_status("alice", "job-failing", JobStatus.FAILED, error_details=reason)

    # Two calls wait for the primary deployment's quota.
    now = time.time()
    waiting = [Waiter(key=f"k{i}", priority=5, tokens=2_000, since=now - 30, until=now + 60) for i in range(2)]
    state = BudgetState(waiters=waiting, paused_until=now + 600)
    repos.quota.write(deployment_key(llm._settings, "primary"), state.model_dump_json(), None)

    reply = await api.call("GET", SUMMARY, user=None)
    assert reply.status == 200, reply.body
    summary = OpsSummary.model_validate(reply.json)
    hour = summary.last_hour
    primary, secondary = hour.deployments
    assert (primary.deployment, primary.selection) == ("test-model-primary", "primary")
    assert (primary.calls, primary.answered, primary.throttled, primary.throttled_share) == (2, 1, 1, 0.5)
    assert (primary.prompt_tokens, primary.completion_tokens) == (1200, 300)
    assert primary.estimated_cost == pytest.approx(1.2 * 0.01 + 0.3 * 0.03)
    assert (secondary.deployment, secondary.calls, secondary.throttled_share) == ("test-model-secondary", 1, 0.0)
    assert secondary.estimated_cost == pytest.approx(0.4 * 0.001 + 0.1 * 0.002)
    assert (hour.total.calls, hour.total.throttled, hour.total.prompt_tokens) == (3, 1, 1600)
    assert hour.total.throttled_share == pytest.approx(1 / 3, abs=1e-4)
    assert hour.total.estimated_cost == pytest.approx(0.021 + 0.0006)
    assert summary.last_day.total.calls == 3

    assert hour.jobs.total == 3 and summary.last_day.jobs.total == 4  # the queued query is three hours old
    assert hour.jobs.by_status == {"queued": 0, "processing": 1, "completed": 1, "failed": 1, "cancelled": 0}
    assert summary.last_day.jobs.by_type["query"] == 1 and hour.jobs.by_type["comparison"] == 3

    [queue] = [b for b in summary.backlog if b.selection == "primary"]
    assert (queue.deployment, queue.waiting, queue.waiting_tokens) == ("test-model-primary", 2, 4_000)
    assert queue.oldest_wait_s is not None and queue.oldest_wait_s >= 30
    assert queue.paused_for_s > 0

    oldest = summary.oldest_running
    assert oldest is not None and (oldest.job_id, oldest.job_type) == ("job-running", JobType.COMPARISON)
    assert oldest.running_s is not None and oldest.age_s >= oldest.running_s
    assert oldest.user_hash == user_hash("alice", None)
    assert oldest.title.startswith("Comparison of ")  # a job's title, never its id

    [failed] = summary.failed_jobs
    assert (failed.job_id, failed.step, failed.error_type) == ("job-failing", "calling_llm", "llm_rejected")
    assert "content filtered" in failed.message and failed.failed_at is not None

    # Counts and hashes only: no raw user id, no contract text.
    text = reply.body.decode()
    for secret in ("alice", "bob", "Washington", "MASTER SERVICES AGREEMENT", "Statement of Work"):
        assert secret not in text
