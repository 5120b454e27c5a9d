"""Takes the README's screenshot of the Operations tab (docs/ops.png): the real app under devhost on the OpenAI test
server (tests/support/openai_server.py), with DEV_OPS=true for its development caller. A few comparisons and
questions run first, one of them throttled once (429) and one rejected by the model service; the screenshot is taken
while one more comparison is held mid-call (the oldest running job).

    python scripts/screenshot_ops.py [--out docs/ops.png]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import expect, sync_playwright

from tests.e2e.app import TEST_MODEL_PRIMARY, make_app, openai_settings
from tests.e2e.helpers import (
    NDA_STANDARD,
    NDA_VARIANT_A,
    NDA_VARIANT_B,
    submit_comparison,
    submit_query,
    upload_sample,
    wait_for_job,
    wait_until,
)
from tests.support.azurite import start_azurite
from tests.support.browser import CHROMIUM_ARGS, chromium_path
from tests.support.openai_server import OpenAITestServer

USER = "dev-user"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/ops.png"))
    args = parser.parse_args()
    server = OpenAITestServer().start()
    with tempfile.TemporaryDirectory() as tmp, start_azurite() as storage:
        settings = openai_settings(server)
        app = make_app(Path(tmp) / "app", storage, DEV_USER_ID=USER, DEV_OPS="true", **settings).start()
        try:
            with app.client(None) as client:
                standard = upload_sample(client, NDA_STANDARD, title="NDA Mutual Standard")
                others = [
                    upload_sample(client, NDA_VARIANT_A, title="NDA Mutual Variant A"),
                    upload_sample(client, NDA_VARIANT_B, title="NDA Mutual Variant B"),
                ]
                server.rate_limit(retry_after_ms=500)
                for compared in (others, others[:1]):
                    done = submit_comparison(client, standard, compared)
                    wait_for_job(client, done["statusQueryGetUri"], timeout=90)
                asked = submit_query(client, "Which law governs each agreement?", [standard, *others])
                wait_for_job(client, asked["statusQueryGetUri"], timeout=90)
                server.fail(400, "The response was filtered due to the prompt triggering the content management policy")
                rejected = submit_comparison(client, standard, others[1:])
                wait_for_job(client, rejected["statusQueryGetUri"], timeout=90)
                gate = server.hold()
                held = len(server.requests) + 1
                submit_comparison(client, standard, others[1:])
                wait_until(lambda: len(server.requests) >= held, timeout=60, what="the held model call")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(chromium_path()), args=list(CHROMIUM_ARGS))
                page = browser.new_page(viewport={"width": 1440, "height": 1000})
                page.goto(f"{app.base_url}/api/ui#ops")
                table = page.get_by_role("table", name="Model deployments")
                expect(table.locator(f"tr[data-deployment='{TEST_MODEL_PRIMARY}']")).to_be_visible(timeout=30_000)
                expect(page.get_by_role("heading", name="Oldest running job")).to_be_visible()
                page.mouse.move(0, 0)
                page.screenshot(path=str(args.out), full_page=True)
                browser.close()
            gate.set()
        finally:
            app.stop()
            server.stop()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
