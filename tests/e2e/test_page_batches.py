"""The Batches tab in a real browser (Chromium through Playwright) against the real app under devhost, with the
offline evaluator (LLM_PROVIDER=offline evaluates for real): two documents uploaded into a folder through the page,
a batch with a pass/fail prompt and a checks prompt created through its form, staged, run, its scores and summary
shown as the jobs progress, and its CSV export downloaded from the page's link. The HTTP API is used only to check
what the page claims.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.app import RunningApp, make_app
from tests.e2e.helpers import get_json
from tests.support import browser
from tests.support.azurite import start_azurite
from tests.support.browser import PageSession, expect

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = [pytest.mark.slow, pytest.mark.azurite]

playwright_driver = browser.playwright_driver
open_page = browser.open_page

DEV_USER = "page-batches-user"
JOB_TIMEOUT_MS = 90_000
FOLDER = "Vendors 2025"
BATCH = "Vendor review"
ACME = b"""MASTER SERVICES AGREEMENT

1. Confidentiality. Each party shall keep the other party's confidential information secret.

2. Payment Terms. Customer shall pay each invoice within thirty (30) days of receipt.

3. Governing Law. This Agreement is governed by the laws of the State of Washington.
"""
GLOBEX = b"""SERVICES AGREEMENT

1. Services. Supplier shall provide the services described in each order.

2. Liability. Supplier's liability is limited to the fees paid in the prior twelve months.
"""

UNLABELLED_CONTROLS = """() => [...document.querySelectorAll("[data-view=batches] :is(input, select, button)")]
  .concat([...document.querySelectorAll("[data-view=batches] textarea")])
  .filter((el) => el.offsetParent !== null)
  .filter((el) => !(
    (el.labels && el.labels.length > 0) ||
    el.getAttribute("aria-label") ||
    el.getAttribute("aria-labelledby") ||
    (el.tagName === "BUTTON" && el.textContent.trim())
  ))
  .map((el) => el.outerHTML.slice(0, 160))"""


@pytest.fixture(scope="module")
def dev_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """The app as run locally (DEV_USER_ID, offline evaluator), on its own Azurite (queues and document blobs)."""
    with start_azurite() as storage:
        app = make_app(tmp_path_factory.mktemp("page-batches-app"), storage, DEV_USER_ID=DEV_USER).start()
        yield app
        app.stop()


def monitor(page: Page) -> Locator:
    return page.get_by_role("complementary", name="Job monitor")


def prompt_group(page: Page, number: int) -> Locator:
    return page.locator("#batch-form").get_by_role("group", name=f"Prompt {number}", exact=True)


def test_a_batch_from_upload_to_scores_and_export(open_page, dev_app: RunningApp, tmp_path: Path) -> None:
    session: PageSession = open_page(dev_app.base_url)
    page = session.page
    page.goto("/api/ui")
    page.get_by_role("link", name="Batches").click()
    expect(page.get_by_role("heading", name="Batches", exact=True)).to_be_focused()

    # Two documents into one folder, in one upload.
    page.get_by_label("Folder", exact=True).fill(FOLDER)
    page.get_by_label("Files").set_input_files(
        [
            {"name": "acme.txt", "mimeType": "text/plain", "buffer": ACME},
            {"name": "globex.txt", "mimeType": "text/plain", "buffer": GLOBEX},
        ]
    )
    page.get_by_role("button", name="Upload documents").click()
    expect(page.locator("#document-status")).to_have_text(f"Uploaded 2 documents to “{FOLDER}”.")
    folders = page.get_by_role("table", name="Folders")
    expect(folders.get_by_role("row", name=FOLDER)).to_contain_text("2")

    # A batch: a pass/fail prompt and a checks prompt over that folder.
    form = page.locator("#batch-form")
    form.get_by_label("Name", exact=True).first.fill(BATCH)
    form.get_by_role("group", name="Folders").get_by_role("checkbox", name=FOLDER).check()
    first = prompt_group(page, 1)
    first.get_by_label("Name").fill("Confidentiality")
    first.get_by_label("Question or instruction").fill("Does the agreement protect confidential information?")
    expect(first.get_by_label("Scoring")).to_have_value("pass_fail")
    form.get_by_role("button", name="Add a prompt").click()
    second = prompt_group(page, 2)
    expect(second.get_by_label("Name")).to_be_focused()
    second.get_by_label("Name").fill("Key terms")
    second.get_by_label("Question or instruction").fill("Which key terms does the agreement set?")
    second.get_by_label("Scoring").select_option("checks")
    checks = second.get_by_role("group", name="Checks")
    checks.get_by_label("Check name").fill("Payment")
    checks.get_by_label("Regular expression").fill(r"pay(ment)?\b.*days")
    checks.get_by_role("button", name="Add a check").click()
    checks.get_by_label("Check name").nth(1).fill("Governing law")
    checks.get_by_label("Regular expression").nth(1).fill("governed by the laws")
    page.get_by_label("Temperature").fill("0")
    assert page.evaluate(UNLABELLED_CONTROLS) == []
    form.get_by_role("button", name="Create batch").click()

    # The new batch opens in its own view, SAVED, with Stage offered; the forms and the list are one link away.
    detail = page.locator("#batch-detail")
    expect(detail.get_by_role("heading", name=BATCH)).to_be_focused()
    expect(page).to_have_url(re.compile(r"#batches/bat_"))
    batch_id = page.url.rsplit("/", 1)[-1]
    status = page.locator("#batch-detail-status")
    expect(status).to_have_text("Saved")
    expect(page.locator("#batch-form")).to_be_hidden()
    assert detail.bounding_box()["y"] < 400, "the open batch is at the top of the view"  # type: ignore[index]
    detail.get_by_role("link", name="All batches").click()
    listed = page.get_by_role("table", name="Your batches").get_by_role("row", name=BATCH)
    expect(listed).to_contain_text("Saved")
    expect(listed).to_contain_text("2 in folders")  # not staged yet: what its folder holds, not "0"
    listed.get_by_role("link", name=BATCH).click()
    expect(detail.get_by_role("heading", name=BATCH)).to_be_focused()

    # Stage: the job shows in the monitor with the batch's name; the batch becomes Staged.
    detail.get_by_role("button", name="Stage").click()
    staging_card = monitor(page).get_by_role("listitem").filter(has_text=f"Staging — {BATCH}")
    expect(staging_card).to_have_attribute("data-status", "completed", timeout=JOB_TIMEOUT_MS)
    expect(status).to_have_text("Staged", timeout=JOB_TIMEOUT_MS)
    expect(detail).to_contain_text("2 of 2 documents staged.")
    scores = page.get_by_role("table", name="Scores")
    expect(scores.locator("td[data-status=QUEUED]")).to_have_count(4)
    expect(detail.get_by_role("button", name="Stage")).to_be_hidden()

    # Reprocess staging answers in the seed's words when it finishes within BATCH_SYNC_WAIT_SECONDS.
    detail.get_by_role("button", name="Reprocess staging").click()
    expect(page.locator("#batch-action-status")).to_have_text(
        "Batch staging completed - 2/2 documents prepared.", timeout=JOB_TIMEOUT_MS
    )
    expect(status).to_have_text("Staged")

    # Run: the score table fills in and the summary appears, live.
    detail.get_by_role("button", name="Run", exact=True).click()
    run_card = monitor(page).get_by_role("listitem").filter(has_text=f"Run — {BATCH}")
    expect(run_card).to_have_attribute("data-status", "completed", timeout=JOB_TIMEOUT_MS)
    expect(status).to_have_text("Completed", timeout=JOB_TIMEOUT_MS)
    expect(scores.locator("td[data-status=S]")).to_have_count(4)
    acme = scores.get_by_role("row").filter(has_text="acme.txt")
    expect(acme.locator("td[data-prompt=Confidentiality] .score")).to_have_text("Pass")
    expect(acme.locator('td[data-prompt="Key terms"] .score')).to_have_text("2 of 2 checks")
    expect(acme.locator("td").last).to_have_text("100 %")
    globex = scores.get_by_role("row").filter(has_text="globex.txt")
    expect(globex.locator('td[data-prompt="Key terms"] .score')).to_have_text("0 of 2 checks")
    evidence = acme.locator('td[data-prompt="Key terms"] details')
    evidence.locator("summary").click()
    expect(evidence.locator("blockquote").first).to_be_visible()
    expect(evidence).to_contain_text("governed by the laws")
    summary = page.get_by_role("table", name="Per prompt")
    confidentiality = summary.get_by_role("row", name="Confidentiality")
    expect(confidentiality).to_contain_text("50 %")  # one of two passes
    # A pass/fail prompt's mean is its pass rate: shown once, as the pass rate.
    expect(confidentiality.locator("td").nth(3)).to_have_text("—see the pass rate")
    # Once it has run, reprocessing the staging is no longer offered; re-running failed records is.
    expect(detail.get_by_role("button", name="Reprocess staging")).to_be_hidden()
    expect(page.locator("#batch-summary")).to_contain_text("Answers reused")
    session.screenshot("completed", full_page=True)

    # The CSV export, from the page's link: one row per document x prompt.
    with page.expect_download() as download_info:
        detail.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename == f"Vendor-review-{batch_id}.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"), newline="")))
    assert {r["outcome"] for r in rows} == {"answered"}  # the seed's S, in words beside it
    assert sorted((r["document"], r["prompt"], r["status"]) for r in rows) == [
        ("acme.txt", "Confidentiality", "S"),
        ("acme.txt", "Key terms", "S"),
        ("globex.txt", "Confidentiality", "S"),
        ("globex.txt", "Key terms", "S"),
    ]

    # What the page showed is what the API says.
    with dev_app.client(None) as client:
        batch = get_json(client, f"/api/batches/{batch_id}")
    assert batch["status"] == "COMPLETED" and batch["counts"] == {"QUEUED": 0, "S": 4, "F": 0}
    assert [p["name"] for p in batch["summary"]["prompts"]] == ["Confidentiality", "Key terms"]
    session.assert_no_js_errors()


def test_the_batch_form_shows_the_apis_errors_and_creates_nothing(open_page, dev_app: RunningApp) -> None:
    session: PageSession = open_page(dev_app.base_url)
    session.allow_failed_load(r"/api/batches$")  # the 422 below, on purpose
    page = session.page
    page.goto("/api/ui#batches")
    form = page.locator("#batch-form")
    form.get_by_label("Name", exact=True).first.fill("Broken batch")
    first = prompt_group(page, 1)
    first.get_by_label("Name").fill("Regex")
    first.get_by_label("Question or instruction").fill("Does it say anything?")
    first.get_by_label("Scoring").select_option("checks")
    first.get_by_label("Check name").fill("Unclosed")
    first.get_by_label("Regular expression").fill("(")
    form.get_by_role("button", name="Create batch").click()

    alert = page.locator("#batch-form-error")
    expect(alert).to_be_visible()
    expect(alert).to_have_attribute("role", "alert")
    expect(alert).to_contain_text("The batch was not created.")
    expect(alert.get_by_role("listitem").filter(has_text="folders")).to_contain_text("at least 1 item")
    expect(alert.get_by_role("listitem").filter(has_text="prompts.0.scoring.checks.checks.0.regex")).to_contain_text(
        "does not compile"
    )
    expect(form.get_by_label("Name", exact=True).first).to_have_value("Broken batch")  # nothing the user typed is lost
    with dev_app.client(None) as client:
        names = [b["name"] for b in get_json(client, "/api/batches")["batches"]]
    assert "Broken batch" not in names
    session.assert_no_js_errors()
