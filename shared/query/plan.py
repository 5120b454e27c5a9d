"""Query planning: split the question over the contracts into parts that each fit the model, exactly.

The budget of one part is the model's context minus the output reserve and the prompt overhead (instructions,
response schema, chat framing), all counted with the model's encoding. A contract set larger than one part is
split across parts; a single contract larger than a part is split by clauses; a clause larger than a part is
split by paragraphs, then by tokens. Nothing is dropped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from shared.analysis.base import Analyzer
from shared.contracts.analysis import ClauseText, ContractForAnalysis
from shared.errors import ValidationFailed
from shared.jobs.models import ModelSelection
from shared.llm.framing import chat, chat_tokens, sent_prompt_tokens
from shared.llm.schema import strict_json_schema
from shared.query.layout import QUERY_INSTRUCTIONS, TokenMeter, render_part
from shared.query.models import PartAnswer, QueryPartTask
from shared.query.outputs import PartOut
from shared.query.prompts import query_part_messages
from shared.query.request import QueryJobRequest
from shared.text.tokens import count_tokens, encoding_for_model, truncate_to_tokens

MIN_PART_TOKENS = 512  # below this a part cannot hold a meaningful clause: the settings are wrong


@dataclass(frozen=True)
class Budget:
    context_tokens: int
    output_reserve: int
    overhead: int
    encoding: str

    @property
    def part_tokens(self) -> int:
        """Tokens left for the user message of one part."""
        return self.context_tokens - self.output_reserve - self.overhead


def prompt_overhead(encoding: str, response_schema: dict[str, object] | None = None) -> int:
    """Tokens every part costs besides its user message: instructions, response schema, chat framing."""
    schema = json.dumps(response_schema, separators=(",", ":")) if response_schema else ""
    return chat_tokens(chat(QUERY_INSTRUCTIONS, ""), encoding) + count_tokens(schema, encoding)


def make_budget(context_tokens: int, output_reserve: int, overhead: int, encoding: str) -> Budget:
    budget = Budget(context_tokens, output_reserve, overhead, encoding)
    if budget.part_tokens < MIN_PART_TOKENS:
        raise ValidationFailed(
            f"model context of {context_tokens} tokens leaves {budget.part_tokens} for contracts after "
            f"{output_reserve} output and {overhead} prompt tokens; at least {MIN_PART_TOKENS} are needed"
        )
    return budget


def plan_parts(
    question: str,
    contracts: Sequence[ContractForAnalysis],
    budget: Budget,
    selection: ModelSelection = "primary",
    measure: Callable[[QueryPartTask], int] | None = None,
) -> list[QueryPartTask]:
    """Pack contracts, in order, into as few parts as fit; every part's rendered message fits the budget.

    `measure`, when given, is the exact prompt cost of a part as the model client will send it (all messages,
    framing and response schema): parts are checked against the context minus the output reserve with it, and
    planned again with less room when the client's layout costs more than ours.
    """
    allowed = budget.context_tokens - budget.output_reserve
    current = budget
    for _ in range(MAX_FIT_ROUNDS):
        parts = _pack(question, contracts, current, selection)
        if measure is None:
            return parts
        excess = max(measure(p) for p in parts) - allowed
        if excess <= 0:
            return parts
        current = replace(current, overhead=current.overhead + excess + 16)
        if current.part_tokens < MIN_PART_TOKENS // 4:
            break
    raise ValidationFailed(f"the question and contracts cannot be planned within {allowed} prompt tokens")


def _pack(
    question: str, contracts: Sequence[ContractForAnalysis], budget: Budget, selection: ModelSelection
) -> list[QueryPartTask]:
    limit = budget.part_tokens
    meter = TokenMeter(question, budget.encoding)
    pieces: list[ContractForAnalysis] = []
    for contract in contracts:
        pieces.extend(_split_to_fit(question, contract, budget, meter))
    parts: list[list[ContractForAnalysis]] = []
    closed = 0  # tokens of the current part without its last block: header + blocks followed by a separator
    last_followed = 0
    for piece in pieces:
        open_, followed = meter.block(piece, followed=False), meter.block(piece, followed=True)
        if parts and closed + last_followed + open_ <= limit:
            parts[-1].append(piece)
            closed += last_followed
        else:
            parts.append([piece])
            closed = meter.header
        last_followed = followed
    return [
        QueryPartTask(question=question, part_index=i, contracts=group, model_selection=selection)
        for i, group in enumerate(parts)
    ]


def part_tokens(task: QueryPartTask, encoding: str) -> int:
    """Exact tokens of a part's rendered message, counted whole."""
    return count_tokens(render_part(task.question, task.contracts), encoding)


MAX_FIT_ROUNDS = 8


def _split_to_fit(
    question: str, contract: ContractForAnalysis, budget: Budget, meter: TokenMeter
) -> list[ContractForAnalysis]:
    """Pieces of `contract` that each fit a part on their own, checked whole with their final titles: the
    "(part k of n)" labels are only known after splitting, so a piece they push over is split again."""
    limit = budget.part_tokens
    if meter.part([contract]) <= limit:
        return [contract]
    for _ in range(MAX_FIT_ROUNDS):
        pieces = _fit_contract(contract, budget, meter, limit)
        excess = max(count_tokens(render_part(question, [p]), budget.encoding) for p in pieces) - budget.part_tokens
        if excess <= 0:
            return pieces
        limit -= excess + 8  # leave the labels room, and try again
        if limit < MIN_PART_TOKENS // 4:
            break
    raise ValidationFailed(f"contract {contract.contract_id!r} cannot be split to fit a part of {budget.part_tokens}")


def _fit_contract(
    contract: ContractForAnalysis, budget: Budget, meter: TokenMeter, limit: int
) -> list[ContractForAnalysis]:
    """Consecutive clause groups that each fit `limit` (clauses larger than that are split first)."""
    groups: list[list[ClauseText]] = []
    for clause in contract.clauses:
        for piece in _fit_clause(contract, clause, budget, meter, limit):
            if groups and meter.part([_with(contract, [*groups[-1], piece])]) <= limit:
                groups[-1].append(piece)
            else:
                groups.append([piece])
    total = len(groups)
    return [
        ContractForAnalysis(
            contract_id=contract.contract_id, title=f"{contract.title} (part {i + 1} of {total})", clauses=group
        )
        for i, group in enumerate(groups)
    ]


def _with(contract: ContractForAnalysis, clauses: list[ClauseText]) -> ContractForAnalysis:
    return contract.model_copy(update={"clauses": clauses})


def _fit_clause(
    contract: ContractForAnalysis, clause: ClauseText, budget: Budget, meter: TokenMeter, limit: int
) -> list[ClauseText]:
    """The clause whole if it fits, else consecutive paragraph runs (a paragraph larger than a part is cut by
    tokens). The runs' estimates are checked exactly by _split_to_fit, which retries with a smaller limit."""

    def cost(text: str) -> int:
        return meter.part([_with(contract, [clause.model_copy(update={"text": text})])])

    if cost(clause.text) <= limit:
        return [clause]
    frame = cost("")
    room = limit - frame - 2
    if room < 1:
        raise ValidationFailed(f"clause {clause.title!r} of {contract.contract_id!r} cannot fit in a part")
    chunks: list[str] = []
    current, current_tokens = "", 0
    for paragraph in _paragraphs(clause.text):
        tokens = count_tokens(paragraph, budget.encoding)
        # Sum of the pieces plus the separator: BPE merges across a join only lower the count.
        if current and current_tokens + 2 + tokens <= room:
            current, current_tokens = f"{current}\n\n{paragraph}", current_tokens + 2 + tokens
            continue
        if current:
            chunks.append(current)
        while tokens > room:  # one paragraph larger than a part: cut it by tokens, losing nothing
            head = truncate_to_tokens(paragraph, room, budget.encoding)
            if not head:
                raise ValidationFailed(f"clause {clause.title!r} of {contract.contract_id!r} cannot be split to fit")
            chunks.append(head)
            paragraph = paragraph[len(head) :].lstrip()
            tokens = count_tokens(paragraph, budget.encoding)
        current, current_tokens = paragraph, tokens
    if current:
        chunks.append(current)
    total = len(chunks)
    return [
        clause.model_copy(
            update={"title": f"{clause.title} (continued {i + 1}/{total})" if i else clause.title, "text": text}
        )
        for i, text in enumerate(chunks)
    ]


def _paragraphs(text: str) -> list[str]:
    return [p for p in (p.strip() for p in text.split("\n\n")) if p]


# --- the plan of a job, for the model it runs on ---------------------------------------------------


def budget_for(analyzer: Analyzer, request: QueryJobRequest, output_reserve: int) -> Budget:
    """The exact per-part budget of the model the job runs on."""
    encoding = encoding_for_model(analyzer.model_name(request.modelSelection))
    overhead = prompt_overhead(encoding, strict_json_schema(PartAnswer))
    return make_budget(analyzer.context_tokens(request.modelSelection), output_reserve, overhead, encoding)


def sent_tokens(analyzer: Analyzer, encoding: str) -> Callable[[QueryPartTask], int] | None:
    """Exact prompt tokens of a part as the LLM client sends it (its own messages, chat framing, response
    schema); None for the offline analyzer, which sends nothing."""
    if analyzer.provider == "offline":
        return None

    def measure(task: QueryPartTask) -> int:
        return sent_prompt_tokens(query_part_messages(task), PartOut, encoding)

    return measure


def plan_for(
    analyzer: Analyzer, request: QueryJobRequest, contracts: Sequence[ContractForAnalysis], reserve: int
) -> tuple[Budget, list[QueryPartTask]]:
    budget = budget_for(analyzer, request, reserve)
    measure = sent_tokens(analyzer, budget.encoding)
    return budget, plan_parts(request.question, contracts, budget, request.modelSelection, measure)
