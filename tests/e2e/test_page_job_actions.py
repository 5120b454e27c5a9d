"""Cancel and Retry from the web page, in a real browser, with the app on the OpenAI-compatible test server.

The app here sits behind (simulated) App Service Authentication: the browser sends the principal header EasyAuth
would add, the page itself no identity. The test server makes the model slow (cancel) or refuse the call (retry).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.e2e.app import RunningApp
from tests.e2e.helpers import NDA_STANDARD, NDA_VARIANT_A, get_json, upload_sample, wait_until
from tests.support import browser
from tests.support.browser import PageSession, expect
from tests.support.openai_server import OpenAITestServer

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = [pytest.mark.slow, pytest.mark.azurite]

# The browser fixtures (Chromium through Playwright; see tests/support/browser.py).
playwright_driver = browser.playwright_driver
open_page = browser.open_page

JOB_TIMEOUT_MS = 90_000
# Long enough to cancel during the call, shorter than the app's LLM timeout (20 s) so it is never retried.
SLOW_CALL_SECONDS = 15.0
PAIR_TITLE = "NDA Standard vs NDA Variant A"


def upload_pair(app: RunningApp, user: str) -> None:
    with app.client(user) as client:
        upload_sample(client, NDA_STANDARD, title="NDA Standard")
        upload_sample(client, NDA_VARIANT_A, title="NDA Variant A")


def start_comparison(page: Page) -> Locator:
    """Compare the standard with variant A through the page; the new job's card in the monitor."""
    page.goto("/api/ui#analyze")
    form = page.locator("#comparison-form")
    form.get_by_label("Standard contract").select_option(label="NDA Standard")
    form.get_by_role("checkbox", name="NDA Variant A").check()
    form.get_by_role("button", name="Start comparison").click()
    expect(form.get_by_role("status")).to_contain_text("Comparison started")
    cards = page.get_by_role("complementary", name="Job monitor").get_by_role("listitem")
    expect(cards).to_have_count(1)
    return cards.first


def test_a_slow_job_is_cancelled_from_the_page(
    open_page, openai_app: RunningApp, openai_server: OpenAITestServer
) -> None:
    user = "page-cancel-user"
    upload_pair(openai_app, user)
    openai_server.slow(SLOW_CALL_SECONDS)
    session: PageSession = open_page(openai_app.base_url, principal=user)
    page = session.page
    card = start_comparison(page)
    expect(card).to_contain_text(PAIR_TITLE)

    # The model call is in flight: the job is processing, counted in the badge, and can be cancelled.
    wait_until(lambda: len(openai_server.requests) >= 1, timeout=60, what="the model call")
    expect(card).to_have_attribute("data-status", "processing", timeout=JOB_TIMEOUT_MS)
    expect(page.locator("#active-badge")).to_have_text("1")
    expect(card.get_by_role("button", name="Retry")).to_be_hidden()
    session.screenshot("processing")
    card.get_by_role("button", name="Cancel").click()

    expect(card).to_have_attribute("data-status", "cancelled")
    expect(card.get_by_text("Cancelled", exact=True).first).to_be_visible()
    expect(card.get_by_role("button", name="Cancel")).to_be_hidden()
    expect(card.get_by_role("button", name="Retry")).to_be_visible()
    expect(card.get_by_role("button", name="View results")).to_be_hidden()
    expect(page.locator("#active-badge")).to_have_text("0")
    session.screenshot("cancelled")

    job_id = card.get_attribute("data-job-id")
    with openai_app.client(user) as client:
        job = get_json(client, f"/api/jobs/{job_id}")
    assert job["status"] == "cancelled" and job["result_id"] is None, job
    session.assert_no_js_errors()


def test_a_failed_job_shows_its_reason_and_retry_starts_a_new_job(
    open_page, openai_app: RunningApp, openai_server: OpenAITestServer
) -> None:
    user = "page-retry-user"
    upload_pair(openai_app, user)
    openai_server.fail(400, "Unsupported parameter: 'response_format'", code="unsupported_parameter")
    session: PageSession = open_page(openai_app.base_url, principal=user)
    page = session.page
    failed = start_comparison(page)

    # The job fails with the model's reason, and offers Retry (in its card and in a toast).
    expect(failed).to_have_attribute("data-status", "failed", timeout=JOB_TIMEOUT_MS)
    expect(failed.get_by_text("Failed", exact=True)).to_be_visible()
    reason = failed.locator(".job-reason")
    expect(reason).to_be_visible()
    expect(reason).to_contain_text("LLM rejected the request")
    expect(reason).to_contain_text("response_format")
    toast = page.get_by_role("region", name="Notifications").get_by_role("alert").filter(has_text="Comparison failed")
    expect(toast).to_contain_text("response_format")
    expect(toast.get_by_role("button", name="Retry")).to_be_visible()
    page.mouse.move(0, 0)
    page.wait_for_timeout(7_000)  # longer than a success toast stays: a failure stays until dismissed
    expect(toast).to_be_visible()
    expect(failed.get_by_role("button", name="Cancel")).to_be_hidden()
    failed_id = failed.get_attribute("data-job-id")
    session.screenshot("failed")

    # Retry: a new job appears above the failed one and completes (the model answers this time).
    failed.get_by_role("button", name="Retry").click()
    cards = page.get_by_role("complementary", name="Job monitor").get_by_role("listitem")
    expect(cards).to_have_count(2)
    retried = cards.first
    expect(retried).not_to_have_attribute("data-job-id", failed_id or "")
    expect(retried).to_contain_text("retry of an earlier job")
    expect(retried.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100", timeout=JOB_TIMEOUT_MS)
    expect(retried).to_have_attribute("data-status", "completed")
    expect(cards.last).to_have_attribute("data-status", "failed")
    session.screenshot("retried")

    retried_id = retried.get_attribute("data-job-id")
    with openai_app.client(user) as client:
        assert get_json(client, f"/api/jobs/{retried_id}")["retry_of"] == failed_id
    session.assert_no_js_errors()
