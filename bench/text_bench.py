"""Segmentation and token-count speed on a ~100-page contract, against naive baselines.

    python -m bench.text_bench

Prints figures only (no assertions). The contract is built from sample_data/msa_standard.txt: its articles are
repeated with new numbers and small wording changes until the text is about 100 pages (~50,000 words).
Baselines:
- segmentation: a per-line loop trying every heading regex with re.match (no first-character filter, no
  numbering state) - the obvious first implementation;
- token counting: a per-clause budget check that re-tokenizes the document prefix up to each clause
  (what "does the context still fit after adding this clause?" costs without incremental counts).
"""

from __future__ import annotations

import re
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shared.text.segmentation import segment, top_level
from shared.text.tokens import count_tokens

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "msa_standard.txt"
WORDS_PER_PAGE = 500


def _roman(n: int) -> str:
    out = ""
    for value, sym in ((100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV")):
        while n >= value:
            out, n = out + sym, n - value
    return out + "I" * n


def build_contract(pages: int = 100) -> str:
    text = SAMPLE.read_text(encoding="utf-8")
    head, _, rest = text.partition("ARTICLE I\n")
    body, _, tail = ("ARTICLE I\n" + rest).rpartition("\n\nSigned for")
    articles = re.split(r"\n\n(?=ARTICLE )", body)
    out = [head.rstrip()]
    n = 0
    variations = ("", " The parties shall act in good faith.", " This applies to each Statement of Work.")
    while sum(len(p.split()) for p in out) < pages * WORDS_PER_PAGE:
        for art in articles:
            n += 1
            old = re.match(r"ARTICLE ([IVX]+)", art)
            assert old
            old_num = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9}[old.group(1)]
            new = art.replace(f"ARTICLE {old.group(1)}\n", f"ARTICLE {_roman(n)}\n", 1)
            new = re.sub(rf"^{old_num}\.(\d+) ", rf"{n}.\1 ", new, flags=re.M)
            new = new.replace(".\n\n", "." + variations[n % 3] + "\n\n")
            out.append(new)
    return "\n\n".join(out) + "\n\nSigned for" + tail


_NAIVE_PATTERNS = [
    re.compile(p)
    for p in (
        r"\s*#{1,6}\s+\S",
        r"\s*(?:ARTICLE|Article)\s+([IVXLC]+|\d+)",
        r"\s*(?:SECTION|Section)\s+\d+",
        r"\s*\d+(?:\.\d+)*\.?\s+\*\*",
        r"\s*\d+(?:\.\d+)*\.?\s+[A-Z][^.]{0,80}\.",
        r"\s*\([a-z]+\)\s",
    )
]


def naive_segment(text: str) -> list[tuple[int, int]]:
    starts = []
    offset = 0
    for line in text.splitlines(keepends=True):
        if any(p.match(line) for p in _NAIVE_PATTERNS):
            starts.append(offset)
        offset += len(line)
    return list(zip(starts, [*starts[1:], len(text)], strict=True))


def measure(fn: Callable[[], Any], repeat: int = 5) -> tuple[float, int, Any]:
    """Best wall time (s) over ``repeat`` runs, peak traced memory (bytes) of one run, result."""
    result = fn()  # warm-up (encoder load, regex compile)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak, result


def report(name: str, seconds: float, peak: int, size_mb: float, extra: str = "") -> None:
    print(f"  {name:<44} {seconds * 1000:9.1f} ms {size_mb / seconds:9.1f} MB/s  peak {peak / 1e6:7.2f} MB  {extra}")


def main() -> None:
    text = build_contract()
    size_mb = len(text.encode()) / 1e6
    words = len(text.split())
    print(f"contract: {len(text):,} chars, {words:,} words (~{words / WORDS_PER_PAGE:.0f} pages), {size_mb:.2f} MB")

    print("segmentation")
    t, peak, clauses = measure(lambda: segment(text))
    tops = top_level(clauses, text)
    report("segment()", t, peak, size_mb, f"{len(clauses)} clauses, {len(tops)} top-level")
    t, peak, naive = measure(lambda: naive_segment(text))
    report("naive per-line re.match loop", t, peak, size_mb, f"{len(naive)} spans")

    print("token counting (o200k_base)")
    t, peak, n_tokens = measure(lambda: count_tokens(text))
    report("count_tokens(whole text)", t, peak, size_mb, f"{n_tokens:,} tokens, {n_tokens / t / 1e6:.2f} M tokens/s")
    t, peak, per_clause = measure(lambda: sum(count_tokens(c.text) for c in clauses))
    report("count_tokens per clause (sum)", t, peak, size_mb, f"{per_clause:,} tokens")
    t, peak, n_cl = measure(lambda: count_tokens(text, "cl100k_base"))
    report("count_tokens(whole text, cl100k_base)", t, peak, size_mb, f"{n_cl:,} tokens")
    sample_clauses = clauses[:: max(1, len(clauses) // 40)]

    def naive_prefix() -> int:
        return sum(count_tokens(text[: c.end]) for c in sample_clauses)

    t, peak, _ = measure(naive_prefix, repeat=1)
    per = t / len(sample_clauses)
    print(
        f"  naive prefix re-tokenize per clause: {per * 1000:.1f} ms/clause over {len(sample_clauses)} clauses "
        f"-> ~{per * len(clauses) * 1000:.0f} ms for all {len(clauses)} (peak {peak / 1e6:.2f} MB)"
    )


if __name__ == "__main__":
    main()
