"""Takes the README's screenshot (docs/monitor.png): the page with a finished comparison open and a larger
comparison running in the job monitor, live from the stream. The real app under devhost with the offline
analyzer; the screenshot is taken while the running job is part way.

    python scripts/screenshot_monitor.py [--out docs/monitor.png]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.screenshot_support import USER, result_page
from tests.e2e.helpers import NDA_VARIANT_A, NDA_VARIANT_B, upload_sample

RUNNING = 40  # compared contracts of the job caught running


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/monitor.png"))
    args = parser.parse_args()
    compared = [(NDA_VARIANT_B, "NDA Mutual Variant B"), (NDA_VARIANT_A, "NDA Mutual Variant A")]
    with result_page(compared, height=900) as opened:
        page = opened.page
        with opened.app.client(USER) as client:
            suppliers = [upload_sample(client, NDA_VARIANT_A, title=f"Supplier NDA {i}") for i in range(RUNNING)]
            body = {"request": {"standardContractId": opened.standard, "compareContractIds": suppliers}}
            client.post("/api/jobs/comparison", json=body).raise_for_status()
        # Part way: past the first window of calls, well before the end.
        midway = re.compile(r"Comparing contract (1[2-9]|2[0-9]) of")
        monitor = page.get_by_role("complementary", name="Job monitor")
        monitor.get_by_text(midway).first.wait_for(timeout=60_000)
        page.mouse.move(0, 0)
        page.screenshot(path=str(args.out))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
