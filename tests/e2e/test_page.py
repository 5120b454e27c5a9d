"""The web page at /api/ui in a real browser (Chromium through Playwright), against the real app under devhost.

The app here runs as `scripts/run.sh` runs it locally: no principal is sent, DEV_USER_ID is assumed, and the page
itself sends no identity. Contracts are uploaded, analyses started and results read through the page only; the
HTTP API is used just to check what the page claims.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.app import RunningApp, make_app
from tests.e2e.helpers import NDA_STANDARD, NDA_VARIANT_B, SAMPLE_DATA, get_json, upload_sample
from tests.support import browser
from tests.support.azurite import start_azurite
from tests.support.browser import PageSession, expect

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = [pytest.mark.slow, pytest.mark.azurite]

# The browser fixtures (Chromium through Playwright; see tests/support/browser.py).
playwright_driver = browser.playwright_driver
open_page = browser.open_page

DEV_USER = "page-dev-user"
# Generous: a job runs in seconds, but CI machines are shared and slow.
JOB_TIMEOUT_MS = 90_000


@pytest.fixture(scope="module")
def dev_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """The app with DEV_USER_ID set, on its own Azurite (no other app may take its queue messages)."""
    with start_azurite() as storage:
        app = make_app(tmp_path_factory.mktemp("page-app"), storage, DEV_USER_ID=DEV_USER).start()
        yield app
        app.stop()


def monitor(page: Page) -> Locator:
    return page.get_by_role("complementary", name="Job monitor")


def notifications(page: Page) -> Locator:
    return page.get_by_role("region", name="Notifications")


def job_card(page: Page, title: str) -> Locator:
    return monitor(page).get_by_role("listitem").filter(has_text=title)


def upload_file(page: Page, title: str, path: Path) -> None:
    page.get_by_label("Upload a file").check()
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("File", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Upload contract").click()
    expect(page.get_by_role("status").filter(has_text=f"Added “{title}”")).to_be_visible()


def upload_pasted(page: Page, title: str, text: str) -> None:
    page.get_by_label("Paste text").check()
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Contract text").fill(text)
    page.get_by_role("button", name="Upload contract").click()
    expect(page.get_by_role("status").filter(has_text=f"Added “{title}”")).to_be_visible()


def test_comparison_from_upload_to_a_missing_clause(open_page, dev_app: RunningApp) -> None:
    session: PageSession = open_page(dev_app.base_url)
    page = session.page
    page.goto("/api/ui")
    expect(page).to_have_title("Contract Jobs")

    # Two contracts through the page: the standard NDA as a file, variant B (no Remedies clause) as pasted text.
    upload_file(page, "NDA Mutual Standard", SAMPLE_DATA / NDA_STANDARD)
    upload_pasted(page, "NDA Mutual Variant B", (SAMPLE_DATA / NDA_VARIANT_B).read_text())
    library = page.get_by_role("table", name="Library")
    expect(library.locator("tbody tr")).to_have_count(2)
    expect(library.get_by_role("row", name="NDA Mutual Standard")).to_contain_text("Markdown")
    expect(library.get_by_role("row", name="NDA Mutual Variant B")).to_contain_text("Text")

    # A comparison of the two, whole contracts.
    page.get_by_role("link", name="New analysis").click()
    form = page.locator("#comparison-form")
    form.get_by_label("Standard contract").select_option(label="NDA Mutual Standard")
    expect(form.get_by_role("checkbox", name="NDA Mutual Standard")).to_be_disabled()
    form.get_by_role("checkbox", name="NDA Mutual Variant B").check()
    form.get_by_role("button", name="Start comparison").click()
    expect(form.get_by_role("status")).to_contain_text("Comparison started")

    # The monitor follows it to the end: the progress bar reaches 100 % and the job says completed.
    card = job_card(page, "NDA Mutual Standard vs NDA Mutual Variant B")
    expect(card).to_have_count(1)
    expect(card.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100", timeout=JOB_TIMEOUT_MS)
    expect(card).to_have_attribute("data-status", "completed")
    expect(card.get_by_text("Completed", exact=True)).to_be_visible()
    expect(page.locator("#active-badge")).to_have_text("0")
    expect(card.get_by_role("button", name="Cancel")).to_be_hidden()
    toast = notifications(page).get_by_role("status").filter(has_text="Comparison complete")
    expect(toast).to_be_visible()
    toast.hover()  # a success dismisses itself after a few seconds, but not under the pointer
    session.screenshot("completed")

    # "View results" on the toast opens the result: a table for variant B with Remedies missing.
    toast.get_by_role("button", name="View results").click()
    expect(page.get_by_role("heading", name="Comparison result")).to_be_visible()
    table = page.get_by_role("table", name="NDA Mutual Variant B")
    missing = table.locator("tbody tr[data-status=missing]")
    expect(missing).to_have_count(1)
    expect(missing.get_by_role("rowheader")).to_contain_text("Remedies")
    expect(missing).to_contain_text("Missing")
    expect(missing).to_contain_text("Not in this contract")
    expect(missing.locator("del")).to_contain_text("irreparable harm")  # the standard's own text, struck through

    # The differences only, the most severe first.
    ranks = {"high": 3, "medium": 2, "low": 1, "none": 0}
    severities = [ranks[s] for s in table.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.severity)")]
    assert severities == sorted(severities, reverse=True), severities
    assert severities[0] > 0, "no finding has a severity"
    session.screenshot("result", full_page=True)

    # What the page showed is what the API says.
    job_id = card.get_attribute("data-job-id")
    with dev_app.client(None) as client:
        job = get_json(client, f"/api/jobs/{job_id}")
        assert job["status"] == "completed"
        result = get_json(client, f"/api/results/{job['result_id']}")["result"]
    [comparison] = result["comparisons"]
    assert [c["title"] for c in comparison["clauses"] if c["status"] == "missing"] == ["Remedies"]
    session.assert_no_js_errors()


def test_question_answer_shows_citations_with_their_contracts(open_page, dev_app: RunningApp) -> None:
    with dev_app.client(None) as client:
        upload_sample(client, NDA_STANDARD, title="Question NDA")
    session: PageSession = open_page(dev_app.base_url)
    page = session.page
    page.goto("/api/ui#analyze")
    page.get_by_label("Ask a question").check()
    form = page.locator("#query-form")
    form.get_by_label("Question", exact=True).fill("Which state's law governs the agreement?")
    form.get_by_role("checkbox", name="Question NDA").check()
    form.get_by_role("button", name="Ask").click()

    card = job_card(page, "Which state's law governs the agreement?")
    expect(card.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100", timeout=JOB_TIMEOUT_MS)
    card.get_by_role("button", name="View results").click()

    expect(page.get_by_role("heading", name="Question and answer")).to_be_visible()
    expect(page.get_by_role("heading", name="Answer", exact=True)).to_be_visible()
    expect(page.locator(".question")).to_contain_text("Which state's law governs the agreement?")
    expect(page.locator(".answer-text")).not_to_be_empty()
    citations = page.locator("li.citation")
    expect(citations.first).to_be_visible()
    expect(citations.first.locator(".citation-contract")).to_have_text("Question NDA")
    expect(citations.first.locator("blockquote")).not_to_be_empty()
    session.screenshot("answer", full_page=True)
    session.assert_no_js_errors()


def test_api_errors_are_shown_and_contracts_can_be_deleted(open_page, dev_app: RunningApp) -> None:
    session: PageSession = open_page(dev_app.base_url)
    page = session.page
    session.allow_failed_load(r"/api/contracts$")  # the 422 below, on purpose
    page.goto("/api/ui")

    # A file that is not what its name says: the API refuses it and the page shows the API's own message.
    not_a_pdf = {"name": "scan.pdf", "mimeType": "application/pdf", "buffer": b"this is not a PDF at all"}
    page.get_by_label("Title", exact=True).fill("Broken scan")
    page.get_by_label("File", exact=True).set_input_files(not_a_pdf)
    page.get_by_role("button", name="Upload contract").click()
    alert = page.locator("#upload-error")
    expect(alert).to_be_visible()
    expect(alert).to_have_attribute("role", "alert")
    expect(alert).to_contain_text("Upload failed.")
    expect(alert).to_contain_text("'scan.pdf': not a readable PDF")

    # Delete: asked first, and "Keep it" keeps it.
    upload_pasted(page, "Short-lived NDA", (SAMPLE_DATA / NDA_VARIANT_B).read_text())
    row = page.get_by_role("table", name="Library").get_by_role("row", name="Short-lived NDA")
    row.get_by_role("button", name="Delete Short-lived NDA").click()
    dialog = page.get_by_role("dialog", name="Delete contract")
    expect(dialog).to_contain_text("Short-lived NDA")
    dialog.get_by_role("button", name="Keep it").click()
    expect(dialog).to_be_hidden()
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Delete Short-lived NDA").click()
    dialog.get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0)
    with dev_app.client(None) as client:
        titles = [c["title"] for c in get_json(client, "/api/contracts")["contracts"]]
    assert "Short-lived NDA" not in titles and "Broken scan" not in titles
    session.assert_no_js_errors()


def test_comparison_of_selected_clauses(open_page, dev_app: RunningApp) -> None:
    with dev_app.client(None) as client:
        standard_id = upload_sample(client, NDA_STANDARD, title="Clause Standard")
        upload_sample(client, NDA_VARIANT_B, title="Clause Variant B")
        titles = {c["title"] for c in get_json(client, f"/api/contracts/{standard_id}")["clauses"]}
    session: PageSession = open_page(dev_app.base_url)
    page = session.page
    page.goto("/api/ui#analyze")
    form = page.locator("#comparison-form")
    form.get_by_label("Standard contract").select_option(label="Clause Standard")
    form.get_by_role("checkbox", name="Clause Variant B").check()
    form.get_by_label("Selected clauses of the standard").check()
    # The standard's clause titles, read from the API (GET /api/contracts/{id}).
    clauses = page.get_by_role("group", name="Clauses of the standard")
    expect(clauses.get_by_role("checkbox")).to_have_count(len(titles))
    clauses.get_by_role("checkbox", name="Remedies").check()
    clauses.get_by_role("checkbox", name="Governing Law and Jurisdiction").check()
    form.get_by_role("button", name="Start comparison").click()

    card = job_card(page, "Clause Standard vs Clause Variant B")
    expect(card.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100", timeout=JOB_TIMEOUT_MS)
    card.get_by_role("button", name="View results").click()
    rows = page.get_by_role("table", name="Clause Variant B").locator("tbody tr")
    expect(rows).to_have_count(1)  # the difference; the matched clause is one click away
    expect(rows.filter(has_text="Remedies")).to_have_attribute("data-status", "missing")
    page.get_by_role("button", name="Show matched clauses (1)").click()
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Governing Law")).to_have_attribute("data-status", "matched")
    session.assert_no_js_errors()


UNLABELLED_CONTROLS = """() => [...document.querySelectorAll("input, select, textarea, button")]
  .filter((el) => !(
    (el.labels && el.labels.length > 0) ||
    el.getAttribute("aria-label") ||
    el.getAttribute("aria-labelledby") ||
    (el.tagName === "BUTTON" && el.textContent.trim())
  ))
  .map((el) => el.outerHTML.slice(0, 160))"""

FOCUS_RING = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return { element: "", visible: false };  // past the last stop
  const style = getComputedStyle(el);
  return {
    element: el.outerHTML.slice(0, 100),
    visible: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
  };
}"""


def test_every_control_has_a_label_and_keyboard_focus_is_visible(open_page, dev_app: RunningApp) -> None:
    with dev_app.client(None) as client:
        upload_sample(client, NDA_STANDARD, title="Labelled NDA")
    session: PageSession = open_page(dev_app.base_url)
    page = session.page
    page.goto("/api/ui")
    expect(page.get_by_role("row", name="Labelled NDA").first).to_be_visible()
    for view in ("contracts", "analyze"):
        page.goto(f"/api/ui#{view}")
        page.locator("#cmp-compared input[type=checkbox]").first.wait_for(state="attached")
        assert page.evaluate(UNLABELLED_CONTROLS) == [], view

    # Tabbing through the page: every stop shows a focus ring, starting with the skip link.
    page.goto("/api/ui#contracts")
    page.reload()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    stops = 0
    while (ring := page.evaluate(FOCUS_RING))["element"] and stops < 40:
        assert ring["visible"], ring["element"]
        stops += 1
        page.keyboard.press("Tab")
    assert stops >= 8, f"only {stops} keyboard stops on the Contracts view"

    # The skip link moves focus to the content and leaves the view as it was.
    page.goto("/api/ui#analyze")
    page.reload()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="New analysis")).to_be_visible()
    expect(page.locator("main")).to_be_focused()
    session.assert_no_js_errors()
