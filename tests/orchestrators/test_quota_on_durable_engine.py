"""Waiting for quota on devhost's Durable engine, replayed by the real SDK: a model call that must wait ends its
activity with a `wait` outcome, the orchestrator sleeps on a durable timer (no worker held) and calls again without
counting an attempt; a 429 storm from the model is waited out the same way and the job completes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import azure.durable_functions as df
import pytest

from activities import comparison as comparison_activities
from orchestrators.retry_policies import LLM_CALL
from shared.analysis.factory import get_analyzer
from shared.jobs.models import JobStatus
from shared.llm.analyzer import LLMAnalyzer
from shared.llm.budget import BudgetState
from shared.llm.calls import QuotaWait
from shared.llm.client import LLMClient
from shared.llm.config import deployment_key
from shared.storage.base import Repositories
from tests.devhost.durable.conftest import wait_done
from tests.orchestrators.test_on_durable_engine import S, client, comparison_job, start
from tests.support.jobs import USER
from tests.support.openai_server import OpenAITestServer

__all__ = ["client"]

TIMER_CREATED = 10


async def timers_of(client: df.DurableOrchestrationClient, instance_id: str) -> int:
    events = (await client.get_status(instance_id, show_history=True)).historyEvents or []
    return sum(1 for e in events if e.get("EventType") in (TIMER_CREATED, "TimerCreated"))


async def test_a_call_waiting_for_quota_sleeps_on_durable_timers_and_counts_no_attempt(
    client: df.DurableOrchestrationClient, repos: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs, job_id = comparison_job(repos, 2)
    plan = LLM_CALL.transient
    assert plan is not None
    waits_each = plan.attempts + 1  # more than a failing call would be allowed
    calls: list[str] = []
    offline = get_analyzer()

    class Queued:
        provider = "offline"  # a stand-in with no context limit: the prompt step has nothing to count

        def compare(self, task: Any) -> Any:
            calls.append(task.compared.contract_id)
            if calls.count(task.compared.contract_id) <= waits_each:
                raise QuotaWait("gpt-4o", 50)  # its turn comes in 50 ms (the orchestrator waits at least 1 s)
            return offline.compare(task)

    monkeypatch.setattr(comparison_activities, "get_analyzer", lambda: Queued())
    await start(client, job_id)
    status = await wait_done(client, job_id, timeout=60)

    assert status.runtime_status == S.Completed, status.output
    assert sorted(calls) == sorted(["c0", "c1"] * (waits_each + 1))
    assert await timers_of(client, job_id) >= 2 * waits_each
    assert jobs.get_job(USER, job_id).status is JobStatus.COMPLETED


@pytest.fixture
def llm_analyzer(openai_server: OpenAITestServer, repos: Repositories) -> Iterator[LLMAnalyzer]:
    """The real LLM client on the test server, keeping its quota in the job store; a known, ample limit (so 429s
    come from someone else's load, as far as the scheduler can tell)."""
    settings = openai_server.settings(llm_max_retries=1, llm_tokens_per_minute_primary=6_000_000)
    llm = LLMClient(settings, quota=repos.quota)
    yield LLMAnalyzer(llm)
    llm.close()


async def test_a_429_storm_is_waited_out_on_durable_timers_and_slows_the_deployment(
    client: df.DurableOrchestrationClient,
    repos: Repositories,
    monkeypatch: pytest.MonkeyPatch,
    openai_server: OpenAITestServer,
    llm_analyzer: LLMAnalyzer,
) -> None:
    jobs, job_id = comparison_job(repos, 3)
    plan = LLM_CALL.transient
    assert plan is not None
    storm = 3 * plan.attempts  # more 429s than the calls' retry plans together would survive as failures
    openai_server.rate_limit(retry_after_ms=100, times=storm)
    monkeypatch.setattr(comparison_activities, "get_analyzer", lambda: llm_analyzer)

    await start(client, job_id)
    status = await wait_done(client, job_id, timeout=90)

    assert status.runtime_status == S.Completed, status.output
    replies = [r.reply_status for r in openai_server.requests]
    assert replies.count(429) == storm and replies.count(200) == 3  # no call failed, none was asked twice
    assert replies[-3:] == [200, 200, 200]  # once the storm passed, the calls went through
    assert await timers_of(client, job_id) >= storm // 3  # each 429 waited on a durable timer, not in a worker
    stored = repos.quota.read(deployment_key(openai_server.settings(), "primary"))
    assert stored is not None
    state = BudgetState.model_validate_json(stored.item)
    assert state.throttled_at > 0 and state.rate < 1.0  # the storm slowed the deployment (it recovers in time)
    assert state.waiters == []  # every reservation was granted in the end: none left behind
    assert jobs.get_job(USER, job_id).status is JobStatus.COMPLETED
