"""Takes the README's redline screenshot (docs/redline.png): a comparison result as a lawyer opens it — the changes
of one compared contract, highest severity first, as a redline (the standard's words struck through, the new ones
underlined). The real app under devhost with the offline analyzer.

    python scripts/screenshot_redline.py [--out docs/redline.png]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import expect

from scripts.screenshot_support import result_page
from tests.e2e.helpers import NDA_VARIANT_A, NDA_VARIANT_B


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/redline.png"))
    args = parser.parse_args()
    compared = [(NDA_VARIANT_A, "Bluefin NDA (counterparty draft)"), (NDA_VARIANT_B, "Harbor NDA (signed 2024)")]
    with result_page(compared, height=1000) as opened:
        page = opened.page
        card = page.locator("section.comparison").first
        expect(card.locator("table.findings ins").first).to_be_visible()
        page.evaluate("window.scrollTo(0, 0)")
        page.mouse.move(0, 0)
        page.screenshot(path=str(args.out))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
