"""What an activity step tells the LLM client and the orchestrator about quota: run_step sets the call context (the
job's user, priority and type, a key stable across re-runs of the same call), a QuotaWait becomes a `wait` outcome
(no failure), and a compare step whose model has no quota yet waits without side effects, then answers when called
again."""

from __future__ import annotations

from typing import Any

import pytest

from activities import comparison as comparison_activities
from activities.support import run_step
from shared.analysis.factory import reset_analyzer
from shared.comparison import names as comparison_names
from shared.comparison.request import ComparisonJobRequest
from shared.jobs.messages import Outcome
from shared.jobs.models import JobRef, JobType, ProcessingStep
from shared.jobs.scope import JobScope
from shared.jobs.service import JobService
from shared.llm.budget import ARRIVAL_MARGIN_S, WINDOW_S, BudgetState
from shared.llm.calls import CallContext, QuotaWait, current_call
from shared.settings import Settings, use_settings
from shared.storage.base import Repositories
from shared.storage.factory import get_repositories
from shared.storage.sqlite.quota import SqliteQuotaRepository
from tests.activities.test_llm_activities import start_comparison, status_of
from tests.orchestrators.fake_context import activity_table
from tests.support.jobs import USER, add_sample
from tests.support.openai_server import OpenAITestServer

ACT = activity_table(comparison_activities.bp)
LIFETIME = WINDOW_S + ARRIVAL_MARGIN_S


class Indexed(JobRef):
    index: int


def new_job(repos: Repositories, priority: int = 5, job_id: str = "job-q") -> str:
    request = ComparisonJobRequest(standardContractId="s", compareContractIds=["a"])
    JobService(repos.jobs).create_job(USER, JobType.COMPARISON, request, job_id=job_id, priority=priority)
    return job_id


def seen_context(ref: JobRef) -> CallContext:
    seen: list[CallContext] = []

    def step(scope: JobScope) -> Outcome:
        context = current_call()
        assert context is not None
        context.priority, context.job_type  # noqa: B018 - read inside the step, as the client does at its first call
        seen.append(context)
        return Outcome()

    run_step("test_activity", ProcessingStep.CALLING_LLM, ref, step)
    return seen[0]


def test_a_step_calls_the_model_as_its_job_with_a_key_stable_across_reruns(repos: Repositories) -> None:
    job_id = new_job(repos, priority=9)
    first = seen_context(Indexed(job_id=job_id, user_id=USER, index=1))
    again = seen_context(Indexed(job_id=job_id, user_id=USER, index=1))
    other = seen_context(Indexed(job_id=job_id, user_id=USER, index=2))
    assert (first.job_id, first.priority, first.defer) == (job_id, 9, True)
    assert (first.user_id, first.job_type) == (USER, "comparison")  # whose: the fair share between users
    assert first.key == again.key != other.key
    assert current_call() is None  # only inside the step


def test_a_quota_wait_is_a_wait_outcome_not_a_failure(repos: Repositories) -> None:
    job_id = new_job(repos)

    def step(scope: JobScope) -> Outcome:
        raise QuotaWait("openai|http://x/v1|gpt-4o", 12_345, ahead=3)

    out = run_step("test_activity", ProcessingStep.CALLING_LLM, JobRef(job_id=job_id, user_id=USER), step)
    assert out["status"] == "wait" and out["retry_after_ms"] == 12_345
    assert out["error"]["type"] == "llm_quota_wait"
    assert "3 calls ahead" in out["error"]["message"]


@pytest.fixture
def one_call_per_window(settings: Settings, openai_server: OpenAITestServer, repos: Repositories) -> OpenAITestServer:
    """The openai provider on the test server, with a quota that takes one comparison call per window."""
    use_settings(openai_server.settings(data_dir=settings.data_dir, llm_tokens_per_minute_primary=6 * 5_000))
    reset_analyzer()
    return openai_server


def compare(job_id: str) -> dict[str, Any]:
    return ACT[comparison_names.COMPARE](
        {"job_id": job_id, "user_id": USER, "contract_id": "nda_mutual_variant_a.md", "items_total": 1}
    )


def test_a_compare_step_without_quota_waits_with_no_side_effect_then_answers(
    repos: Repositories, one_call_per_window: OpenAITestServer
) -> None:

    add_sample(repos, "nda_mutual_standard.md")
    add_sample(repos, "nda_mutual_variant_a.md")
    assert status_of(start_comparison(repos, "job-first")) == "ok"
    assert status_of(compare("job-first")) == "ok"  # takes the whole window
    assert status_of(start_comparison(repos, "job-second")) == "ok"

    waited = compare("job-second")

    assert waited["status"] == "wait" and waited["retry_after_ms"] > 1_000
    assert len(one_call_per_window.requests) == 1  # nothing was sent for the waiting call
    [(key, stored)] = stored_budgets(repos)
    state = BudgetState.model_validate_json(stored)
    assert len(state.waiters) == 1 and len(state.charges) == 1
    # The window passes (the durable timer's wait, without a worker): the same call, again, is answered.
    moved = state.model_copy(update={"charges": [(at - LIFETIME, t, r) for at, t, r in state.charges]})
    current = get_repositories().quota.read(key)
    assert current is not None
    get_repositories().quota.write(key, moved.model_dump_json(), current.etag)

    assert status_of(compare("job-second")) == "ok"
    assert len(one_call_per_window.requests) == 2
    after = BudgetState.model_validate_json(stored_budgets(repos)[0][1])
    assert after.waiters == []  # its reservation was granted, not left behind


def stored_budgets(repos: Repositories) -> list[tuple[str, str]]:
    assert isinstance(repos.quota, SqliteQuotaRepository)
    rows = repos.quota._store.connection().execute("SELECT quota_key, state FROM llm_quota").fetchall()
    return [(row[0], row[1]) for row in rows]
