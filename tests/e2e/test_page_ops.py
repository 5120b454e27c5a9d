"""The operator's view end to end: the real app under devhost on the OpenAI test server, with DEV_OPS=true for its
development caller. Jobs run (a 429 that is waited out, a request the model service rejects); then
GET /api/ops/summary shows their model calls, tokens, cost, 429 share and the failure's reason, and the page shows
an Operations tab with the same figures to the development caller only, refreshing by itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.e2e.app import TEST_MODEL_PRIMARY, RunningApp, make_app, openai_settings
from tests.e2e.helpers import (
    NDA_STANDARD,
    NDA_VARIANT_A,
    get_json,
    submit_comparison,
    upload_sample,
    wait_for_job,
    wait_until,
)
from tests.support import browser
from tests.support.azurite import start_azurite
from tests.support.browser import PageSession, expect
from tests.support.openai_server import OpenAITestServer

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = [pytest.mark.slow, pytest.mark.azurite]

playwright_driver = browser.playwright_driver
open_page = browser.open_page

DEV_USER = "ops-dev-user"
OTHER_USER = "not-an-operator"
SUMMARY = "/api/ops/summary"
FLUSHED_S = 60  # the summary request writes its own worker's figures; other workers write theirs every 20 s


@pytest.fixture(scope="module")
def ops_app(tmp_path_factory: pytest.TempPathFactory, _openai_server_session: OpenAITestServer) -> Iterator[RunningApp]:
    """The app as `scripts/run.sh` runs it locally (DEV_USER_ID, no principal), with DEV_OPS=true."""
    with start_azurite() as storage:
        settings = openai_settings(_openai_server_session)
        app = make_app(tmp_path_factory.mktemp("ops-app"), storage, DEV_USER_ID=DEV_USER, DEV_OPS="true", **settings)
        yield app.start()
        app.stop()


@dataclass
class Ran:
    completed: str
    failed: str
    statuses: list[int]  # what the model service answered, in order


def compare(client: httpx.Client, ndas: list[str]) -> dict[str, Any]:
    submitted = submit_comparison(client, ndas[0], ndas[1:])
    return wait_for_job(client, submitted["statusQueryGetUri"], timeout=90).final


@pytest.fixture(scope="module")
def ran(ops_app: RunningApp, _openai_server_session: OpenAITestServer) -> Ran:
    """Two comparisons of one contract each, one model call each: the first is throttled once (429) and completes
    after its wait, the second is rejected (400) and fails."""
    server = _openai_server_session
    server.reset()
    with ops_app.client(None) as client:
        ndas = [upload_sample(client, NDA_STANDARD), upload_sample(client, NDA_VARIANT_A)]
        server.rate_limit(retry_after_ms=300)
        completed = compare(client, ndas)
        server.fail(400, "the request was filtered by the content policy", code="content_filter")
        failed = compare(client, ndas)
    assert (completed["status"], failed["status"]) == ("completed", "failed")
    statuses = [r.reply_status for r in server.requests]
    server.reset()
    return Ran(completed["job_id"], failed["job_id"], statuses)


def summary_when(client: httpx.Client, ready: Any) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def check() -> bool:
        seen.update(get_json(client, SUMMARY))
        return bool(ready(seen))

    wait_until(check, timeout=FLUSHED_S, interval=0.5, what="the ops summary's figures")
    return seen


def test_the_summary_shows_the_jobs_model_calls_and_failure(ops_app: RunningApp, ran: Ran) -> None:
    assert ran.statuses == [429, 200, 400]
    with ops_app.client(None) as client:
        body = summary_when(client, lambda s: s["last_hour"]["total"]["calls"] >= 3)
    hour = body["last_hour"]
    [primary] = [d for d in hour["deployments"] if d["deployment"] == TEST_MODEL_PRIMARY]
    assert (primary["calls"], primary["answered"], primary["throttled"], primary["failed"]) == (3, 1, 1, 1)
    assert primary["throttled_share"] == pytest.approx(1 / 3, abs=1e-4)
    assert primary["prompt_tokens"] > 0 and primary["completion_tokens"] > 0 and primary["estimated_cost"] > 0
    assert primary["deferrals"] >= 1  # the 429's wait was taken on a durable timer
    assert hour["jobs"]["by_status"]["completed"] == 1 and hour["jobs"]["by_status"]["failed"] == 1
    assert hour["jobs"]["by_type"]["comparison"] == 2
    [failure] = body["failed_jobs"]
    assert (failure["job_id"], failure["error_type"], failure["step"]) == (ran.failed, "llm_rejected", "calling_llm")
    assert "filtered by the content policy" in failure["message"]
    assert body["oldest_running"] is None
    [queue] = [b for b in body["backlog"] if b["selection"] == "primary"]
    assert queue["deployment"] == TEST_MODEL_PRIMARY and queue["waiting"] == 0
    # Counts and hashes: no user id, no contract text.
    text = str(body)
    assert DEV_USER not in text and "Northwind" not in text and "Non-Disclosure" not in text


def test_the_summary_is_refused_without_the_role(ops_app: RunningApp) -> None:
    with ops_app.client(OTHER_USER) as client:
        reply = client.get(SUMMARY)
        assert reply.status_code == 403 and reply.json()["error"]["code"] == "role_required"
        assert client.get("/api/me").json() == {"user_id": OTHER_USER, "roles": []}


# --- the page ---------------------------------------------------------------------------------------------------


def operations_link(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main").get_by_role("link", name="Operations")


def deployment_row(page: Page) -> Locator:
    return page.get_by_role("table", name="Model deployments").locator(
        f"tbody tr[data-deployment='{TEST_MODEL_PRIMARY}']"
    )


def test_the_operations_tab_shows_the_figures_and_keeps_them_fresh(
    open_page: Any, ops_app: RunningApp, ran: Ran, openai_server: OpenAITestServer
) -> None:
    session: PageSession = open_page(ops_app.base_url)
    page = session.page
    page.goto("/api/ui")
    expect(operations_link(page)).to_be_visible()
    operations_link(page).click()
    expect(page.get_by_role("heading", name="Operations", level=1)).to_be_visible()

    row = deployment_row(page)
    expect(row.locator("td").nth(0)).to_have_text("3", timeout=FLUSHED_S * 1000)  # calls
    expect(row.locator("td").nth(1)).to_have_text("1")  # 429s
    expect(row.locator("td").nth(2)).to_have_text("33 %")  # 429 share
    expect(row.get_by_role("rowheader")).to_contain_text("Primary")
    jobs = page.get_by_role("table", name="By status")
    expect(jobs.locator("tr[data-key=completed] td").first).to_have_text("1")
    expect(jobs.locator("tr[data-key=failed] td").first).to_have_text("1")
    failures = page.get_by_role("table", name="Failed jobs, last 24 hours")
    failure = failures.locator(f"tr[data-job-id='{ran.failed}']")
    expect(failure).to_contain_text("llm_rejected")
    expect(failure).to_contain_text("filtered by the content policy")
    expect(page.get_by_role("group", name="Model calls")).to_contain_text("3")
    session.screenshot("operations", full_page=True)

    # Another job runs: the open tab shows its call at its next refresh, with no reload.
    with ops_app.client(None) as client:
        ndas = [c["contract_id"] for c in get_json(client, "/api/contracts")["contracts"]]
        assert compare(client, sorted(ndas))["status"] == "completed"
    expect(row.locator("td").nth(0)).to_have_text("4", timeout=FLUSHED_S * 1000)
    expect(row.locator("td").nth(2)).to_have_text("25 %")

    # The last day's figures are one choice away.
    page.get_by_role("radio", name="Last 24 hours").check()
    expect(deployment_row(page).locator("td").nth(0)).to_have_text("4")
    session.assert_no_js_errors()


def test_without_the_role_there_is_no_operations_tab(open_page: Any, ops_app: RunningApp) -> None:
    session: PageSession = open_page(ops_app.base_url, principal=OTHER_USER)
    page = session.page
    page.goto("/api/ui#ops")
    expect(page.get_by_role("heading", name="Contracts", level=1)).to_be_visible()
    link = page.locator("[data-view-link=ops]")
    expect(link).to_have_attribute("data-role-checked", "true")  # GET /api/me has answered
    expect(link).to_be_hidden()
    expect(page.get_by_role("heading", name="Operations")).to_be_hidden()
    session.assert_no_js_errors()
