"""A fan-out call whose activity raises (a store that failed once) on devhost's Durable engine, replayed the way the
extension's shim replays: the call is made again and the job completes. With Durable's own retry the retry's timer
and new task took sequence numbers behind the orchestrator's back, and once the fan-out was over the next step's
replay collided with them ("non-deterministic"): the comparison of tests/faults failed that way. Which failure is
delivered first decides it, so both orders run."""

from __future__ import annotations

import threading
import time
from typing import Any

import azure.durable_functions as df
import pytest

from activities import comparison as comparison_activities
from orchestrators import comparison as comparison_orchestrator
from orchestrators.retry_policies import LLM_CALL, StepPolicy
from shared.analysis.factory import get_analyzer
from shared.storage.base import Repositories
from tests.devhost.durable.conftest import wait_done
from tests.orchestrators.test_on_durable_engine import client, comparison_job, start

__all__ = ["client"]  # the engine fixture, shared with test_on_durable_engine

S = df.OrchestrationRuntimeStatus
FAILING_ONCE = ("c1", "c2")


@pytest.mark.parametrize("model_seconds", [0.0, 0.2, 0.3])
async def test_an_activity_that_raises_in_a_fan_out_is_called_again_and_the_job_completes(
    client: df.DurableOrchestrationClient, repos: Repositories, monkeypatch: pytest.MonkeyPatch, model_seconds: float
) -> None:
    jobs, job_id = comparison_job(repos, 4)
    offline = get_analyzer()
    calls: list[str] = []
    lock = threading.Lock()

    class FlakyStore:
        provider = "offline"

        def compare(self, task: Any) -> Any:
            time.sleep(model_seconds)
            contract_id = task.compared.contract_id
            with lock:
                first = contract_id not in calls
                calls.append(contract_id)
            if first and contract_id in FAILING_ONCE:
                raise RuntimeError("the store was briefly unavailable")
            return offline.compare(task)

    monkeypatch.setattr(comparison_activities, "get_analyzer", lambda: FlakyStore())
    quick = df.RetryOptions(first_retry_interval_in_milliseconds=100, max_number_of_attempts=3)
    monkeypatch.setattr(comparison_orchestrator, "LLM_CALL", StepPolicy(quick, LLM_CALL.transient))
    await start(client, job_id)
    status = await wait_done(client, job_id, timeout=60)

    assert status.runtime_status == S.Completed, status.output
    assert status.output["status"] == "completed"
    assert sorted(calls) == ["c0", "c1", "c1", "c2", "c2", "c3"]
    assert jobs.get_job("user-alice", job_id).result_id == f"res_{job_id}"
