"""What reading .docx and .pdf files in a child process costs per document, against reading them in this process.

    python -m bench.extraction_bench [--runs 30]

Prints figures only (no assertions): the median time of `read_document` here (the in-process baseline) and of
`extract_text` through a warm child (shared/text/sandbox.py: two pipes, a JSON header, the bytes one way and the
text the other), for documents from 1.6 KB to a 100-page PDF; a child's start (importing the readers, then its
limits); and the document after a child was killed for its time limit (its successor is already starting).
Plain text and markdown are never sent to a child: their line shows the in-process time of both paths.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from shared.text.errors import OverReadingLimit
from shared.text.extraction import extract_text, read_document
from shared.text.limits import ReadingLimits
from shared.text.sandbox import Child, pool_for
from tests.support import hostile_files as hostile

SAMPLES = Path(__file__).resolve().parent.parent / "sample_data"
LIMITS = ReadingLimits(timeout_seconds=2.0)


def median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def documents() -> list[tuple[str, bytes]]:
    return [
        ("list.docx", hostile.numbered_list_docx(1, "decimal")),
        ("commercial_lease.docx", (SAMPLES / "commercial_lease.docx").read_bytes()),
        ("nda_mutual_standard.pdf", (SAMPLES / "nda_mutual_standard.pdf").read_bytes()),
        ("hundred_pages.pdf", hostile.text_pdf(100, "The Supplier shall deliver the Goods on time. " * 20)),
        ("msa_standard.txt", (SAMPLES / "msa_standard.txt").read_bytes()),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs

    pool = pool_for(LIMITS)
    pool.warm()
    extract_text("commercial_lease.docx", (SAMPLES / "commercial_lease.docx").read_bytes(), LIMITS)  # warm it up

    print(f"Per document, median of {runs} runs (ms)")
    print(f"  {'document':<26} {'bytes':>9} {'chars':>8} {'in-process':>11} {'child':>8} {'overhead':>9}")
    for name, content in documents():
        text = read_document(name, content, LIMITS)
        here = median_ms(lambda n=name, c=content: read_document(n, c, LIMITS), runs)  # type: ignore[misc]
        there = median_ms(lambda n=name, c=content: extract_text(n, c, LIMITS), runs)  # type: ignore[misc]
        print(f"  {name:<26} {len(content):>9,} {len(text):>8,} {here:>11.2f} {there:>8.2f} {there - here:>+9.2f}")

    starts = []
    for _ in range(5):
        started = time.perf_counter()
        child = Child(LIMITS.memory_mb)
        child.wait_ready()
        starts.append(time.perf_counter() - started)
        child.kill()
    start_ms = statistics.median(starts) * 1000
    print(f"\nA child's start (import the readers, limit itself), median of 5: {start_ms:.0f} ms")

    slow, lease = hostile.slow_pdf(20), (SAMPLES / "commercial_lease.docx").read_bytes()
    after = []
    for _ in range(3):
        with contextlib.suppress(OverReadingLimit):
            extract_text("slow.pdf", slow, LIMITS)
        started = time.perf_counter()
        extract_text("commercial_lease.docx", lease, LIMITS)
        after.append(time.perf_counter() - started)
    print(
        f"The next document after a child was killed at its {LIMITS.timeout_seconds:g} s limit: "
        f"{statistics.median(after) * 1000:.0f} ms (its successor was started at the kill)"
    )


if __name__ == "__main__":
    main()
