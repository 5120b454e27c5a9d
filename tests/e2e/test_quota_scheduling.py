"""The quota scheduler end to end: two devhost workers (`python -m devhost` processes, each with its own Durable
state) on one DATA_DIR — so one SQLite store holds the deployment's budget — against one OpenAI-compatible test
server that counts the tokens it receives per sliding 10-second window (tests/support/quota_server.py).

- Together the two workers never exceed the budget, though their jobs ask for several windows' worth at once; a
  job of priority 9 started on one worker after a priority-2 job's calls queue on the other (the same user's) is
  answered first.
- Between users the quota is shared: another user's job of priority 2, started after a priority-9 flood of the
  first user's has queued, is answered before the flood is through (with LLM_FAIR_SHARE=off it would wait for all
  of it).
- Against a server that enforces its quota and states it only in its headers (no LLM_TOKENS_PER_MINUTE_*), the
  first burst meets 429s, the limit is learned, and no call is refused after: every call is answered, none fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.comparison.llm import output_tokens
from shared.comparison.models import ComparisonTask
from shared.comparison.outputs import comparison_schema
from shared.comparison.prompts import comparison_messages
from shared.llm.budget import BudgetState
from shared.llm.framing import sent_prompt_tokens
from shared.storage.sqlite import sqlite_repositories
from shared.text.tokens import encoding_for_model
from tests.e2e.app import TEST_MODEL_PRIMARY, RunningApp, app_environment, openai_settings, overlay_app_dir
from tests.e2e.helpers import upload_text, wait_for_job, wait_until
from tests.support.azurite import start_azurite
from tests.support.contracts import from_text
from tests.support.quota_server import QuotaTestServer

pytestmark = [pytest.mark.slow, pytest.mark.azurite]

USER = "quota-user"
STANDARD = "\n\n".join(
    [
        "SUPPLY AGREEMENT",
        "1. Term. This Agreement lasts two (2) years from the Effective Date.",
        "2. Payment. Customer pays each invoice within thirty (30) days of receipt.",
        "3. Liability. Each party's liability is capped at the fees paid in the prior twelve months.",
        "4. Governing Law. This Agreement is governed by the laws of the State of Delaware.",
    ]
)


def variant(index: int) -> str:
    return STANDARD.replace("thirty (30)", f"{index + 31} ({index + 31})").replace("SUPPLY", f"SUPPLY {index:02d}")


def call_cost() -> int:
    """The tokens one comparison of the standard with a variant reserves (and the server charges)."""
    task = ComparisonTask(standard=from_text("contract_0123456789", STANDARD), compared=from_text("x" * 19, variant(0)))
    messages = comparison_messages(task)
    prompt = sent_prompt_tokens(messages, comparison_schema(task), encoding_for_model(TEST_MODEL_PRIMARY))
    return prompt + output_tokens(task, None, 4_000)


@pytest.fixture(scope="module")
def azurite() -> Iterator[str]:
    with start_azurite() as connection:
        yield connection


def start_workers(root: Path, storage: str, server: QuotaTestServer, **settings: str) -> list[RunningApp]:
    data_dir = root / "shared-data"  # one store for both: the budget they share
    workers = []
    for name in ("worker-a", "worker-b"):
        env = app_environment(data_dir, storage, **openai_settings(server, **settings))
        worker = RunningApp(overlay_app_dir(root / name / "app"), root / name / "state", data_dir, env)
        workers.append(worker.start())
    return workers


def compare(client: httpx.Client, standard: str, compared: list[str], priority: int) -> dict[str, Any]:
    body = {"request": {"standardContractId": standard, "compareContractIds": compared}, "priority": priority}
    reply = client.post("/api/jobs/comparison", json=body)
    assert reply.status_code == 202, reply.text
    submitted: dict[str, Any] = reply.json()
    return submitted


def variant_of(text: str) -> int | None:
    """Which variant a comparison request is about (its compared contract's heading)."""
    found = re.search(r"SUPPLY (\d\d) AGREEMENT", text)
    return None if found is None else int(found.group(1))


def test_two_workers_sharing_one_store_keep_together_under_the_budget_and_urgent_goes_first(
    tmp_path: Path, azurite: str
) -> None:
    cost = call_cost()
    tokens_per_minute = int(cost * 3.5) * 6  # three calls per 10 s window
    server = QuotaTestServer(tokens_per_minute, enforce=False).start()
    workers = start_workers(tmp_path, azurite, server, LLM_TOKENS_PER_MINUTE_PRIMARY=str(tokens_per_minute))
    try:
        low, urgent = workers
        with low.client(USER) as client:
            standard = upload_text(client, "Supply standard", STANDARD)
            bulk = [upload_text(client, f"Supply {i:02d}", variant(i)) for i in range(6)]
            rush = [upload_text(client, f"Supply {i:02d}", variant(i)) for i in range(6, 8)]
            slow_job = compare(client, standard, bulk, priority=2)
        # Once the first window is taken, the rest of the bulk job queues; the urgent job arrives on the other worker.
        wait_until(lambda: len(server.arrivals) >= 3, timeout=60, what="the bulk job's first calls")
        with urgent.client(USER) as client:
            fast_job = compare(client, standard, rush, priority=9)
            fast = wait_for_job(client, fast_job["statusQueryGetUri"], timeout=120)
        with low.client(USER) as client:
            slow = wait_for_job(client, slow_job["statusQueryGetUri"], timeout=180)
    finally:
        for worker in workers:
            worker.stop()
        server.stop()

    assert fast.final["status"] == slow.final["status"] == "completed", (fast.final, slow.final)
    assert len(server.accepted) == 8 and server.rejected == 0
    total = sum(a.tokens for a in server.accepted)
    assert total > 2 * server.window_tokens  # the jobs asked for more than two windows' worth at once ...
    assert server.max_window_tokens() <= server.window_tokens  # ... and the two workers together kept to one
    # The urgent job's calls were answered before the bulk job's last ones, though it came after them.
    order = [variant_of(r.text()) for r in server.requests]
    assert sorted(v for v in order if v is not None) == list(range(8)), order
    urgent_last = max(order.index(6), order.index(7))
    assert any(v is not None and v < 6 for v in order[urgent_last + 1 :]), order


def test_a_quota_stated_only_in_headers_is_learned_from_the_first_burst_and_kept_to_after(
    tmp_path: Path, azurite: str
) -> None:
    tokens_per_minute = int(call_cost() * 3.5) * 6
    server = QuotaTestServer(tokens_per_minute, enforce=True).start()
    data_dir = tmp_path / "data"
    worker = RunningApp(
        overlay_app_dir(tmp_path / "app"), tmp_path / "state", data_dir,
        app_environment(data_dir, azurite, **openai_settings(server)),  # no LLM_TOKENS_PER_MINUTE_*: unknown
    ).start()  # fmt: skip
    try:
        with worker.client(USER) as client:
            standard = upload_text(client, "Supply standard", STANDARD)
            compared = [upload_text(client, f"Supply {i:02d}", variant(i)) for i in range(6)]
            job = compare(client, standard, compared, priority=5)
            final = wait_for_job(client, job["statusQueryGetUri"], timeout=180).final
    finally:
        worker.stop()
        server.stop()

    assert final["status"] == "completed", final
    assert len(server.accepted) == 6  # every call answered in the end, none failed
    first_burst = server.arrivals[:6]
    assert any(not a.accepted for a in first_burst)  # unthrottled at first: the server refused some of the burst
    assert all(a.accepted for a in server.arrivals[6:])  # once the limit was learned, none was refused again
    stored = sqlite_repositories(data_dir).quota.read(f"openai|{server.base_url}|{TEST_MODEL_PRIMARY}")
    assert stored is not None
    assert BudgetState.model_validate_json(stored.item).learned_tpm == tokens_per_minute


def test_another_users_low_priority_job_gets_its_share_before_a_flood_is_through(tmp_path: Path, azurite: str) -> None:
    cost = call_cost()
    tokens_per_minute = int(cost * 3.5) * 6  # three calls per 10 s window
    server = QuotaTestServer(tokens_per_minute, enforce=False).start()
    workers = start_workers(tmp_path, azurite, server, LLM_TOKENS_PER_MINUTE_PRIMARY=str(tokens_per_minute))
    try:
        flooding, other = workers
        with flooding.client(USER) as client:
            standard = upload_text(client, "Supply standard", STANDARD)
            bulk = [upload_text(client, f"Supply {i:02d}", variant(i)) for i in range(8)]
            flood = compare(client, standard, bulk, priority=9)
        wait_until(lambda: len(server.arrivals) >= 3, timeout=60, what="the flood's first calls")
        with other.client("other-user") as client:
            theirs = upload_text(client, "Supply standard", STANDARD)
            few = [upload_text(client, f"Supply {i:02d}", variant(i)) for i in range(8, 10)]
            small = wait_for_job(client, compare(client, theirs, few, priority=2)["statusQueryGetUri"], timeout=120)
        with flooding.client(USER) as client:
            big = wait_for_job(client, flood["statusQueryGetUri"], timeout=180)
    finally:
        for worker in workers:
            worker.stop()
        server.stop()

    assert small.final["status"] == big.final["status"] == "completed", (small.final, big.final)
    assert len(server.accepted) == 10 and server.rejected == 0
    assert server.max_window_tokens() <= server.window_tokens
    order = [variant_of(r.text()) for r in server.requests]
    assert sorted(v for v in order if v is not None) == list(range(10)), order
    # The other user's two calls went before the flood's last ones: after the first window, at least every other
    # turn was theirs, though the flood asked first and at a higher priority.
    theirs_last = max(order.index(8), order.index(9))
    assert sum(1 for v in order[theirs_last + 1 :] if v is not None and v < 8) >= 2, order
