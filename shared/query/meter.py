"""Exact prompt tokens of query parts, in time linear in the contracts: what the planner packs parts with.

A part's prompt is what `query_part_messages` sends (shared/query/prompts.py): the system prompt and the user
message `render_part` renders, in their chat framing, with the part's response schema (shared/query/outputs.py).
The system prompt, the framing and the schema with its fields left open are the same for every part (`overhead`,
counted as shared/llm/framing.py counts a call); what a part's schema adds to that, the enums of its contract ids
and clause titles (`bounds`), is counted for each candidate part as the JSON the client counts, once per distinct
schema.

The user message is counted in pieces, each counted once: the question, each contract's opening tag, each clause
with the newline after it, and each contract's closing tag with the separator after it. Every piece but the last
ends with a newline and the next starts with one of our delimiters' `<`, and no o200k/cl100k pre-token spans a
newline followed by `<` (a pre-token that holds a newline ends there, or goes on only with more newlines or `/`).
So the tokens of a message are the sum of the tokens of its pieces, whatever the contract text holds.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from shared.contracts.analysis import ClauseText, ContractForAnalysis
from shared.llm.framing import CONTRACT_END, chat_tokens, render_clause, render_contract_head
from shared.query.outputs import OPEN, ReplyBounds, part_bounds, part_schema_text
from shared.query.prompts import PART_SEPARATOR, part_messages, render_question
from shared.text.tokens import count_tokens

_CLAUSE_SEPARATOR = "\n"  # after each clause, before the next clause or the contract's closing tag


@functools.cache
def prompt_overhead(encoding: str) -> int:
    """Tokens every part's prompt costs besides its user message's text and its schema's bounds: the system
    prompt, the chat framing of both messages and the response schema with its fields open (the same for every
    part, of every question)."""
    return chat_tokens(part_messages(""), encoding) + _open_schema_tokens(encoding)


@functools.cache
def _open_schema_tokens(encoding: str) -> int:
    return count_tokens(part_schema_text(OPEN), encoding)


class PartMeter:
    """Token counts of the prompts of one question's parts, from pieces counted once each."""

    def __init__(self, question: str, encoding: str) -> None:
        self.encoding = encoding
        self.overhead = prompt_overhead(encoding)
        self.header = count_tokens(render_question(question), encoding)
        self._end = count_tokens(CONTRACT_END, encoding)
        self._end_followed = count_tokens(CONTRACT_END + PART_SEPARATOR, encoding)
        self._heads: dict[tuple[str, str], int] = {}
        self._empty: dict[tuple[str, str], int] = {}
        self._clauses: dict[tuple[str, str | None, str], int] = {}
        self._bounds: dict[str, int] = {part_schema_text(OPEN): 0}

    def head(self, contract: ContractForAnalysis) -> int:
        """The contract's opening tag, with its newline."""
        key = (contract.contract_id, contract.title)
        if key not in self._heads:
            self._heads[key] = count_tokens(render_contract_head(contract), self.encoding)
        return self._heads[key]

    def clause(self, clause: ClauseText) -> int:
        """The clause's element, with the newline after it."""
        key = (clause.title, clause.number, clause.text)
        if key not in self._clauses:
            self._clauses[key] = count_tokens(render_clause(clause) + _CLAUSE_SEPARATOR, self.encoding)
        return self._clauses[key]

    def end(self, followed: bool) -> int:
        """A contract's closing tag, with the separator after it when another contract follows."""
        return self._end_followed if followed else self._end

    def body(self, contract: ContractForAnalysis) -> int:
        """The contract up to its closing tag: its opening tag and clauses (render_contract joins the clauses with
        newlines and puts one more before the closing tag: a contract without clauses has that one only)."""
        if not contract.clauses:
            key = (contract.contract_id, contract.title)
            if key not in self._empty:
                self._empty[key] = count_tokens(render_contract_head(contract) + _CLAUSE_SEPARATOR, self.encoding)
            return self._empty[key]
        return self.head(contract) + sum(self.clause(clause) for clause in contract.clauses)

    def bounds(self, bounds: ReplyBounds) -> int:
        """Tokens a part's schema with these bounds costs over the open schema (in `overhead`)."""
        text = part_schema_text(bounds)
        if text not in self._bounds:
            self._bounds[text] = count_tokens(text, self.encoding) - _open_schema_tokens(self.encoding)
        return self._bounds[text]

    def part(self, contracts: Sequence[ContractForAnalysis]) -> int:
        """Tokens of the user message of a part holding `contracts`."""
        last = len(contracts) - 1
        return self.header + sum(self.body(c) + self.end(followed=i < last) for i, c in enumerate(contracts))

    def prompt(self, contracts: Sequence[ContractForAnalysis]) -> int:
        """Tokens of the whole prompt of a part holding `contracts`, as the LLM client sends it."""
        return self.overhead + self.part(contracts) + self.bounds(part_bounds(contracts))
