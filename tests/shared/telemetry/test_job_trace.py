"""One trace per job: a comparison submitted over HTTP and run by devhost's Durable engine in this process (the real
SDK replaying the orchestrator, activities in the engine's worker threads, the real LLM client against the OpenAI
test server) is one tree in the in-memory exporter, from the submit request through every activity and model call to
the saved result; and nothing of the contracts, the prompts, the answers or the user id is in any of it."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import azure.durable_functions as df
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from devhost.durable import DurableEngine
from shared.analysis.factory import reset_analyzer
from shared.jobs import events
from shared.settings import use_settings
from shared.storage.factory import reset_repositories
from shared.telemetry.attributes import user_hash
from shared.telemetry.setup import reset_telemetry
from tests.api.conftest import CONTRACT_TEXT, Api, _indexed, upload
from tests.devhost.durable.conftest import reset_sdk_session, wait_done
from tests.shared.telemetry.conftest import SALT, Captured, attributes_of, capture
from tests.support.openai_server import OpenAITestServer

USER = "alice.raw-user-id-7f3e@example.com"
STANDARD = CONTRACT_TEXT + "\n5. Confidentiality. The Zanzibar Widget formula stays secret for ninety-nine years.\n"
VENDOR = (
    CONTRACT_TEXT.replace("thirty (30)", "forty-five (45)")
    + "\n5. Indemnity. The vendor indemnifies the Quokka Orchard against every claim.\n"
)
SNIPPETS = [
    "Zanzibar Widget",
    "Quokka Orchard",
    "forty-five (45)",
    "State of Washington",
    "Statement of Work",
    "MASTER SERVICES",
    "<contract",  # the prompts' delimiters
]
TASK_SCHEDULED = 4


@dataclass
class Run:
    api: Api
    client: df.DurableOrchestrationClient
    captured: Captured
    server: OpenAITestServer


@pytest.fixture
async def run(tmp_path: Path, openai_server: OpenAITestServer, caplog: pytest.LogCaptureFixture) -> AsyncIterator[Run]:
    """The app with LLM_PROVIDER=openai on the test server, its Durable engine, telemetry into memory; logging at
    INFO, as the Functions worker and devhost set it."""
    caplog.set_level(logging.INFO)
    settings = openai_server.settings(
        data_dir=tmp_path / "data", telemetry_user_salt=SALT, llm_tokens_per_minute_primary=6_000_000
    )
    use_settings(settings)
    reset_repositories()
    reset_analyzer()
    events.reset_clients()
    captured = capture(settings)
    engine = DurableEngine(
        functions=_indexed(),
        state_dir=tmp_path / "state",
        host_config={"version": "2.0"},
        public_base_url="http://127.0.0.1:7071",
        system_key="test-system-key",
    )
    await engine.start()
    client = df.DurableOrchestrationClient(engine.client_binding())
    try:
        yield Run(Api(client), client, captured, openai_server)
    finally:
        await engine.stop()
        await reset_sdk_session()
        reset_telemetry()
        use_settings(None)
        reset_repositories()
        reset_analyzer()


async def submit_comparison(run: Run) -> str:
    standard = await upload(run.api, "Standard MSA", STANDARD, user=USER)
    vendor = await upload(run.api, "Vendor MSA", VENDOR, user=USER)
    body = {"request": {"standardContractId": standard, "compareContractIds": [vendor], "comparisonMode": "full"}}
    reply = await run.api.call("POST", "/api/jobs/comparison", json_body=body, user=USER)
    assert reply.status == 202, reply.body
    job_id = str(reply.json["job_id"])
    status = await wait_done(run.client, job_id, timeout=120)
    assert status.runtime_status == df.OrchestrationRuntimeStatus.Completed, status.output
    return job_id


def has(span: ReadableSpan, expected: dict[str, Any]) -> None:
    attributes = attributes_of(span)
    assert {key: attributes.get(key) for key in expected} == expected, span.name


async def activities_run(client: df.DurableOrchestrationClient, job_id: str) -> set[str]:
    history = (await client.get_status(job_id, show_history=True)).historyEvents or []
    return {e["Name"] for e in history if e.get("EventType") in (TASK_SCHEDULED, "TaskScheduled")}


async def test_a_job_is_one_trace_from_the_submit_request_to_the_saved_result(run: Run) -> None:
    job_id = await submit_comparison(run)
    spans = run.captured.spans()
    (submit,) = [s for s in spans if s.name == "POST /api/jobs/comparison"]
    trace_id = submit.context.trace_id
    hashed = user_hash(USER, SALT)

    # The submit request: a server span (nothing hosts it here), naming the job and its user by hash.
    assert submit.kind is SpanKind.SERVER
    assert submit.parent is None
    has(
        submit,
        {
            "http.request.method": "POST",
            "http.route": "/api/jobs/comparison",
            "http.response.status_code": 202,
            "job.id": job_id,
            "job.type": "comparison",
            "user.hash": hashed,
        },
    )

    # Every activity the orchestrator scheduled has its span, a child of the submit request's, in its trace.
    steps = {s.attributes["durable.activity"]: s for s in spans if s.name.startswith("activity ") and s.attributes}
    assert set(steps) == await activities_run(run.client, job_id)
    assert {"job_start", "comparison_compare_contract", "comparison_save", "job_finalize"} <= set(steps)
    for step in steps.values():
        assert step.context.trace_id == trace_id
        assert step.parent is not None and step.parent.span_id == submit.context.span_id
        has(step, {"job.id": job_id, "job.type": "comparison", "user.hash": hashed})
        assert step.attributes is not None and step.attributes["job.step.outcome"] == "ok"
        assert step.status.status_code is not StatusCode.ERROR
    assert attributes_of(steps["job_finalize"])["job.status"] == "completed"
    assert attributes_of(steps["comparison_compare_contract"])["job.step"] == "calling_llm"

    # Each model call is a client span under the step that made it, with the GenAI conventions' attributes.
    calls = run.captured.spans("chat ")
    assert calls and len(calls) == len(run.server.requests)
    step_ids = {s.context.span_id: name for name, s in steps.items()}
    for call in calls:
        attributes = attributes_of(call)
        assert call.kind is SpanKind.CLIENT and call.name == "chat test-model-primary"
        assert call.context.trace_id == trace_id
        assert call.parent is not None and step_ids[call.parent.span_id] == "comparison_compare_contract"
        has(
            call,
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "test-model-primary",
                "llm.selection": "primary",
                "llm.outcome": "answered",
                "llm.attempt": 1,
                "job.id": job_id,
                "job.type": "comparison",
                "job.step": "calling_llm",
                "user.hash": hashed,
            },
        )
        assert attributes["gen_ai.usage.input_tokens"] > 0 and attributes["gen_ai.usage.output_tokens"] > 0
        assert attributes["gen_ai.request.max_tokens"] > 0 and attributes["llm.queue_wait_s"] >= 0

    # The job's log lines carry its id and sit in its trace.
    lines = {r.body: r for r in run.captured.logs() if (r.attributes or {}).get("job.id") == job_id}
    said = {body.split(":")[0] for body in map(str, lines)}
    assert {f"job {job_id} submitted", f"job {job_id} started", f"job {job_id} completed"} <= said
    assert {r.trace_id for r in lines.values()} == {trace_id}

    # The metrics agree with the spans.
    where = {"job.type": "comparison"}
    assert run.captured.total("contractjobs.jobs.submitted", where) == 1
    assert run.captured.total("contractjobs.jobs.started", where) == 1
    assert run.captured.total("contractjobs.jobs.finished", where | {"job.status": "completed"}) == 1
    answered = {"gen_ai.request.model": "test-model-primary", "llm.outcome": "answered"}
    assert run.captured.total("contractjobs.llm.calls", answered) == len(calls)
    input_tokens = sum(attributes_of(c)["gen_ai.usage.input_tokens"] for c in calls)
    assert run.captured.total("gen_ai.client.token.usage", {"gen_ai.token.type": "input"}) == input_tokens


async def test_no_contract_text_prompt_answer_or_user_id_is_in_any_span_event_or_log(run: Run) -> None:
    job_id = await submit_comparison(run)
    sent = json.dumps([request.body for request in run.server.requests])
    assert [snippet for snippet in SNIPPETS if snippet not in sent] == []  # the model did see them

    exported = run.captured.everything()
    assert job_id in exported  # what is searched is what was exported
    assert [snippet for snippet in SNIPPETS if snippet in exported] == []
    assert USER not in exported
    assert USER.split("@")[0] not in exported
