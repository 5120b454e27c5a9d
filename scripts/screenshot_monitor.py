"""Takes the README's screenshot (docs/monitor.png): the page with a finished comparison open and a larger
comparison running in the job monitor, live from the stream. The real app under devhost with the offline
analyzer; the screenshot is taken while the running job is part way.

    python scripts/screenshot_monitor.py [--out docs/monitor.png]
"""

from __future__ import annotations

import argparse
import re
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
RUNNING = 40  # compared contracts of the job caught running


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/monitor.png"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, start_azurite() as storage:
        app = make_app(Path(tmp) / "app", storage, DEV_USER_ID=USER).start()
        try:
            with app.client(USER) as client:
                standard = upload_sample(client, NDA_STANDARD, title="NDA Mutual Standard")
                compared = [
                    upload_sample(client, NDA_VARIANT_B, title="NDA Mutual Variant B"),
                    upload_sample(client, NDA_VARIANT_A, title="NDA Mutual Variant A"),
                ]
                body = {"request": {"standardContractId": standard, "compareContractIds": compared}}
                done = client.post("/api/jobs/comparison", json=body).json()
                result_id = wait_for_job(client, done["statusQueryGetUri"], timeout=60).final["output"]["result_id"]
                suppliers = [upload_sample(client, NDA_VARIANT_A, title=f"Supplier NDA {i}") for i in range(RUNNING)]
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(chromium_path()), args=list(CHROMIUM_ARGS))
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                page.goto(f"{app.base_url}/api/ui#result/{result_id}")
                expect(page.locator("#feed-state")).to_have_text("Live", timeout=20_000)
                with app.client(USER) as client:
                    body = {"request": {"standardContractId": standard, "compareContractIds": suppliers}}
                    client.post("/api/jobs/comparison", json=body).raise_for_status()
                # Part way: past the first window of calls, well before the end.
                midway = re.compile(r"Comparing contract (1[2-9]|2[0-9]) of")
                monitor = page.get_by_role("complementary", name="Job monitor")
                monitor.get_by_text(midway).first.wait_for(timeout=60_000)
                page.mouse.move(0, 0)
                page.screenshot(path=str(args.out))
                browser.close()
        finally:
            app.stop()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
