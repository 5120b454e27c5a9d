"""Users' `checks` patterns: Python's backtracking `re` against RE2 (google-re2), as the batch checks run them.

    python -m bench.regex_bench

Prints figures only (no assertions):
1. The issue's pattern `(\\w+\\s?)+$` over n letters and a "!": `re` doubles with every letter (it is stopped once a
   run passes 2 s); RE2 stays in microseconds, and over 2,000,000 characters (MAX_EXTRACTED_CHARS) is milliseconds.
2. RE2's worst cases within what a client may save (shared/batches/patterns.py: at most 2,500 RE2 instructions for
   a prompt's checks): patterns whose DFA blows up on adversarial text fall back to the NFA, whose cost per byte
   grows with the program. Measured over 2,000,000 characters of a and b.
3. Whether RE2 holds the GIL: a thread that wakes every 10 ms keeps its cadence during a long search.
"""

from __future__ import annotations

import random
import re
import threading
import time

from shared.batches.patterns import compile_pattern

EVIL = r"(\w+\s?)+$"
RE_BUDGET_SECONDS = 2.0
MAX_CHARS = 2_000_000


def _time(fn: object, *args: object) -> float:
    started = time.perf_counter()
    fn(*args)  # type: ignore[operator]
    return time.perf_counter() - started


def evil_on_re_and_re2() -> None:
    print(f"1. {EVIL} over n letters and '!'")
    print(f"   {'n':>9}  {'re':>10}  {'RE2':>10}")
    compiled_re = re.compile(EVIL, re.IGNORECASE | re.MULTILINE)
    compiled_re2 = compile_pattern(EVIL)
    re_seconds = 0.0
    for n in [*range(16, 27), 1_000, 100_000, MAX_CHARS]:
        text = "a" * n + "!"
        if re_seconds < RE_BUDGET_SECONDS:
            re_seconds = _time(compiled_re.search, text)
            shown = f"{re_seconds * 1000:>8.1f}ms"
        else:
            shown = f"~{re_seconds * 2 ** (n - 23) if n < 60 else float('inf'):>7.0f}s*" if n < 60 else "  forever*"
        re2_seconds = _time(compiled_re2.search, text.encode())
        print(f"   {n:>9,}  {shown}  {re2_seconds * 1000:>8.3f}ms")
    print("   * not run: doubling per letter from the last measured")
    print()


WORST = [
    ("ordinary: governed by the laws", "governed by the laws"),
    ("DFA blow-up: a[ab]{20}c", r"a[ab]{20}c"),
    ("DFA blow-up: (?s)a.{100}c", r"(?s)a.{100}c"),
    ("DFA blow-up: (?s)a.{500}c", r"(?s)a.{500}c"),
    ("at the limit: (?s)(a.{1,60}){5}c", r"(?s)(a.{1,60}){5}c"),
]


def worst_cases() -> None:
    rng = random.Random(1)
    text = "".join(rng.choice("ab") for _ in range(MAX_CHARS)).encode()
    print(f"2. RE2 over {MAX_CHARS:,} characters of random a/b (the worst text for these patterns)")
    for name, pattern in WORST:
        compiled = compile_pattern(pattern)
        seconds = min(_time(compiled.search, text) for _ in range(2))
        per_mb = seconds / (len(text) / 1e6)
        print(f"   {name:<34} {compiled.programsize:>6,} instructions  {seconds:>6.2f}s  ({per_mb:.2f} s/MB)")
    print()


def gil() -> None:
    rng = random.Random(2)
    text = "".join(rng.choice("ab") for _ in range(MAX_CHARS // 2)).encode()
    compiled = compile_pattern(r"(?s)a.{500}c")
    gaps: list[float] = []
    stop = threading.Event()

    def ticker() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            time.sleep(0.01)
            gaps.append(time.perf_counter() - started)

    thread = threading.Thread(target=ticker)
    thread.start()
    time.sleep(0.05)
    seconds = _time(compiled.search, text)
    stop.set()
    thread.join()
    print(
        f"3. GIL: a {seconds:.2f}s RE2 search; a 10 ms ticker in another thread ran {len(gaps)} times, "
        f"its longest gap {max(gaps) * 1000:.1f} ms"
    )


def main() -> None:
    evil_on_re_and_re2()
    worst_cases()
    gil()


if __name__ == "__main__":
    main()
