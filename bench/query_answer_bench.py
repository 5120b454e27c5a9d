"""Offline query answers on lawyers' questions: share answered with the right clause, now, before, and naive.

The question set is tests/shared/query/questions.py: QUESTIONS (the set the answerer was tuned on), HELD_OUT
(written later, then tuned on) and UNSEEN (written last, barely tuned on: the nearest estimate for new questions). A
(question, contract) answer is right when its first citation names the expected clause (with the expected words
quoted), or when it says "not addressed" where no clause addresses the question.

Compared with:
- before: the answerer this replaced (commit 3eb9b6d: hand-rolled BM25, symmetric synonym groups, one sentence per
  clause), measured on the same set before the change; recorded here, as its code is gone;
- naive: BM25 (bm25s) over stemmed clause text with the question's words, the top clause of each contract cited,
  "not addressed" only when no clause shares a word with the question.

Needs ../shared/data (the Common Paper NDA). Prints figures, asserts nothing.
Run: python -m bench.query_answer_bench
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from bench.naive_bm25 import bm25_top
from shared.analysis.offline.analyzer import OfflineAnalyzer
from shared.query.models import Citation, PartAnswer, PerContractAnswer, QueryPartTask
from tests.shared.query.questions import HELD_OUT, QUESTIONS, UNSEEN, Outcome, Question, evaluate, share_right

# The replaced answerer (commit 3eb9b6d) on this set: right answers / (question, contract) pairs.
BEFORE = {"QUESTIONS": (93, 176), "HELD_OUT": (45, 70), "UNSEEN": (26, 44)}
SETS: dict[str, list[Question]] = {"QUESTIONS": QUESTIONS, "HELD_OUT": HELD_OUT, "UNSEEN": UNSEEN}


def naive(task: QueryPartTask) -> PartAnswer:
    """Top BM25 clause per contract for the question's words; nothing cited only when no word is shared."""
    per_contract = []
    for contract in task.contracts:
        citations = [
            Citation(contract_id=contract.contract_id, clause_title=clause.title, quote=clause.text)
            for clause in (contract.clauses[i] for i in bm25_top(task.question, contract, 1))
        ]
        per_contract.append(
            PerContractAnswer(
                contract_id=contract.contract_id,
                contract_title=contract.title,
                answer="",
                relevant=bool(citations),
                citations=citations,
            )
        )
    citations = [c for p in per_contract for c in p.citations]
    return PartAnswer(part_index=task.part_index, answer="", citations=citations, per_contract=per_contract)


def report(name: str, outcomes: list[Outcome], seconds: float) -> None:
    right = sum(o.right for o in outcomes)
    styles: Counter[str] = Counter()
    style_right: Counter[str] = Counter()
    for o in outcomes:
        styles[o.question.style] += 1
        style_right[o.question.style] += o.right
    by_style = ", ".join(f"{s} {style_right[s]}/{n}" for s, n in sorted(styles.items()))
    print(
        f"  {name:7s} {right:3d}/{len(outcomes)} = {share_right(outcomes):6.1%}  ({by_style})  {seconds * 1000:6.0f} ms"
    )


def run(answer: Callable[[QueryPartTask], PartAnswer], questions: list[Question]) -> tuple[list[Outcome], float]:
    start = time.perf_counter()
    outcomes = evaluate(answer, questions)
    return outcomes, time.perf_counter() - start


def main() -> None:
    analyzer = OfflineAnalyzer()
    totals: Counter[str] = Counter()
    for set_name, questions in SETS.items():
        print(f"{set_name}: {len(questions)} questions")
        now, seconds = run(lambda task: analyzer.answer_part(task).output, questions)
        report("offline", now, seconds)
        right, pairs = BEFORE[set_name]
        print(f"  before  {right:3d}/{pairs} = {right / pairs:6.1%}  (recorded)")
        baseline, seconds = run(naive, questions)
        report("naive", baseline, seconds)
        totals.update(
            {
                "pairs": len(now),
                "now": sum(o.right for o in now),
                "before": right,
                "naive": sum(o.right for o in baseline),
            }
        )
    pairs = totals["pairs"]
    print(
        f"all {sum(len(q) for q in SETS.values())} questions, {pairs} answers: offline {totals['now'] / pairs:.1%}, "
        f"before {totals['before'] / pairs:.1%}, naive {totals['naive'] / pairs:.1%}"
    )


if __name__ == "__main__":
    main()
