"""The lawyer's view in a real browser (Chromium through Playwright) against the app under devhost: a comparison
submitted through the API (not the page) shows by its title in the monitor and its notification; its result opens on
the differences as a redline, toggles to side by side per contract (remembered), jumps to each change, downloads the
Word report and opens a clause in the contract viewer. Then axe-core checks every view of the page."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import docx
import pytest

from tests.e2e.app import RunningApp, make_app
from tests.e2e.helpers import (
    NDA_STANDARD,
    NDA_VARIANT_A,
    NDA_VARIANT_B,
    get_json,
    status_url,
    submit_comparison,
    submit_query,
    upload_sample,
    wait_for_job,
)
from tests.support import browser
from tests.support.azurite import start_azurite
from tests.support.browser import REPO_ROOT, PageSession, expect

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.slow, pytest.mark.azurite]

playwright_driver = browser.playwright_driver
open_page = browser.open_page

DEV_USER = "redline-dev-user"
JOB_TIMEOUT_MS = 90_000
TITLE = "NDA Mutual Standard vs 2 contracts"
AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def dev_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with start_azurite() as storage:
        app = make_app(tmp_path_factory.mktemp("redline-app"), storage, DEV_USER_ID=DEV_USER, DEV_OPS="true").start()
        yield app
        app.stop()


@pytest.fixture(scope="module")
def comparison(dev_app: RunningApp) -> dict[str, Any]:
    """Three NDAs in the library; the result of comparing the standard with the two variants."""
    with dev_app.client(None) as client:
        standard = upload_sample(client, NDA_STANDARD, title="NDA Mutual Standard")
        a = upload_sample(client, NDA_VARIANT_A, title="NDA Variant A")
        b = upload_sample(client, NDA_VARIANT_B, title="NDA Variant B")
        submitted = submit_comparison(client, standard, [a, b])
        watch = wait_for_job(client, status_url(submitted["job_id"]))
        assert watch.final["status"] == "completed", watch.final
        asked = submit_query(client, "Which state's law governs the agreement?", [standard, a])
        answered = wait_for_job(client, status_url(asked["job_id"]))
        assert answered.final["status"] == "completed", answered.final
        return {
            "job_id": submitted["job_id"],
            "result_id": watch.final["output"]["result_id"],
            "question_id": answered.final["output"]["result_id"],
            "standard": standard,
        }


def results_table(page: Page, contract: str) -> Any:
    return page.get_by_role("table", name=contract)


def test_a_job_submitted_through_the_api_shows_by_its_title(open_page, dev_app: RunningApp) -> None:
    with dev_app.client(None) as client:
        standard = upload_sample(client, NDA_STANDARD, title="Title Standard")
        others = [
            upload_sample(client, NDA_VARIANT_A, title="Title A"),
            upload_sample(client, NDA_VARIANT_B, title="Title B"),
        ]
    session: PageSession = open_page(dev_app.base_url)
    page = session.page
    page.goto("/api/ui")
    expect(page.locator("#feed-state")).to_have_text("Live")
    with dev_app.client(None) as client:
        job_id = submit_comparison(client, standard, others)["job_id"]
    card = page.locator(f"li.job[data-job-id='{job_id}']")
    expect(card.locator(".job-title")).to_have_text("Title Standard vs 2 contracts")
    expect(card).to_have_attribute("data-status", "completed", timeout=JOB_TIMEOUT_MS)
    toast = (
        page.get_by_role("region", name="Notifications").get_by_role("status").filter(has_text="Comparison complete")
    )
    expect(toast).to_contain_text("Title Standard vs 2 contracts")
    # A success goes by itself after a few seconds (its "View results" stays on the card); failures stay.
    expect(toast).to_have_count(0, timeout=15_000)
    expect(card.get_by_role("button", name="View results")).to_be_visible()

    # Whatever the page knows: with the standard gone from the library, the job still names itself.
    with dev_app.client(None) as client:
        assert client.delete(f"/api/contracts/{standard}").status_code == 204
    page.reload()
    expect(card.locator(".job-title")).to_have_text("Title Standard vs 2 contracts")
    session.assert_no_js_errors()


def test_the_result_opens_on_the_changes_as_a_redline(
    open_page, dev_app: RunningApp, comparison: dict[str, Any], tmp_path: Any
) -> None:
    session: PageSession = open_page(dev_app.base_url)
    page = session.page
    page.goto(f"/api/ui#result/{comparison['result_id']}")
    expect(page.get_by_role("heading", name="Comparison result")).to_be_visible()
    table = results_table(page, "NDA Variant A")
    rows = table.locator("tbody tr")

    # The differences only, highest severity first; matched clauses one click away.
    with dev_app.client(None) as client:
        result = get_json(client, f"/api/results/{comparison['result_id']}")["result"]
    findings = next(c for c in result["comparisons"] if c["contract_title"] == "NDA Variant A")["clauses"]
    changed = [f for f in findings if f["status"] != "matched"]
    expect(rows).to_have_count(len(changed))
    ranks = {"high": 3, "medium": 2, "low": 1, "none": 0}
    severities = [ranks[s] for s in rows.evaluate_all("rows => rows.map(r => r.dataset.severity)")]
    assert severities == sorted(severities, reverse=True) and severities[0] == 3, severities

    # The governing law change as a redline: Delaware struck through, New York underlined, each said in words;
    # the law sentence first, then the venue's (New Castle County, Delaware -> New York County, New York).
    law = rows.filter(has_text="Governing Law")
    expect(law.locator("del")).to_contain_text(["Delaware", "Castle", "Delaware"])
    expect(law.locator("ins")).to_contain_text(["New York", "York", "New York"])
    expect(law.locator("del .visually-hidden").first).to_have_text("[deleted: ")
    decoration = law.locator("del").first.evaluate("el => getComputedStyle(el).textDecorationLine")
    assert "line-through" in decoration
    assert "underline" in law.locator("ins").first.evaluate("el => getComputedStyle(el).textDecorationLine")
    session.screenshot("redline", full_page=True)

    # The list of changes jumps to each.
    changes = page.get_by_role("navigation", name="Changes in NDA Variant A")
    changes.get_by_role("link", name="Governing Law and Jurisdiction").click()
    expect(law).to_be_focused()
    expect(law).to_have_class("jumped")

    # Matched clauses: shown on request, each with a way to read it.
    matched_button = (
        page.locator("section.comparison[data-contract-id]")
        .filter(has=table)
        .get_by_role("button", name="Show matched clauses")
    )
    matched_button.click()
    expect(rows).to_have_count(len(findings))
    matched_row = rows.filter(has=page.locator("td .status-matched")).first
    expect(matched_row).to_contain_text("Same text in both")
    expect(matched_row.get_by_role("link", name="In the standard")).to_be_visible()

    # Side by side, for this contract only, remembered.
    card = page.locator("section.comparison").filter(has=table)
    card.get_by_label("Side by side").check()
    expect(table.get_by_role("columnheader", name="This contract")).to_be_visible()
    page.reload()
    expect(results_table(page, "NDA Variant A").get_by_role("columnheader", name="This contract")).to_be_visible()
    expect(results_table(page, "NDA Variant B").get_by_role("columnheader", name="Changes")).to_be_visible()
    page.locator("section.comparison").filter(has=results_table(page, "NDA Variant A")).get_by_label("Redline").check()

    # The Word report, from the button.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download report").click()
    download = download_info.value
    assert download.suggested_filename == "NDA Mutual Standard vs 2 contracts - report.docx"  # filename*, readable
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    document = docx.Document(io.BytesIO(saved.read_bytes()))
    assert document.paragraphs[0].text == TITLE
    struck = [r.text for p in document.paragraphs for r in p.runs if r.font.strike]
    assert any("Delaware" in text for text in struck)

    # A finding opens its clause in the contract viewer: found, highlighted, focused.
    law = results_table(page, "NDA Variant A").locator("tbody tr").filter(has_text="Governing Law")
    law.get_by_role("link", name="In the standard").click()
    expect(page.get_by_role("heading", name="NDA Mutual Standard", exact=True)).to_be_visible()
    located = page.locator(".contract-clause.located")
    expect(located).to_have_count(1)
    expect(located).to_be_focused()
    expect(located.locator("mark")).to_contain_text("Delaware")
    expect(page.locator("#contract-located")).to_contain_text("Governing Law and Jurisdiction")
    session.screenshot("contract", full_page=False)
    session.assert_no_js_errors()


def test_a_citation_opens_its_clause(open_page, dev_app: RunningApp, comparison: dict[str, Any]) -> None:
    session: PageSession = open_page(dev_app.base_url)
    page = session.page
    page.goto(f"/api/ui#result/{comparison['question_id']}")
    citation = page.locator("li.citation").first
    quote = citation.locator("blockquote").inner_text()
    citation.get_by_role("link", name="Read in the contract").click()
    located = page.locator(".contract-clause.located")
    expect(located).to_be_focused()
    words = quote.strip('“”"…').split()[:4]
    expect(located.locator("mark")).to_contain_text(" ".join(words))
    session.assert_no_js_errors()


def test_the_library_opens_a_contract_with_its_clauses(
    open_page, dev_app: RunningApp, comparison: dict[str, Any]
) -> None:
    session: PageSession = open_page(dev_app.base_url)
    page = session.page
    page.goto("/api/ui")
    page.get_by_role("table", name="Library").get_by_role("link", name="NDA Mutual Standard").click()
    expect(page.get_by_role("heading", name="NDA Mutual Standard", exact=True)).to_be_visible()
    outline = page.get_by_role("navigation", name="Clauses")
    with dev_app.client(None) as client:
        clauses = get_json(client, f"/api/contracts/{comparison['standard']}")["clauses"]
    expect(outline.get_by_role("link")).to_have_count(len(clauses))
    remedies = next(c for c in clauses if c["title"] == "Remedies")
    expect(page.locator(f"#clause-{remedies['index']}")).to_contain_text(f"characters {remedies['start']:,}")
    outline.get_by_role("link", name="Remedies").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#clause-{remedies['index']}")).to_be_focused()
    session.assert_no_js_errors()


AXE_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
}"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(AXE_RUN)
    return found


def test_no_view_has_a_serious_accessibility_violation(
    open_page, dev_app: RunningApp, comparison: dict[str, Any]
) -> None:
    assert AXE.exists(), "axe-core is not installed: npm ci (package.json devDependencies)"
    with dev_app.client(None) as client:
        client.post(
            "/api/documents",
            json={"folder": "Axe", "filename": "nda.md", "content_base64": "IyBOREEKCjEuIFRlcm0uIE9uZSB5ZWFyLgo="},
        )
        batch = client.post(
            "/api/batches",
            json={"name": "Axe batch", "folders": ["Axe"], "prompts": [{"name": "Law", "text": "Which law governs?"}]},
        ).json()["batch_id"]
    session: PageSession = open_page(dev_app.base_url, bypass_csp=True)
    page = session.page
    result = f"#result/{comparison['result_id']}"
    views: list[tuple[str, str, str]] = [
        ("contracts", "#contracts", "#library-body tr"),
        ("new analysis", "#analyze", "#cmp-compared input"),
        ("result, redline", result, "table.findings ins"),
        ("result, side by side", result, "table.findings"),
        ("question and answer", f"#result/{comparison['question_id']}", "li.citation"),
        ("contract viewer", f"#contract/{comparison['standard']}?clause=Remedies", ".contract-clause.located"),
        ("batches", "#batches", "#batch-list-body tr"),
        ("a batch", f"#batches/{batch}", "#batch-detail-body .batch-section"),
        ("operations", "#ops", ".ops-tiles"),
    ]
    report: dict[str, list[dict[str, Any]]] = {}
    for name, hash_, ready in views:
        page.goto(f"/api/ui{hash_}")
        page.reload()  # a fresh page per view: each axe run sees one view as a user lands on it
        if name == "operations":
            expect(page.locator("[data-view-link=ops]")).to_be_visible()
        page.locator(ready).first.wait_for(state="attached", timeout=JOB_TIMEOUT_MS)
        if name == "result, side by side":
            page.locator("section.comparison").first.get_by_label("Side by side").check()
            page.locator("section.comparison").first.get_by_role("button", name="Show matched clauses").click()
        expect(page.locator("#job-list li").first).to_be_attached()  # the monitor, beside every view
        report[name] = axe_violations(page)
    print(json.dumps(report, indent=1))
    assert all(not found for found in report.values()), json.dumps(report, indent=1)
    session.assert_no_js_errors()
