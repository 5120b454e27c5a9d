"""Load the sample contracts in sample_data/ into a running app through its HTTP API (idempotent by title).

Runs as the local development user (DEV_USER_ID in local.settings.json); against Azure, pass --principal-id only
if EasyAuth headers are trusted by the host you target.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "sample_data"
EXTENSIONS = {".md", ".txt", ".docx", ".pdf"}


def _call(method: str, url: str, body: dict[str, object] | None = None) -> tuple[int, dict[str, object]]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def wait_until_up(base_url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            status, _ = _call("GET", f"{base_url}/api/jobs/health")
            if status < 500:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            sys.exit(f"load_sample_data: {base_url} did not answer within {seconds:.0f} s")
        time.sleep(0.5)


ACRONYMS = {"nda": "NDA", "msa": "MSA"}


def title_for(path: Path) -> str:
    """`nda_mutual_variant_a.md` -> "NDA Mutual Variant A" (the .docx/.pdf twins of a text sample share its title
    and are skipped as already loaded)."""
    words = path.stem.replace("-", "_").split("_")
    return " ".join(ACRONYMS.get(w.lower(), w.capitalize()) for w in words if w)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", default="http://127.0.0.1:7071")
    parser.add_argument("--wait", type=float, default=0, help="seconds to wait for the app to come up")
    args = parser.parse_args()
    base = args.base_url.rstrip("/")
    if args.wait:
        wait_until_up(base, args.wait)

    status, listing = _call("GET", f"{base}/api/contracts")
    if status != 200:
        sys.exit(f"load_sample_data: GET /api/contracts answered {status}: {listing}")
    existing = {c["title"] for c in listing.get("contracts", [])}  # type: ignore[union-attr]
    for path in sorted(SAMPLES.iterdir()):
        if path.suffix.lower() not in EXTENSIONS or path.name.lower().startswith("readme"):
            continue
        title = title_for(path)
        if title in existing:
            continue
        if path.suffix.lower() in {".md", ".txt"}:
            body: dict[str, object] = {"title": title, "text": path.read_text(encoding="utf-8")}
        else:
            body = {
                "title": title,
                "filename": path.name,
                "content_base64": base64.b64encode(path.read_bytes()).decode(),
            }
        status, created = _call("POST", f"{base}/api/contracts", body)
        if status != 201:
            sys.exit(f"load_sample_data: uploading {path.name} answered {status}: {created}")
        print(f"loaded {created['contract_id']}  {title}  ({created['clause_count']} clauses)")
        existing.add(title)  # the .docx/.pdf twin of a sample loaded just now is skipped, not loaded again


if __name__ == "__main__":
    main()
