"""The `openai` provider end to end, against the OpenAI-compatible test server: what the model service does
(rate limits, rejections, broken output, slowness) and what the user then sees on the job.

Each job compares the standard NDA with one contract, so it makes exactly one model call (plus scripted retries)
and the server's FIFO script applies to that call.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.e2e.app import TEST_MODEL_PRIMARY, TEST_MODEL_SECONDARY, RunningApp
from tests.e2e.helpers import (
    JOB_EVENTS,
    NDA_STANDARD,
    NDA_VARIANT_A,
    NDA_VARIANT_B,
    clear_queue,
    events_for,
    get_json,
    progress_seq,
    result_of,
    submit_comparison,
    upload_sample,
    upload_text,
    wait_for_job,
    wait_until,
)
from tests.support.openai_server import OpenAITestServer, RecordedRequest, Reply, echo_content, parse_contracts

pytestmark = [pytest.mark.slow, pytest.mark.azurite]

USER = "openai-provider-user"


@pytest.fixture(scope="module")
def ndas(openai_app: RunningApp) -> dict[str, str]:
    with openai_app.client(USER) as client:
        return {name: upload_sample(client, name) for name in (NDA_STANDARD, NDA_VARIANT_A)}


def compare_once(app: RunningApp, ndas: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    with app.client(USER) as client:
        submitted = submit_comparison(client, ndas[NDA_STANDARD], [ndas[NDA_VARIANT_A]])
        watch = wait_for_job(client, submitted["statusQueryGetUri"], timeout=60)
        job = get_json(client, f"/api/jobs/{submitted['job_id']}")
    return watch.final, job


def test_rate_limited_then_success_completes(
    openai_app: RunningApp, ndas: dict[str, str], openai_server: OpenAITestServer
) -> None:
    answered_at: list[float] = []

    def answer(request: RecordedRequest) -> Any:
        answered_at.append(time.monotonic())
        return echo_content(request)

    openai_server.rate_limit(retry_after_ms=1200)
    openai_server.set_default(answer)
    with openai_app.client(USER) as client:
        submitted = submit_comparison(client, ndas[NDA_STANDARD], [ndas[NDA_VARIANT_A]])
        wait_until(lambda: len(openai_server.requests) >= 1, timeout=30, interval=0.01, what="the first model call")
        limited_at = time.monotonic()
        watch = wait_for_job(client, submitted["statusQueryGetUri"], timeout=60)
        job = get_json(client, f"/api/jobs/{submitted['job_id']}")
    assert watch.final["status"] == "completed", watch.final
    assert len(openai_server.requests) == 2, "one 429, then the retry that succeeded"
    assert answered_at[0] - limited_at >= 1.0, "the retry did not wait for retry-after-ms"
    # The app sent a strict structured-output request with the contracts inside delimiters.
    request = openai_server.requests[-1]
    assert request.model == TEST_MODEL_PRIMARY
    assert request.response_format and request.response_format["type"] == "json_schema"
    assert "<contract" in request.text() and "State of Delaware" in request.text()
    with openai_app.client(USER) as client:
        stored = client.get(f"/api/results/{job['result_id']}").json()
    result = stored["result"]
    assert TEST_MODEL_PRIMARY in result["model"]
    assert result["usage"]["llm_calls"] >= 1 and result["usage"]["total_tokens"] > 0
    [comparison] = result["comparisons"]
    law = [c for c in comparison["clauses"] if "Governing Law" in c["title"]]
    assert law and law[0]["status"] == "modified"


def test_server_errors_and_timeouts_are_retried_then_complete(
    openai_app: RunningApp, ndas: dict[str, str], openai_server: OpenAITestServer
) -> None:
    for status in (500, 503, 408):
        openai_server.enqueue(Reply(status=status, headers={"retry-after-ms": "50"}, error_type="server_error"))
    final, _ = compare_once(openai_app, ndas)
    assert final["status"] == "completed", final
    assert len(openai_server.requests) == 4, "three retryable failures, then the answer"


def test_permanent_400_fails_the_job_with_the_reason_and_retry_completes(
    openai_app: RunningApp, ndas: dict[str, str], openai_server: OpenAITestServer, private_azurite: str
) -> None:
    clear_queue(private_azurite, JOB_EVENTS)
    openai_server.fail(400, "Unsupported parameter: 'response_format'", code="unsupported_parameter")
    final, job = compare_once(openai_app, ndas)
    assert final["status"] == "failed" and final["runtimeStatus"] == "Failed", final
    assert len(openai_server.requests) == 1, "a 400 is never retried"
    details = json.dumps(job["error_details"])
    assert "400" in details and "response_format" in details, details
    assert job["result_id"] is None
    # Downstream systems hear about the failure, with the reason.
    wait_until(lambda: bool(events_for(private_azurite, job["job_id"])), timeout=20, what="a job-events message")
    [event] = events_for(private_azurite, job["job_id"])
    assert event["status"] == "failed" and event["result_id"] is None
    assert "400" in json.dumps(event["error"]), event

    # The user fixes nothing on their side and retries: the model now answers, the new job completes.
    with openai_app.client(USER) as client:
        reply = client.post(f"/api/jobs/{job['job_id']}/retry")
        assert reply.status_code == 202, reply.text
        retried = reply.json()
        assert retried["job_id"] != job["job_id"]
        watch = wait_for_job(client, retried["statusQueryGetUri"], timeout=60)
        assert watch.final["status"] == "completed", watch.final
        new_job = get_json(client, f"/api/jobs/{retried['job_id']}")
        assert new_job["retry_of"] == job["job_id"]
        assert result_of(client, watch)["result"]["comparisons"]
        # The failed job stays failed; retrying it again is allowed, retrying the completed one is not.
        assert get_json(client, f"/api/jobs/{job['job_id']}")["status"] == "failed"
        assert client.post(f"/api/jobs/{retried['job_id']}/retry").status_code == 409


def test_invalid_json_twice_fails_with_invalid_output(
    openai_app: RunningApp, ndas: dict[str, str], openai_server: OpenAITestServer
) -> None:
    openai_server.respond_invalid_json('{"similarity": 0.5, "summary": "cut o', times=2)
    final, job = compare_once(openai_app, ndas)
    assert final["status"] == "failed", final
    assert len(openai_server.requests) == 2, "one retry for invalid output, then the job fails"
    details = json.dumps(job["error_details"]).lower()
    assert "invalid" in details and "output" in details, details


def test_cancel_during_slow_llm_stops_new_calls_and_retry_completes(
    openai_app: RunningApp, openai_server: OpenAITestServer, private_azurite: str
) -> None:
    clear_queue(private_azurite, JOB_EVENTS)
    contracts = 24  # more than a window of calls in flight (16 when the quota is unknown): some are never started
    delay = 4.0
    with openai_app.client(USER) as client:
        standard = upload_sample(client, NDA_STANDARD)
        text = "\n\n".join(
            [
                "SUPPLY AGREEMENT",
                "1. Term. This Agreement lasts two (2) years.",
                "2. Governing Law. This Agreement is governed by the laws of the State of Oregon.",
            ]
        )
        compared = [upload_text(client, f"Supply agreement {i}", text) for i in range(contracts)]
        for _ in range(contracts):
            openai_server.slow(delay)

        submitted = submit_comparison(client, standard, compared)
        job_id = submitted["job_id"]
        wait_until(lambda: len(openai_server.requests) >= 1, timeout=30, what="the first model call")
        reply = client.post(f"/api/jobs/{job_id}/cancel")
        assert reply.status_code == 202, reply.text
        cancelled_at = time.monotonic()

        # The job ends cancelled at once: the orchestrator does not wait for the calls in flight.
        watch = wait_for_job(client, submitted["statusQueryGetUri"], timeout=30)
        assert watch.final["status"] == "cancelled" and watch.final["runtimeStatus"] == "Terminated", watch.final
        assert time.monotonic() - cancelled_at < delay, "cancel waited for the slow model calls"
        assert client.post(f"/api/jobs/{job_id}/cancel").status_code == 409, "cancelling twice is a conflict"

        # Calls already in flight finish; none are started after the cancel, and the job stays cancelled.
        time.sleep(delay + 1.5)
        calls = len(openai_server.requests)
        print(f"cancel: {calls} model calls for {contracts} contracts")
        assert 1 <= calls < contracts, f"{calls} model calls for {contracts} contracts after a cancel"
        job = get_json(client, f"/api/jobs/{job_id}")
        assert job["status"] == "cancelled" and job["result_id"] is None, job
        assert get_json(client, f"/api/jobs/{job_id}/status")["status"] == "cancelled"
        events = events_for(private_azurite, job_id)
        assert events and {e["status"] for e in events} == {"cancelled"}, events

        # Retry: a new job over the same contracts, at full speed, that completes.
        openai_server.reset()
        reply = client.post(f"/api/jobs/{job_id}/retry")
        assert reply.status_code == 202, reply.text
        retried = reply.json()
        watch = wait_for_job(client, retried["statusQueryGetUri"], timeout=60)
        assert watch.final["status"] == "completed", watch.final
        assert get_json(client, f"/api/jobs/{retried['job_id']}")["retry_of"] == job_id
        comparisons = result_of(client, watch)["result"]["comparisons"]
    assert sorted(c["contract_id"] for c in comparisons) == sorted(compared)
    assert len(openai_server.requests) == contracts


def test_progress_rises_while_the_model_works(openai_app: RunningApp, openai_server: OpenAITestServer) -> None:
    contracts = 5
    with openai_app.client(USER) as client:
        standard = upload_sample(client, NDA_STANDARD)
        compared = [upload_sample(client, NDA_VARIANT_A, title=f"Progress NDA {i}") for i in range(contracts)]
        for i in range(contracts):  # the calls finish one by one, 0.6 s apart
            openai_server.slow(0.6 * (i + 1))
        submitted = submit_comparison(client, standard, compared)
        job_url = f"/api/jobs/{submitted['job_id']}"
        seen: list[dict[str, Any]] = []
        listed_while_running: list[dict[str, Any]] = []
        document_seqs: list[int] = []

        def record(body: dict[str, Any]) -> bool:
            seen.append(body["customStatus"])
            if body["customStatus"]["current_step"] == "calling_llm" and not listed_while_running:
                listed_while_running.extend(get_json(client, "/api/jobs?status=processing")["jobs"])
            # The job itself, polled too: its progress seq only ever goes up.
            progress = get_json(client, job_url)["progress"]
            document_seqs.append(progress_seq(progress, document_seqs[-1] if document_seqs else 0, job_url))
            return False

        watch = wait_for_job(client, submitted["statusQueryGetUri"], timeout=60, interval=0.05, until=record)
        finished = get_json(client, job_url)["progress"]
    assert watch.final["status"] == "completed"
    # Every update of the job gives its progress the next seq (the streams' event id): while the job ran, the
    # pollers saw it rise through several values and never go back; the finished job has the highest.
    assert len(set(document_seqs)) >= 3 and len(set(watch.seqs)) >= 3, (document_seqs, watch.seqs)
    assert finished == watch.final["customStatus"]
    assert finished["seq"] > max(watch.seqs[:-1]) and finished["seq"] >= max(document_seqs)
    llm = [s for s in seen if s["current_step"] == "calling_llm"]
    assert llm, seen
    assert all(50 <= s["percentage"] <= 80 and s["items_total"] == contracts for s in llm), llm
    done_counts = sorted({s["items_done"] for s in llm})
    assert len(done_counts) >= 3, f"progress should move as calls finish, saw items_done {done_counts}"
    percentages = [s["percentage"] for s in seen] + [watch.final["customStatus"]["percentage"]]
    assert percentages == sorted(percentages), f"progress went backwards: {percentages}"
    assert percentages[-1] == 100
    assert any("of 5" in s["message"] for s in llm), llm
    # The job list shows the running job with its progress (mirrored from the custom status).
    running = [j for j in listed_while_running if j["job_id"] == submitted["job_id"]]
    assert running and running[0]["progress"]["current_step"] in ("calling_llm", "generating_prompt"), running


def test_query_larger_than_the_context_is_split_and_combined(
    openai_app: RunningApp, ndas: dict[str, str], openai_server: OpenAITestServer
) -> None:
    ids = [ndas[NDA_STANDARD], ndas[NDA_VARIANT_A]]
    question = "What is the governing law?"
    body = {"request": {"question": question, "contract_ids": ids, "modelSelection": "secondary", "retrieval": "all"}}
    with openai_app.client(USER) as client:
        reply = client.post("/api/jobs/query", json=body)
        assert reply.status_code == 202, reply.text
        watch = wait_for_job(client, reply.json()["statusQueryGetUri"], timeout=60)
        stored = result_of(client, watch)
    calls = openai_server.requests
    assert {r.model for r in calls} == {TEST_MODEL_SECONDARY}
    parts = [r for r in calls if r.schema_name == "query_part_answer"]
    combines = [r for r in calls if r.schema_name == "query_answer"]
    assert len(parts) >= 2 and len(combines) == 1, [r.schema_name for r in calls]
    # Two NDAs do not fit the small model together: each part carries one of them, and together they cover both.
    covered = [[cid for cid in ids if cid in part.text()] for part in parts]
    assert all(len(names) == 1 for names in covered), covered
    assert {names[0] for names in covered} == set(ids)
    result = stored["result"]
    assert {c["contract_id"] for c in result["citations"]} <= set(ids)
    assert result["citations"], result
    assert TEST_MODEL_SECONDARY in result["model"]
    assert result["usage"]["llm_calls"] == len(calls)


def test_a_query_sends_each_contracts_ranked_clauses_in_one_bounded_call(
    openai_app: RunningApp, ndas: dict[str, str], openai_server: OpenAITestServer
) -> None:
    ids = [ndas[NDA_STANDARD], ndas[NDA_VARIANT_A]]
    body = {"request": {"question": "Which courts hear disputes?", "contract_ids": ids, "modelSelection": "secondary"}}
    with openai_app.client(USER) as client:
        reply = client.post("/api/jobs/query", json=body)  # "retrieval": "ranked", the default
        assert reply.status_code == 202, reply.text
        stored = result_of(client, wait_for_job(client, reply.json()["statusQueryGetUri"], timeout=60))
        details = {cid: get_json(client, f"/api/contracts/{cid}")["clauses"] for cid in ids}
    clauses = {cid: sum(c["level"] == 1 for c in listed) for cid, listed in details.items()}  # what is analysed
    # What can hold the answer of both NDAs fits the small model at once: one call, no combine.
    (call,) = openai_server.requests
    assert call.schema_name == "query_part_answer"
    sent = parse_contracts(call.text())
    assert [c.contract_id for c in sent] == ids
    for contract in sent:
        titles = [title for title, _ in contract.clauses]
        assert "Governing Law and Jurisdiction" in titles and len(titles) < clauses[contract.contract_id] / 2
    # The reply schema on the wire names only what the call shows.
    citation = call.json_schema["$defs"]["CitationOut"]["properties"]  # type: ignore[index]
    assert citation["contract_id"]["enum"] == ids
    assert citation["clause_title"]["enum"] == list(dict.fromkeys(t for c in sent for t, _ in c.clauses))
    # The echo model cites each contract's first clause shown: verified against the contract, kept.
    result = stored["result"]
    assert {c["contract_id"] for c in result["citations"]} == set(ids)
    assert result["usage"]["llm_calls"] == 1


def test_calls_beyond_the_first_window_still_run_in_parallel(
    openai_app: RunningApp, openai_server: OpenAITestServer
) -> None:
    contracts, delay = 12, 1.5  # the fan-out window is 8: four calls wait for the first wave
    with openai_app.client(USER) as client:
        standard = upload_sample(client, NDA_STANDARD)
        compared = [upload_sample(client, NDA_VARIANT_B, title=f"Window {i}") for i in range(contracts)]
        for _ in range(contracts):
            openai_server.slow(delay)
        submitted = submit_comparison(client, standard, compared)
        watch = wait_for_job(client, submitted["statusQueryGetUri"], timeout=60)
    assert watch.final["status"] == "completed", watch.final
    assert len(openai_server.requests) == contracts
    arrived = sorted(request.arrived_at for request in openai_server.requests)
    later = arrived[8:]
    # Each of the four waiting calls starts as soon as a first-wave call returns, so they are in flight together
    # (how many at once depends on how spread the first wave was on a busy machine); a fan-out gone serial after
    # its first window would have at most one in flight, each starting a full `delay` after the one before.
    most_at_once = max(sum(1 for other in later if other <= start < other + delay) for start in later)
    assert most_at_once >= 2, [round(t - arrived[0], 2) for t in arrived]
