"""What the README's screenshots share: the real app under devhost (offline analyzer, Azurite) with a finished
comparison of the sample NDA standard, and a headless Chromium page opened on its result, the page's feed live."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from tests.e2e.app import RunningApp, make_app
from tests.e2e.helpers import NDA_STANDARD, upload_sample, wait_for_job
from tests.support.azurite import start_azurite
from tests.support.browser import CHROMIUM_ARGS, chromium_path

USER = "dev-user"


@dataclass
class ResultPage:
    app: RunningApp
    page: Page
    standard: str  # the standard's contract id


@contextmanager
def result_page(compared: list[tuple[Path, str]], height: int) -> Iterator[ResultPage]:
    """The app, a comparison of the NDA standard with `compared` (sample file, title) done, and a 1440 x `height`
    page on its result with the feed live."""
    with tempfile.TemporaryDirectory() as tmp, start_azurite() as storage:
        app = make_app(Path(tmp) / "app", storage, DEV_USER_ID=USER).start()
        try:
            with app.client(USER) as client:
                standard = upload_sample(client, NDA_STANDARD, title="NDA Mutual Standard")
                ids = [upload_sample(client, sample, title=title) for sample, title in compared]
                body = {"request": {"standardContractId": standard, "compareContractIds": ids}}
                done = client.post("/api/jobs/comparison", json=body).json()
                result_id = wait_for_job(client, done["statusQueryGetUri"], timeout=60).final["output"]["result_id"]
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(chromium_path()), args=list(CHROMIUM_ARGS))
                page = browser.new_page(viewport={"width": 1440, "height": height})
                page.goto(f"{app.base_url}/api/ui#result/{result_id}")
                expect(page.locator("#feed-state")).to_have_text("Live", timeout=20_000)
                yield ResultPage(app, page, standard)
                browser.close()
        finally:
            app.stop()
