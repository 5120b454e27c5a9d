"""Word-level redline speed and readability on the clauses of a ~100-page contract, against a naive character diff.

    python -m bench.redline_bench [--pages 100] [--seed 7]

Prints figures only (no assertions). The contract is bench.text_bench's (sample_data/msa_standard.txt grown to ~100
pages); every clause of it (all levels), cut to an excerpt's length as findings are (2,000 characters), is paired
with a revised copy: a deterministic mix of what revisions do — a word replaced, a number changed, a phrase deleted,
a sentence added — plus markup-only changes (bold, a curly quote, a renumbered list item) that must not show.

Measured per clause pair, best of 3 (tokenizing, diffing and cutting runs from the verbatim texts, i.e. the whole of one
finding's redline):
- ours: shared.comparison.redline (diff-match-patch on one character per token, semantic cleanup);
- difflib and rapidfuzz on the same tokens (same runs code), when installed;
- naive: difflib.SequenceMatcher on the two raw strings, character by character (no tokens, markup counts).
Readability: change runs per pair (fewer, larger changes read better than many fragments) and how many pairs whose
only difference is markup show no change at all.
"""

from __future__ import annotations

import argparse
import difflib
import random
import re
import statistics
import time
from collections.abc import Callable, Sequence
from typing import cast

from bench.text_bench import build_contract
from shared.comparison.findings import MAX_EXCERPT_CHARS
from shared.comparison.models import RedlineRun
from shared.comparison.redline import Opcode, OpcodeTag, opcodes, runs, tokens
from shared.text.segmentation import segment, top_level

Differ = Callable[[str, str], list[RedlineRun]]
REPEATS = 3  # each pair's time is its best of 3: other processes on a shared machine only ever add time

_SWAPS = (
    ("shall", "must"),
    ("thirty (30)", "sixty (60)"),
    ("Customer", "Client"),
    ("reasonable", "commercially reasonable"),
)
_SENTENCES = (
    " The parties shall act in good faith.",
    " Notice must be given in writing.",
    " This survives termination.",
)


def revise(text: str, rng: random.Random) -> tuple[str, bool]:
    """A revised copy of `text` and whether it changed only in markup."""
    if rng.random() < 0.2:  # markup only: bold a word, curl the apostrophes, renumber a list item
        out = re.sub(r"\b(Agreement|Services|Customer)\b", r"**\1**", text, count=1)
        out = out.replace("'", "\u2019")
        out = re.sub(r"^(\d+)\.(\d+) ", lambda m: f"{m.group(1)}.{int(m.group(2)) + 1} ", out, count=1, flags=re.M)
        return out, True
    words = text.split(" ")
    if rng.random() < 0.1 and len(words) > 8:  # a rewrite: the second half's words in another order
        half = len(words) // 2
        tail = words[half:]
        rng.shuffle(tail)
        return " ".join(words[:half] + tail), False
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(4)
        if kind == 0:
            old, new = rng.choice(_SWAPS)
            text = text.replace(old, new, 1)
        elif kind == 1 and len(words) > 12:
            i = rng.randrange(len(words) - 6)
            words = words[:i] + words[i + rng.randint(2, 5) :]
            text = " ".join(words)
        elif kind == 2:
            text = re.sub(r"\d+", lambda m: str(int(m.group()) * 2), text, count=1)
        else:
            cut = text.rfind(".", 0, max(1, len(text) // 2))
            text = (
                text[: cut + 1] + rng.choice(_SENTENCES) + text[cut + 1 :] if cut > 0 else text + rng.choice(_SENTENCES)
            )
        words = text.split(" ")
    return text, False


def _token_differ(codes: Callable[[Sequence[str], Sequence[str]], list[Opcode]]) -> Differ:
    def differ(a: str, b: str) -> list[RedlineRun]:
        ta, tb = tokens(a), tokens(b)
        return runs(a, b, ta, tb, codes([t.text for t in ta], [t.text for t in tb]))

    return differ


def _difflib_codes(a: Sequence[str], b: Sequence[str]) -> list[Opcode]:
    return [
        (tag, i1, i2, j1, j2)
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    ]


def _rapidfuzz_differ() -> Differ | None:
    try:
        from rapidfuzz.distance import Indel
    except ImportError:
        return None

    def codes(a: Sequence[str], b: Sequence[str]) -> list[Opcode]:
        out: list[Opcode] = []
        for op in Indel.opcodes(a, b):
            tag = cast(OpcodeTag, op.tag)  # rapidfuzz's tags are difflib's words
            out.append((tag, op.src_start, op.src_end, op.dest_start, op.dest_end))
        return out

    return _token_differ(codes)


def naive(a: str, b: str) -> list[RedlineRun]:
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b).get_opcodes():
        if tag == "equal":
            out.append(RedlineRun(op="equal", text=b[j1:j2]))
            continue
        if i2 > i1:
            out.append(RedlineRun(op="delete", text=a[i1:i2]))
        if j2 > j1:
            out.append(RedlineRun(op="insert", text=b[j1:j2]))
    return out


def measure(name: str, differ: Differ, pairs: list[tuple[str, str, bool]]) -> None:
    times: list[float] = []
    changes: list[int] = []
    markup_clean = markup_total = 0
    for a, b, markup_only in pairs:
        best = float("inf")
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            result = differ(a, b)
            best = min(best, time.perf_counter() - t0)
        times.append(best * 1000)
        n = sum(1 for r in result if r.op != "equal")
        if markup_only:
            markup_total += 1
            markup_clean += n == 0
        else:
            changes.append(n)
    times.sort()
    p50 = statistics.median(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(
        f"{name:10} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  max {times[-1]:7.2f} ms  "
        f"change runs per revised pair {statistics.mean(changes):5.1f}  "
        f"markup-only pairs shown unchanged {markup_clean}/{markup_total}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    text = build_contract(args.pages)
    rng = random.Random(args.seed)
    clauses = segment(text)
    print(f"{len(text):,} chars")
    for label, chosen in (("every clause", clauses), ("top-level clauses", top_level(clauses, text))):
        pairs = []
        for clause in chosen:
            excerpt = clause.text.strip()[:MAX_EXCERPT_CHARS]
            if excerpt:
                revised, markup_only = revise(excerpt, rng)
                pairs.append((excerpt, revised, markup_only))
        lengths = sorted(len(a) for a, _, _ in pairs)
        print(
            f"\n{label}: {len(pairs):,} pairs (excerpt length p50 {statistics.median(lengths):,.0f}, "
            f"max {lengths[-1]:,} chars)"
        )
        run_all(pairs)


def run_all(pairs: list[tuple[str, str, bool]]) -> None:
    candidates: list[tuple[str, Differ | None]] = [
        ("ours", _token_differ(opcodes)),
        ("difflib", _token_differ(_difflib_codes)),
        ("rapidfuzz", _rapidfuzz_differ()),
        ("naive", naive),
    ]
    for name, differ in candidates:
        if differ is None:
            print(f"{name:10} not installed")
            continue
        differ(*pairs[0][:2])  # warm up (imports, regex compilation)
        measure(name, differ, pairs)


if __name__ == "__main__":
    main()
