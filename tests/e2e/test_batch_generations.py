"""A batch run long enough to continue as new, through devhost against the OpenAI-compatible test server: the host
is killed while the job runs its second execution and started again; the run resumes in that execution, completes
every record, buys no answer it already had, and no execution of the job replays more history than one
generation's chunks make."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from bench.batch_bench_data import contract_text
from orchestrators.batch_evaluation import CHUNKS_PER_GENERATION
from shared.batches import names
from tests.e2e.app import make_app, openai_settings
from tests.e2e.helpers import get_json, wait_until
from tests.e2e.test_batches import record_of, responses, run, staged_batch
from tests.support.openai_server import OpenAITestServer

pytestmark = [pytest.mark.slow, pytest.mark.azurite]

USER = "generations-user"
DOCUMENTS = CHUNKS_PER_GENERATION + CHUNKS_PER_GENERATION // 2  # x 2 prompts, a record a chunk: 3 executions


def test_a_host_killed_in_a_later_execution_resumes_it_and_completes_the_run(
    tmp_path_factory: pytest.TempPathFactory, private_azurite: str, openai_server: OpenAITestServer
) -> None:
    root = tmp_path_factory.mktemp("batch-generations")
    trace = root / "episodes.jsonl"
    settings = openai_settings(openai_server, BATCH_RUN_CHUNK="1", DEVHOST_EPISODE_TRACE=str(trace))
    app = make_app(root, private_azurite, **settings)
    records = 2 * DOCUMENTS
    try:
        app.start()
        with app.client(USER) as client:
            for i in range(DOCUMENTS):
                content = base64.b64encode(contract_text(i).encode()).decode()
                body = {"folder": "Long", "filename": f"contract-{i:03d}.txt", "content_base64": content}
                assert client.post("/api/documents", json=body).status_code == 201
            batch_id = staged_batch(client, "Long")
            openai_server.reset()
            job_id = run(client, batch_id)["job_id"]

            def in_second_execution() -> bool:
                done = int(get_json(client, f"/api/jobs/{job_id}")["progress"].get("items_done", 0))
                return done > CHUNKS_PER_GENERATION + 4

            wait_until(in_second_execution, timeout=120, interval=0.05, what="the run's second execution")
            answered = {k for k, r in responses(client, batch_id).items() if r["status"] == "S"}
        app.kill()
        calls_before = len(openai_server.requests)

        app.start()
        with app.client(USER) as client:
            wait_until(
                lambda: get_json(client, f"/api/jobs/{job_id}")["status"] == "completed",
                timeout=180,
                what="the run to complete after the restart",
            )
            final = responses(client, batch_id)
            job = get_json(client, f"/api/jobs/{job_id}")
            chunk_ids = [f"{job['instance_id']}:{names.CHUNK_ORCHESTRATOR}:{i}" for i in range(records)]
    finally:
        app.stop()
    assert len(final) == records and all(r["status"] == "S" for r in final.values())
    assert job["progress"]["percentage"] == 100
    after = [record_of(r) for r in openai_server.requests[calls_before:]]
    assert answered and not answered & set(after)  # nothing answered before the kill was bought again
    assert all(after.count(k) == 1 for k in set(after))

    episodes = [json.loads(line) for line in Path(trace).read_text().splitlines() if line.strip()]
    mine = [e for e in episodes if e["instance"] == job["instance_id"]]
    starts = [e for e in mine if e["history_events"] == 2]  # an execution's first episode
    assert len(starts) >= 3  # continued as new twice (an episode the kill cut short runs again)
    # A generation's history: its chunks at a few events each, plus the start or the end of the job; never the
    # whole run's.
    assert max(e["history_events"] for e in mine) < 12 * CHUNKS_PER_GENERATION
    chunks = [e for e in episodes if e["instance"] in set(chunk_ids)]
    assert {e["instance"] for e in chunks} == set(chunk_ids)  # every chunk ran, numbered across executions
