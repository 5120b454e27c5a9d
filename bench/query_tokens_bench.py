"""Tokens a model-backed query sends, and whether the clause that answers is among them: retrieval first (`"retrieval":
"ranked"`, shared/query/retrieval.py) vs sending every clause (`"all"`) vs today's prompt (every clause, the reply
schema left open), with a naive retrieval baseline (BM25 top 3 clauses per contract, no recall guard).

Each query is planned exactly as a job plans it (`plan_for` for a gpt-4o model with a 128,000-token context and the
default 4,000-token output reserve), and its tokens are what the LLM client counts and sends for every part: both
messages in their chat framing and the part's response schema (`sent_prompt_tokens`, o200k_base). "Today" counts the
same parts of `"all"` with the open schema (PartOut), i.e. the contracts whole and no enums.

Two sets:
- the real-contracts evaluation set (tests/data/real/: 81 questions, each asked of its one agreement as the app
  segments it). A question's answer is *sent* when, for every part of the question, one of its acceptable reference
  sections (tests/data_real/outline.py) is sent whole: every clause of the app's segmentation that shares a
  non-blank character with the section's body is among the clauses sent. Questions the agreement does not address
  count for tokens only. Targets (issue 19): recall >= 98 % of the held-out questions, tokens <= 25 % of today's.
- the sample questions (tests/shared/query/questions.py: QUESTIONS, HELD_OUT, UNSEEN, each over its scope of sample
  contracts and the Common Paper NDA, as one query): an answer is sent when one of the expected clause titles is
  among the clauses sent to that contract.

The held-out split is for reporting (tests/data/real/README.md): --verbose lists misses only with --split tune.
Prints figures, asserts nothing. Run: python -m bench.query_tokens_bench [--split tune] [--verbose]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.naive_bm25 import bm25_top
from bench.real_contracts_bench import app_segments, covered
from shared.contracts.analysis import ContractForAnalysis
from shared.llm.framing import sent_prompt_tokens
from shared.query.models import QueryPartTask
from shared.query.outputs import PartOut, part_bounds, part_schema
from shared.query.plan import plan_for, plan_parts
from shared.query.prompts import query_part_messages
from shared.query.request import QueryJobRequest, Retrieval
from shared.text.tokens import encoding_for_model
from tests.data_real.realset import SPLITS, Question, load_questions, resolve
from tests.shared.query import questions as sample_questions

MODEL = "gpt-4o"
CONTEXT = 128_000
RESERVE = 4_000  # LLM_MAX_OUTPUT_TOKENS's default: what a job reserves
ENCODING = encoding_for_model(MODEL)
NAIVE_TOP = 3


class BenchAnalyzer:
    """What the planner reads of an analyzer: a model with its context. No call is made."""

    provider = "openai"

    def model_name(self, selection: Any) -> str:
        return MODEL

    def context_tokens(self, selection: Any) -> int:
        return CONTEXT


ANALYZER = BenchAnalyzer()


@dataclass
class Sent:
    """One query as planned: the clauses each contract sends (indexes into its clauses) and the prompt tokens."""

    clauses: dict[str, set[int]]
    tokens: int
    whole: set[str] = field(default_factory=set)  # contracts sent whole though ranked


def _positions(whole: ContractForAnalysis, sent: ContractForAnalysis) -> set[int]:
    """Indexes of the sent clauses in the whole contract (sent clauses are a subsequence, in document order)."""
    found: set[int] = set()
    k = 0
    for clause in sent.clauses:
        while whole.clauses[k] != clause:
            k += 1
        found.add(k)
        k += 1
    return found


def _tokens(parts: Sequence[QueryPartTask], schema: Callable[[QueryPartTask], type[Any]]) -> int:
    return sum(sent_prompt_tokens(query_part_messages(p), schema(p), ENCODING) for p in parts)


def _bounded(part: QueryPartTask) -> type[Any]:
    return part_schema(part_bounds(part.contracts))


def plan(question: str, contracts: list[ContractForAnalysis], retrieval: Retrieval) -> tuple[Sent, list[QueryPartTask]]:
    request = QueryJobRequest(question=question, contract_ids=[c.contract_id for c in contracts], retrieval=retrieval)
    _, parts = plan_for(ANALYZER, request, contracts, RESERVE)  # type: ignore[arg-type]
    by_id = {c.contract_id: c for c in contracts}
    clauses: dict[str, set[int]] = {c.contract_id: set() for c in contracts}
    for part in parts:
        for sent in part.contracts:
            clauses[sent.contract_id] |= _positions(by_id[sent.contract_id], sent)
    whole = {cid for cid, kept in clauses.items() if len(kept) == len(by_id[cid].clauses)}
    return Sent(clauses, _tokens(parts, _bounded), whole), parts


def naive(question: str, contracts: list[ContractForAnalysis]) -> Sent:
    """BM25 over the question's stemmed words, each contract's top NAIVE_TOP clauses with a positive score (its
    first clause when none scores), sent with the bounded schema."""
    kept: dict[str, set[int]] = {}
    cut = []
    for contract in contracts:
        order = bm25_top(question, contract, NAIVE_TOP) or [0]
        kept[contract.contract_id] = set(order)
        cut.append(contract.model_copy(update={"clauses": [contract.clauses[i] for i in sorted(order)]}))
    request = QueryJobRequest(question=question, contract_ids=[c.contract_id for c in contracts])
    budget = plan_for(ANALYZER, request, [], RESERVE)[0]  # type: ignore[arg-type]
    return Sent(kept, _tokens(plan_parts(question, cut, budget), _bounded))


@dataclass
class Tally:
    name: str
    answered: int = 0  # questions (or question x contract answers) with an answer to send
    recalled: int = 0
    tokens: list[int] = field(default_factory=list)
    wholes: int = 0
    contracts: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.recalled / self.answered if self.answered else 1.0


@dataclass
class Run:
    """One set's queries, each planned every way."""

    ours: Tally = field(default_factory=lambda: Tally("ranked (ours)"))
    naive: Tally = field(default_factory=lambda: Tally(f"naive BM25 top {NAIVE_TOP}"))
    all: Tally = field(default_factory=lambda: Tally('"all"'))
    today: list[int] = field(default_factory=list)
    seconds: float = 0.0
    queries: int = 0

    def ask(self, question: str, contracts: list[ContractForAnalysis], hit: Callable[[Sent], list[str]]) -> None:
        """Plan `question` over `contracts`; `hit` names what a plan missed (empty: every answer was sent)."""
        self.queries += 1
        start = time.perf_counter()
        ours, _ = plan(question, contracts, "ranked")
        self.seconds += time.perf_counter() - start
        everything, parts = plan(question, contracts, "all")
        self.today.append(_tokens(parts, lambda _: PartOut))
        for tally, sent in ((self.ours, ours), (self.naive, naive(question, contracts)), (self.all, everything)):
            tally.tokens.append(sent.tokens)
            tally.wholes += len(sent.whole)
            tally.contracts += len(contracts)
            missed = hit(sent)
            tally.misses += missed
            tally.recalled -= len(missed)


def report(name: str, run: Run, what: str, verbose: bool) -> None:
    if not run.queries:
        print(f"{name}: no queries")
        return
    today = sum(run.today)
    print(f"{name}: {run.queries} queries, {run.ours.answered} {what} to send")
    print(f"    {'today (every clause, open schema)':36s} {today / run.queries:8,.0f} tokens/query")
    for tally in (run.ours, run.naive, run.all):
        shares = [t / d for t, d in zip(tally.tokens, run.today, strict=True)]
        recalled = f"{tally.recalled}/{tally.answered} = {tally.recall:6.1%}"
        wholes = f"  {tally.wholes}/{tally.contracts} contracts whole" if tally is run.ours else ""
        print(
            f"    {tally.name:36s} {sum(tally.tokens) / run.queries:8,.0f} tokens/query"
            f"  {sum(tally.tokens) / today:6.1%} of today (median query {statistics.median(shares):5.1%})"
            f"  answer sent {recalled}{wholes}"
        )
        if verbose:
            for miss in tally.misses:
                print(f"      miss: {miss}")
    print(f"    selection time {run.seconds / run.queries * 1000:.0f} ms/query (ranking and planning)")


# --- the real-contracts set ------------------------------------------------------------------------------------


def _answer_sent(question: Question, clauses: set[int], spans: list[tuple[int, int]]) -> bool:
    for part in question.answers:
        sections = [resolve(question.contract, ref) for ref in part]
        if not any(_whole_section_sent(question.contract, s, clauses, spans) for s in sections):
            return False
    return True


def _whole_section_sent(file: str, section: Any, clauses: set[int], spans: list[tuple[int, int]]) -> bool:
    holding = [i for i, span in enumerate(spans) if section in covered(file, span)]
    return bool(holding) and all(i in clauses for i in holding)


def real_set(split: str, verbose: bool, only: set[str] | None = None) -> None:
    run = Run()
    for question in (q for q in load_questions() if q.split == split and (only is None or q.id in only)):
        segmented = app_segments(question.contract, question.contract)
        spans = [(s.start, s.end) for s in segmented.spans]
        cid = segmented.contract.contract_id

        def hit(
            sent: Sent, question: Question = question, spans: list[tuple[int, int]] = spans, cid: str = cid
        ) -> list[str]:
            if question.not_addressed or _answer_sent(question, sent.clauses[cid], spans):
                return []
            return [f"{question.id} {question.text!r}"]

        addressed = not question.not_addressed
        for tally in (run.ours, run.naive, run.all):
            tally.answered += addressed
            tally.recalled += addressed
        run.ask(question.text, [segmented.contract], hit)
    report(f"real contracts, {split}", run, "questions with an answer", verbose)


def sample_set(verbose: bool) -> None:
    contracts = sample_questions.load_contracts()
    run = Run()
    asked = [*sample_questions.QUESTIONS, *sample_questions.HELD_OUT, *sample_questions.UNSEEN]
    for question in asked:
        scope = [contracts[cid] for cid in question.expect]
        expected = {cid: titles for cid, titles in question.expect.items() if titles}

        def hit(sent: Sent, text: str = question.text, expected: dict[str, tuple[str, ...]] = expected) -> list[str]:
            return [
                f"{text!r} on {cid}: expected {' | '.join(titles)}"
                for cid, titles in expected.items()
                if not any(contracts[cid].clauses[i].title in titles for i in sent.clauses[cid])
            ]

        for tally in (run.ours, run.naive, run.all):
            tally.answered += len(expected)
            tally.recalled += len(expected)
        run.ask(question.text, scope, hit)
    report("sample contracts (all three question sets)", run, "question x contract answers", verbose)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--split", choices=SPLITS, help="only this split of the real set (default: both)")
    parser.add_argument("--verbose", action="store_true", help="list misses (with --split tune: never held-out ones)")
    parser.add_argument("--questions", help="comma-separated ids of real-set questions (default: all)")
    parser.add_argument("--no-samples", action="store_true", help="skip the sample questions")
    args = parser.parse_args(argv)
    only = set(args.questions.split(",")) if args.questions else None
    for split in (args.split,) if args.split else SPLITS:
        real_set(split, args.verbose and split == "tune", only)
    if not args.no_samples:
        sample_set(args.verbose)


if __name__ == "__main__":
    main()
