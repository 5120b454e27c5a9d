"""Retrieval first: what a model is sent of each contract for a question (`"retrieval": "ranked"`, the default).

Most questions are answered by one or two clauses of a contract, so a model-backed query sends each contract's
clauses that can hold the answer, not the whole text. The clauses are ranked for the question with the offline
answerer's hybrid ranking (shared/analysis/ranking.py: `rank_clauses`, words and meaning; a two-part question part
by part), and a contract keeps, in this order:

1. each question part's TOP_PER_PART best clauses, and further ones scoring at least KEEP_SHARE of that part's
   best (MAX_PER_PART in all);
2. every clause whose own heading names a concept of the question that few headings name (HEADING_MAX_CLAUSES):
   "Governing Law" for "Which law applies?", whatever its text scored;
3. after a kept clause that is a fragment (a heading, or a line introducing what follows: fewer than
   FRAGMENT_WORDS words), the clauses that follow it up to one that is not;
4. then the next-best clauses that fit, until the kept clauses make FILL_SHARE of the contract's tokens.

The recall guard sends the whole contract instead when the ranking cannot tell: a question part that no clause
shares a word with (neither its words nor their legal terms: the ranking would go by meaning alone), a ranking that
is flat (more than FLAT_CLAUSES clauses within FLAT_SHARE of the best), or a selection above WHOLE_SHARE of the
contract (little would be saved).

Kept clauses go in document order with their titles and numbers, verbatim: the one renderer
(shared/query/prompts.py) renders them and the planner counts them exactly, citations name real clauses, and a
quote verified against the clauses sent is verbatim in the whole contract. The constants were set on the `tune`
split of the real-contracts evaluation set and the sample questions, with the ranking also weakened (words only)
as a stress test; `python -m bench.query_tokens_bench` reports recall and tokens on both splits.

The ranking loads the WordLlama model once per process (shared/analysis/semantic.py), now on the LLM path too.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from shared.analysis.base import Analyzer
from shared.analysis.offline.similarity import lemmas
from shared.analysis.ranking import RankedClause, rank_clauses
from shared.contracts.analysis import ClauseText, ContractForAnalysis
from shared.query.meter import PartMeter
from shared.query.offline.question import parse_question, question_parts
from shared.query.request import QueryJobRequest
from shared.text.segmentation import PATH_SEPARATOR

TOP_PER_PART = 4  # the ranking's first is the answer for nearly every question; the next three are the margin
KEEP_SHARE = 0.5  # a clause half as good as the best may share the answer (a cap and its exceptions)
MAX_PER_PART = 6  # ... but a ranking with many such clauses is flat, not generous
HEADING_MAX_CLAUSES = 3  # a concept named in more headings than this ("data" in a DPA) picks nothing out
FRAGMENT_WORDS = 20  # fewer words than this: a heading or a lead-in, whose substance is in the clauses after it
FILL_SHARE = 0.10  # a contract whose kept clauses are small gets more of its next-best up to this share
FLAT_SHARE = 0.75  # clauses this close to the best ...
FLAT_CLAUSES = 6  # ... more of them than this: the ranking cannot tell, send the whole contract
WHOLE_SHARE = 0.6  # a selection above this share of the contract saves too little to risk missing the rest

Reason = Literal["ranked", "heading", "fragment", "fill", "whole"]


@dataclass(frozen=True)
class Selection:
    """What is sent of one contract: the contract with only the kept clauses (document order), and why each."""

    contract: ContractForAnalysis
    kept: dict[int, Reason]  # index of each kept clause in the whole contract -> why it is kept
    whole: bool
    tokens: int  # the kept clauses' elements, exactly as the planner counts them
    total: int  # the whole contract's clauses, the same way


def uses_retrieval(analyzer: Analyzer, request: QueryJobRequest) -> bool:
    """A model-backed query ranks unless asked for everything; the offline analyzer ranks every clause itself."""
    return request.retrieval == "ranked" and analyzer.provider != "offline"


def select_clauses(contract: ContractForAnalysis, question: str, meter: PartMeter) -> Selection:
    """The clauses of `contract` to send for `question` (see the module docstring)."""
    clauses = contract.clauses
    costs = [meter.clause(clause) for clause in clauses]
    total = sum(costs)
    parts = [rank_clauses(clauses, part) for part in question_parts(question)]  # each part's own ranking
    if not clauses or any(_flat(part) for part in parts):
        return _whole(contract, costs)
    kept: dict[int, Reason] = {}
    for part in parts:
        best = part[0].score
        for rank, clause in enumerate(part[:MAX_PER_PART]):
            if rank < TOP_PER_PART or clause.score >= KEEP_SHARE * best:
                kept.setdefault(clause.index, "ranked")
    for index in _named_in_headings(clauses, question):
        kept.setdefault(index, "heading")
    for index in sorted(kept):
        following = index
        while _fragment(clauses[following]) and following + 1 < len(clauses):
            following += 1
            kept.setdefault(following, "fragment")
    used = sum(costs[i] for i in kept)
    for clause in itertools.chain.from_iterable(zip(*parts, strict=True)):  # each part's next best in turn
        if clause.index not in kept and used + costs[clause.index] <= FILL_SHARE * total:
            kept[clause.index] = "fill"
            used += costs[clause.index]
    if used > WHOLE_SHARE * total:
        return _whole(contract, costs)
    order = sorted(kept)
    return Selection(
        contract=contract.model_copy(update={"clauses": [clauses[i] for i in order]}),
        kept={i: kept[i] for i in order},
        whole=False,
        tokens=used,
        total=total,
    )


def select_all(contracts: Sequence[ContractForAnalysis], question: str, meter: PartMeter) -> list[ContractForAnalysis]:
    return [select_clauses(contract, question, meter).contract for contract in contracts]


def _whole(contract: ContractForAnalysis, costs: list[int]) -> Selection:
    total = sum(costs)
    return Selection(contract, dict.fromkeys(range(len(costs)), "whole"), whole=True, tokens=total, total=total)


def _flat(part: list[RankedClause]) -> bool:
    """The ranking of one question part cannot single out an answer."""
    best = part[0].score
    if best <= 0 or all(clause.lexical <= 0 for clause in part):
        return True
    return sum(clause.score >= FLAT_SHARE * best for clause in part) > FLAT_CLAUSES


def _named_in_headings(clauses: Sequence[ClauseText], question: str) -> list[int]:
    """Clauses whose own heading carries a concept of the question (its word, not a related term) that at most
    HEADING_MAX_CLAUSES headings carry."""
    headings = [set(lemmas(clause.title.split(PATH_SEPARATOR)[-1])) for clause in clauses]
    named: list[int] = []
    for part in question_parts(question):
        for concept in parse_question(part).concepts:
            carrying = [k for k, heading in enumerate(headings) if concept.word in heading]
            if len(carrying) <= HEADING_MAX_CLAUSES:
                named += carrying
    return named


def _fragment(clause: ClauseText) -> bool:
    return len(clause.text.split()) < FRAGMENT_WORDS
