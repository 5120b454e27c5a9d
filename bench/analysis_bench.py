"""Offline clause alignment vs a naive all-pairs difflib baseline: 10 contracts x 40 clauses.

Each compared contract is the standard with clauses shuffled, a quarter renamed, a fifth reworded and a few
deleted. Prints time and alignment accuracy (pairs that are the true counterpart). No assertions on time.
Run: python -m bench.analysis_bench
"""

from __future__ import annotations

import difflib
import random
import time

from shared.analysis.offline.similarity import wordlist
from shared.comparison.offline.alignment import align
from shared.contracts.analysis import ClauseText

VOCAB = wordlist(
    "party agreement confidential information disclose notice days years written consent terminate breach "
    "payment invoice fees liability damages indemnify law court jurisdiction assign successor warranty "
    "services deliverables property license data security audit insurance obligations rights remedies "
    "employee solicit compete term renewal effective date customer provider records subcontractor"
)
TITLES = [f"Clause Topic {i}" for i in range(40)]


def make_standard(rng: random.Random) -> list[ClauseText]:
    return [
        ClauseText(title=t, text=" ".join(rng.choice(VOCAB) for _ in range(rng.randint(40, 120))) + ".") for t in TITLES
    ]


def make_variant(standard: list[ClauseText], rng: random.Random) -> tuple[list[ClauseText], dict[int, int]]:
    order = list(range(len(standard)))
    rng.shuffle(order)
    kept = [i for i in order if rng.random() > 0.05]
    out: list[ClauseText] = []
    truth: dict[int, int] = {}
    for i in kept:
        words = standard[i].text.split()
        if rng.random() < 0.2:
            for _ in range(len(words) // 6):
                words[rng.randrange(len(words))] = rng.choice(VOCAB)
        title = f"Renamed {i}" if rng.random() < 0.25 else standard[i].title
        truth[i] = len(out)
        out.append(ClauseText(title=title, text=" ".join(words)))
    return out, truth


def naive(standard: list[ClauseText], compared: list[ClauseText]) -> dict[int, int]:
    scored = sorted(
        (
            (difflib.SequenceMatcher(None, a.text, b.text).ratio(), i, j)
            for i, a in enumerate(standard)
            for j, b in enumerate(compared)
        ),
        reverse=True,
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs: dict[int, int] = {}
    for ratio, i, j in scored:
        if ratio >= 0.5 and i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs[i] = j
    return pairs


def accuracy(pairs: dict[int, int], truth: dict[int, int], n: int) -> float:
    correct = sum(1 for i in range(n) if pairs.get(i) == truth.get(i))
    return correct / n


def main() -> None:
    rng = random.Random(7)  # fixed seed: the same corpus every run
    standard = make_standard(rng)
    variants = [make_variant(standard, rng) for _ in range(10)]
    for name, run in (("offline", lambda c: {p.standard: p.compared for p in align(standard, c)}), ("difflib", None)):
        start = time.perf_counter()
        scores = []
        for compared, truth in variants:
            pairs = run(compared) if run else naive(standard, compared)
            scores.append(accuracy(pairs, truth, len(standard)))
        elapsed = time.perf_counter() - start
        print(
            f"{name:8s} 10 contracts x 40 clauses: {elapsed:7.3f} s total, {elapsed / 10 * 1000:8.1f} ms/contract, "
            f"accuracy {sum(scores) / len(scores):.3f}"
        )


if __name__ == "__main__":
    main()
