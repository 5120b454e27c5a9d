"""The LLM activities' failure handling: what Durable retries and what fails the job at once."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from activities import comparison as comparison_activities
from activities import names
from activities import query as query_activities
from shared.analysis.factory import get_analyzer, reset_analyzer
from shared.llm.errors import LLMOutputInvalid, LLMPermanentError, LLMTransientError
from shared.models.analysis import ComparisonTask
from shared.models.jobs import ComparisonJobRequest, Job, JobType
from shared.pipeline import artifacts, comparison_steps
from shared.pipeline.prompts import CHAT_FRAMING_TOKENS
from shared.pipeline.scope import JobScope
from shared.settings import Settings, use_settings
from shared.storage.base import Repositories
from shared.text.tokens import count_tokens
from tests.orchestrators.fake_context import activity_table
from tests.pipeline.helpers import USER, add_sample, comparison_job
from tests.support.openai_server import OpenAITestServer, parse_contracts

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
    comparison_steps.prompt(scope, get_analyzer(), 4_000)
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


# --- a pair too large for the model fails the job before any model call ---------------------------------------

CONTEXT = 3_500  # the NDA pair's full prompt is ~3,700 tokens; with only one standard clause it is ~2,300
RESERVE = 500


@pytest.fixture
def small_model(repos: Repositories, settings: Settings, openai_server: OpenAITestServer) -> OpenAITestServer:
    """The openai provider on the test server, with a context the full NDA comparison does not fit."""
    use_settings(
        openai_server.settings(
            data_dir=settings.data_dir, llm_context_tokens_primary=CONTEXT, llm_max_output_tokens=RESERVE
        )
    )
    reset_analyzer()
    add_sample(repos, "nda_mutual_standard.md")
    add_sample(repos, "nda_mutual_variant_a.md")
    return openai_server


def start_comparison(repos: Repositories, job_id: str = "job-cmp", **request: Any) -> dict[str, Any]:
    """Create the job and run the retrieve and prompt activities; the prompt activity's summary."""
    body = ComparisonJobRequest(
        standardContractId="nda_mutual_standard.md", compareContractIds=["nda_mutual_variant_a.md"], **request
    )
    repos.jobs.create(
        Job(job_id=job_id, user_id=USER, job_type=JobType.COMPARISON, request=body.model_dump(mode="json"))
    )
    step = {"job_id": job_id, "user_id": USER}
    assert ACT[names.COMPARISON_RETRIEVE](step)["status"] != "error"
    return ACT[names.COMPARISON_PROMPT](step)


def test_a_pair_over_the_context_fails_the_prompt_step_before_any_model_call(
    repos: Repositories, small_model: OpenAITestServer
) -> None:
    out = start_comparison(repos)

    assert out["status"] == "error"
    error = out["error"]
    assert (error["step"], error["type"]) == ("generating_prompt", "comparison_too_large")
    needed = int(re.search(r"needs a prompt of (\d+) tokens", error["message"]).group(1))  # type: ignore[union-attr]
    assert needed > CONTEXT - RESERVE
    assert f"allows {CONTEXT - RESERVE} (context {CONTEXT} minus {RESERVE} reserved for output)" in error["message"]
    assert "'nda_mutual_variant_a.md' ('nda_mutual_variant_a.md')" in error["message"]
    assert 'comparisonMode "clauses"' in error["message"]
    assert needed < CONTEXT + 1_000, "the whole pair, not a multiple of it"
    assert small_model.requests == []
    # No task was stored, so no compare activity can send the pair either.
    assert (
        JobScope(repos, USER, "job-cmp", ttl=None).artifacts.find(
            artifacts.comparison_task("nda_mutual_variant_a.md"), ComparisonTask
        )
        is None
    )


def test_clauses_mode_sends_only_the_selected_standard_clause_and_fits(
    repos: Repositories, small_model: OpenAITestServer
) -> None:
    out = start_comparison(repos, comparisonMode="clauses", selectedClauses=["Term and Duration of Obligations"])
    assert out["status"] != "error", out

    answered = ACT[names.COMPARISON_COMPARE](compare_payload())

    assert answered["status"] != "error", answered
    [request] = small_model.requests
    standard, compared = parse_contracts(request.text())
    assert [c[0] for c in standard.clauses] == ["Term and Duration of Obligations"]
    assert len(compared.clauses) > 5  # the compared contract goes whole


def needed_tokens(prompt_error: dict[str, Any]) -> int:
    return int(re.search(r"needs a prompt of (\d+) tokens", prompt_error["message"]).group(1))  # type: ignore[union-attr]


def use_context(openai_server: OpenAITestServer, settings: Settings, context: int) -> None:
    use_settings(
        openai_server.settings(
            data_dir=settings.data_dir, llm_context_tokens_primary=context, llm_max_output_tokens=RESERVE
        )
    )
    reset_analyzer()


def test_clauses_mode_without_selection_is_counted_exactly_as_sent(
    repos: Repositories, settings: Settings, small_model: OpenAITestServer
) -> None:
    # Every standard clause goes, so the pair does not fit where the full comparison does not either.
    too_large = start_comparison(repos, "job-all", comparisonMode="clauses")
    assert too_large["status"] == "error"
    assert too_large["error"]["type"] == "comparison_too_large"
    assert 'use comparisonMode "clauses" with selectedClauses' in too_large["error"]["message"]
    needed = needed_tokens(too_large["error"])

    # One token short of the count still fails; exactly the count fits (the count is exact, not an estimate).
    use_context(small_model, settings, needed + RESERVE - 1)
    assert start_comparison(repos, "job-short", comparisonMode="clauses")["status"] == "error"
    use_context(small_model, settings, needed + RESERVE)
    assert start_comparison(repos, "job-fits", comparisonMode="clauses")["status"] != "error"
    answered = ACT[names.COMPARISON_COMPARE]({**compare_payload(), "job_id": "job-fits"})
    assert answered["status"] != "error", answered

    # What went out is what was counted: both messages, the chat framing and the clauses-mode schema.
    [sent] = small_model.requests
    schema = json.dumps(sent.json_schema, separators=(",", ":"))
    recount = sum(count_tokens(m["content"]) for m in sent.messages) + CHAT_FRAMING_TOKENS + count_tokens(schema)
    assert recount == needed
    assert '"added"' not in schema
    standard, _ = parse_contracts(sent.text())
    assert len(standard.clauses) == 14  # the whole standard NDA, one finding each
