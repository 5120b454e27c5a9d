"""The LLM activities' failure handling: what fails the job at once, what the orchestrator retries on durable
timers, and what Durable retries."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from azure.core.exceptions import ServiceRequestError

from activities import comparison as comparison_activities
from activities import query as query_activities
from activities.support import job_scope
from shared.analysis.factory import get_analyzer, reset_analyzer
from shared.comparison import artifacts as comparison_artifacts
from shared.comparison import names as comparison_names
from shared.comparison import steps as comparison_steps
from shared.comparison.models import AnalyzedComparison, ComparisonTask
from shared.comparison.request import ComparisonJobRequest
from shared.jobs.document import ComparisonJob
from shared.jobs.messages import Outcome
from shared.jobs.models import JobRef
from shared.jobs.scope import JobScope
from shared.jobs.service import JobService
from shared.llm.errors import LLMOutputInvalid, LLMPermanentError, LLMTransientError
from shared.settings import Settings, use_settings
from shared.storage.base import Repositories
from shared.storage.unavailable import StoreUnavailable
from tests.orchestrators.fake_context import activity_table
from tests.support.chat_tokens import guide_prompt_tokens
from tests.support.jobs import USER, add_sample, comparison_job
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
    scope = scope_of("job-cmp")
    comparison_steps.retrieve(scope)
    comparison_steps.prompt(scope, get_analyzer(), 4_000)
    return repos


def status_of(out: dict[str, Any]) -> str:
    """An activity's outcome status as the orchestrator reads it (history leaves out the default "ok")."""
    return Outcome.model_validate(out).status


def scope_of(job_id: str) -> JobScope:
    """The scope the activities work in (the process-wide stores the `repos` fixture points at)."""
    return job_scope(JobRef(job_id=job_id, user_id=USER))


def compare_payload() -> dict[str, Any]:
    return {"job_id": "job-cmp", "user_id": USER, "contract_id": "nda_mutual_variant_a.md", "items_total": 1}


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
    out = ACT[comparison_names.COMPARE](compare_payload())
    assert out["status"] == "error"
    assert out["error"] == {"step": "calling_llm", "type": kind, "message": message}


def test_transient_llm_failures_come_back_as_retry_for_the_orchestrators_durable_timer(
    prepared: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = JobService(prepared.jobs).get_job(USER, "job-cmp").progress
    hinted = LLMTransientError("429 for 5 minutes", details={"status": 429, "retry_after_ms": 300_000})
    monkeypatch.setattr(comparison_activities, "get_analyzer", lambda: Failing(hinted))

    out = ACT[comparison_names.COMPARE](compare_payload())

    # Not raised (that would be Durable's in-process retry, holding no timer for the model's "come back in"): the
    # orchestrator waits at least retry_after_ms on a durable timer, then calls again.
    assert out == {
        "status": "retry",
        "error": {"step": "calling_llm", "type": "llm_unavailable", "message": "LLM unavailable: 429 for 5 minutes"},
        "retry_after_ms": 300_000,
    }
    # Nothing was counted or stored, so the retry asks the model again and counts the contract then.
    assert JobService(prepared.jobs).get_job(USER, "job-cmp").progress == before
    output = comparison_artifacts.of_contract("output", "nda_mutual_variant_a.md")
    assert scope_of("job-cmp").artifacts.find(output, AnalyzedComparison) is None

    # Without the server's hint the orchestrator's own backoff decides.
    unhinted = LLMTransientError("model unreachable", details={"status": None, "retry_after_ms": None})
    monkeypatch.setattr(comparison_activities, "get_analyzer", lambda: Failing(unhinted))
    out = ACT[comparison_names.COMPARE](compare_payload())
    assert (out["status"], out["error"]["type"]) == ("retry", "llm_unavailable")
    assert "retry_after_ms" not in out


def test_unclassified_failures_propagate_for_durable_retry(
    prepared: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bug or a crash: only its text is known, so Durable's retry policy runs the activity again, then fails the job.
    monkeypatch.setattr(comparison_activities, "get_analyzer", lambda: Failing(RuntimeError("worker lost")))
    with pytest.raises(RuntimeError, match="worker lost"):
        ACT[comparison_names.COMPARE](compare_payload())


def test_compare_activity_checks_for_cancel_before_calling_the_model(
    prepared: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    JobService(prepared.jobs).cancel(USER, "job-cmp")
    monkeypatch.setattr(comparison_activities, "get_analyzer", lambda: Failing(AssertionError("model called")))
    out = ACT[comparison_names.COMPARE](compare_payload())
    assert out == {"status": "skipped"}


def test_retrieve_activity_reports_a_deleted_contract(prepared: Repositories) -> None:
    prepared.contracts.delete(USER, "nda_mutual_variant_a.md")
    out = ACT[comparison_names.RETRIEVE]({"job_id": "job-cmp", "user_id": USER})
    assert out["status"] == "error"
    assert out["error"]["type"] == "contracts_missing"
    assert "nda_mutual_variant_a.md" in out["error"]["message"]


def test_malformed_input_is_rejected() -> None:
    with pytest.raises(ValueError):
        ACT[comparison_names.COMPARE]({"job_id": "job-cmp"})


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
    repos.jobs.create(ComparisonJob(job_id=job_id, user_id=USER, request=body))
    step = {"job_id": job_id, "user_id": USER}
    assert status_of(ACT[comparison_names.RETRIEVE](step)) == "ok"
    return ACT[comparison_names.PROMPT](step)


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
    task = comparison_artifacts.of_contract("task", "nda_mutual_variant_a.md")
    assert scope_of("job-cmp").artifacts.find(task, ComparisonTask) is None


def test_clauses_mode_sends_only_the_selected_standard_clause_and_fits(
    repos: Repositories, small_model: OpenAITestServer
) -> None:
    out = start_comparison(repos, comparisonMode="clauses", selectedClauses=["Term and Duration of Obligations"])
    assert status_of(out) == "ok", out

    answered = ACT[comparison_names.COMPARE](compare_payload())

    assert status_of(answered) == "ok", answered
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
    assert status_of(start_comparison(repos, "job-fits", comparisonMode="clauses")) == "ok"
    answered = ACT[comparison_names.COMPARE]({**compare_payload(), "job_id": "job-fits"})
    assert status_of(answered) == "ok", answered

    # What went out is what was counted: both messages, the chat framing and the clauses-mode schema.
    [sent] = small_model.requests
    schema = json.dumps(sent.json_schema, separators=(",", ":"))
    assert guide_prompt_tokens(sent.messages, "o200k_base", sent.json_schema) == needed
    assert '"added"' not in schema
    standard, _ = parse_contracts(sent.text())
    assert len(standard.clauses) == 14  # the whole standard NDA, one finding each


def test_a_store_that_did_not_answer_is_raised_in_plain_words(
    prepared: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdk_words = ServiceRequestError(
        "HTTPSConnection(host='acct.documents.azure.com', port=443): Failed to establish a new connection: "
        "[Errno 111] Connection refused"
    )
    monkeypatch.setattr(comparison_activities, "get_analyzer", lambda: Failing(sdk_words))

    # Raised, so the step's retry policy runs it again; if the job fails of it, it says so without the SDK's words.
    with pytest.raises(StoreUnavailable) as raised:
        ACT[comparison_names.COMPARE](compare_payload())
    assert raised.value.__cause__ is sdk_words
    assert "azure.com" not in str(raised.value) and "Errno" not in str(raised.value)
