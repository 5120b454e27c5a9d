"""A host that dies mid-job (SIGKILL: no shutdown, model calls cut off) and starts again on the same state:
the job resumes from its durable history and completes with every comparison, and the operator's Durable URL
(carrying the host's generated system key) taken before the crash still works after it."""

from __future__ import annotations

import re

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
GENERATED_SYSTEM_KEY = re.compile(r"System key \(durabletask_extension\) \(generated[^)]*\): (\S+)")


def _printed_system_key(output: str) -> str:
    found = GENERATED_SYSTEM_KEY.search(output)
    assert found, output[-3000:]
    return found.group(1)


def test_killed_host_resumes_the_job_after_restart(
    tmp_path_factory: pytest.TempPathFactory, private_azurite: str, openai_server: OpenAITestServer
) -> None:
    # DEVHOST_SYSTEM_KEY unset (empty): the host generates its system key, as an app without one configured does.
    settings = openai_settings(openai_server, DEVHOST_SYSTEM_KEY="")
    app = make_app(tmp_path_factory.mktemp("crash-app"), private_azurite, **settings)
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
            # What an operator copies from the portal: Durable's own status URL, with the system key.
            instance_id = get_json(client, f"/api/jobs/{job_id}")["instance_id"]
            code = _printed_system_key(app.output())
            operator_url = f"/runtime/webhooks/durabletask/instances/{instance_id}?code={code}"
            assert client.get(operator_url).status_code == 202
        app.kill()
        calls_before_crash = len(openai_server.requests)

        app.start()  # same state dir, same DATA_DIR, new port
        with app.client(USER) as client:
            watch = wait_for_job(client, status_url(job_id), timeout=90)
            assert watch.final["status"] == "completed", (watch.final, app.output()[-3000:])
            comparisons = result_of(client, watch)["result"]["comparisons"]
            # The URL from before the crash (same path and key; the test's host only moved to a new port). The job
            # document is finalized a moment before the instance itself completes, so wait for the instance.
            wait_until(lambda: client.get(operator_url).status_code == 200, timeout=30, what="the instance to complete")
            after = client.get(operator_url)
            assert after.json()["runtimeStatus"] == "Completed"
    finally:
        app.stop()
    assert sorted(c["contract_id"] for c in comparisons) == sorted(compared)
    for comparison in comparisons:
        assert comparison["clauses"], comparison["contract_id"]
    # The calls cut off by the crash were made again after the restart.
    assert len(openai_server.requests) > calls_before_crash
    assert len(openai_server.requests) >= CONTRACTS
