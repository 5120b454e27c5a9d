"""The LLM activities' failure handling: what Durable retries and what fails the job at once."""

from __future__ import annotations

from typing import Any

import pytest

from activities import comparison as comparison_activities
from activities import names
from activities import query as query_activities
from shared.llm.errors import LLMOutputInvalid, LLMPermanentError, LLMTransientError
from shared.pipeline import comparison_steps
from shared.pipeline.scope import JobScope
from shared.storage.base import Repositories
from tests.orchestrators.fake_context import activity_table
from tests.pipeline.helpers import USER, add_sample, comparison_job

ACT = activity_table(comparison_activities.bp, query_activities.bp)


class Failing:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def compare(self, task: Any) -> Any:
        raise self.error


@pytest.fixture
def prepared(repos: Repositories) -> Repositories:
    add_sample(repos, "nda_mutual_standard.md")
    add_sample(repos, "nda_mutual_variant_a.md")
    comparison_job(repos, "nda_mutual_standard.md", ["nda_mutual_variant_a.md"])
    scope = JobScope(repos, USER, "job-cmp", ttl=None)
    comparison_steps.retrieve(scope)
    comparison_steps.prompt(scope)
    return repos


def compare_payload() -> dict[str, Any]:
    return {"job_id": "job-cmp", "user_id": USER, "contract_id": "nda_mutual_variant_a.md", "item_index": 0,
            "items_total": 1}  # fmt: skip


@pytest.mark.parametrize(
    ("error", "kind", "message"),
    [
        (LLMPermanentError("(400) bad parameter"), "llm_rejected", "LLM rejected the request: (400) bad parameter"),
        (LLMOutputInvalid("failed twice"), "llm_invalid_output", "LLM returned invalid output: failed twice"),
    ],
)
def test_permanent_llm_failures_come_back_as_an_error_summary(
    prepared: Repositories, monkeypatch: pytest.MonkeyPatch, error: Exception, kind: str, message: str
) -> None:
    monkeypatch.setattr(comparison_activities, "get_analyzer", lambda: Failing(error))
    out = ACT[names.COMPARISON_COMPARE](compare_payload())
    assert out["status"] == "error"
    assert out["error"] == {"step": "calling_llm", "type": kind, "message": message}


def test_transient_llm_failures_propagate_for_durable_retry(
    prepared: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(comparison_activities, "get_analyzer", lambda: Failing(LLMTransientError("429 for 5 minutes")))
    with pytest.raises(LLMTransientError):
        ACT[names.COMPARISON_COMPARE](compare_payload())


def test_compare_activity_checks_for_cancel_before_calling_the_model(
    prepared: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.jobs import JobService

    JobService(prepared.jobs).cancel(USER, "job-cmp")
    monkeypatch.setattr(comparison_activities, "get_analyzer", lambda: Failing(AssertionError("model called")))
    out = ACT[names.COMPARISON_COMPARE](compare_payload())
    assert (out["status"], out["note"]) == ("skipped", "skipped: cancelled")


def test_retrieve_activity_reports_a_deleted_contract(prepared: Repositories) -> None:
    prepared.contracts.delete(USER, "nda_mutual_variant_a.md")
    out = ACT[names.COMPARISON_RETRIEVE]({"job_id": "job-cmp", "user_id": USER})
    assert out["status"] == "error"
    assert out["error"]["type"] == "contracts_missing"
    assert "nda_mutual_variant_a.md" in out["error"]["message"]


def test_malformed_input_is_rejected() -> None:
    with pytest.raises(ValueError):
        ACT[names.COMPARISON_COMPARE]({"job_id": "job-cmp"})
