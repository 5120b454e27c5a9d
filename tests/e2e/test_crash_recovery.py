"""A host that dies mid-job (SIGKILL: no shutdown, model calls cut off) and starts again on the same state:
the job resumes from its durable history and completes with every comparison."""

from __future__ import annotations

import pytest

from tests.e2e.app import make_app, openai_settings
from tests.e2e.helpers import (
    NDA_STANDARD,
    NDA_VARIANT_A,
    NDA_VARIANT_B,
    get_json,
    result_of,
    status_url,
    submit_comparison,
    upload_sample,
    wait_for_job,
    wait_until,
)
from tests.support.openai_server import OpenAITestServer

pytestmark = [pytest.mark.slow, pytest.mark.azurite]

USER = "crash-user"
CONTRACTS = 10
DELAY = 2.0


def test_killed_host_resumes_the_job_after_restart(
    tmp_path_factory: pytest.TempPathFactory, private_azurite: str, openai_server: OpenAITestServer
) -> None:
    app = make_app(tmp_path_factory.mktemp("crash-app"), private_azurite, **openai_settings(openai_server))
    try:
        app.start()
        with app.client(USER) as client:
            standard = upload_sample(client, NDA_STANDARD)
            compared = [
                upload_sample(client, NDA_VARIANT_A if i % 2 else NDA_VARIANT_B, title=f"NDA {i}")
                for i in range(CONTRACTS)
            ]
            for _ in range(CONTRACTS):
                openai_server.slow(DELAY)
            job_id = submit_comparison(client, standard, compared)["job_id"]
            wait_until(lambda: len(openai_server.requests) >= 3, timeout=30, what="model calls in flight")
            assert get_json(client, f"/api/jobs/{job_id}")["status"] == "processing"
        app.kill()
        calls_before_crash = len(openai_server.requests)

        app.start()  # same state dir, same DATA_DIR, new port
        with app.client(USER) as client:
            watch = wait_for_job(client, status_url(job_id), timeout=90)
            assert watch.final["status"] == "completed", (watch.final, app.output()[-3000:])
            comparisons = result_of(client, watch)["result"]["comparisons"]
    finally:
        app.stop()
    assert sorted(c["contract_id"] for c in comparisons) == sorted(compared)
    for comparison in comparisons:
        assert comparison["clauses"], comparison["contract_id"]
    # The calls cut off by the crash were made again after the restart.
    assert len(openai_server.requests) > calls_before_crash
    assert len(openai_server.requests) >= CONTRACTS
