"""Takes the README's redline screenshot (docs/redline.png): a comparison result as a lawyer opens it — the changes
of one compared contract, highest severity first, as a redline (the standard's words struck through, the new ones
underlined). The real app under devhost with the offline analyzer.

    python scripts/screenshot_redline.py [--out docs/redline.png]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import expect, sync_playwright

from tests.e2e.app import make_app
from tests.e2e.helpers import NDA_STANDARD, NDA_VARIANT_A, NDA_VARIANT_B, upload_sample, wait_for_job
from tests.support.azurite import start_azurite
from tests.support.browser import CHROMIUM_ARGS, chromium_path

USER = "dev-user"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/redline.png"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, start_azurite() as storage:
        app = make_app(Path(tmp) / "app", storage, DEV_USER_ID=USER).start()
        try:
            with app.client(USER) as client:
                standard = upload_sample(client, NDA_STANDARD, title="NDA Mutual Standard")
                compared = [
                    upload_sample(client, NDA_VARIANT_A, title="Bluefin NDA (counterparty draft)"),
                    upload_sample(client, NDA_VARIANT_B, title="Harbor NDA (signed 2024)"),
                ]
                body = {"request": {"standardContractId": standard, "compareContractIds": compared}}
                done = client.post("/api/jobs/comparison", json=body).json()
                result_id = wait_for_job(client, done["statusQueryGetUri"], timeout=60).final["output"]["result_id"]
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(chromium_path()), args=list(CHROMIUM_ARGS))
                page = browser.new_page(viewport={"width": 1440, "height": 1000})
                page.goto(f"{app.base_url}/api/ui#result/{result_id}")
                expect(page.locator("#feed-state")).to_have_text("Live", timeout=20_000)
                card = page.locator("section.comparison").first
                expect(card.locator("table.findings ins").first).to_be_visible()
                page.evaluate("window.scrollTo(0, 0)")
                page.mouse.move(0, 0)
                page.screenshot(path=str(args.out))
                browser.close()
        finally:
            app.stop()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
