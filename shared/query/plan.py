"""Query planning: split the question over the contracts into parts that each fit the model, exactly, in one pass.

A model-backed query first keeps, of each contract, only the clauses that can hold the answer (retrieval first,
shared/query/retrieval.py; `"retrieval": "all"` keeps every clause). The budget of one part is then the model's
context minus the output reserve and the prompt overhead (system prompt, chat framing, the response schema with its
fields open), all counted with the model's encoding; a part's schema bounds its contract ids and clause titles, so
what those enums add is counted for each candidate part too. Parts are counted as they are sent: the meter
(shared/query/meter.py) counts the rendering the call sends (shared/query/prompts.py) and the schema the call sends
(shared/query/outputs.py), so a planned part fits and nothing is planned again. A contract set larger than one part
is split across parts; a single contract larger than a part is split by clauses; a clause larger than a part is
split by paragraphs, then by tokens. Nothing that was kept is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shared.analysis.base import Analyzer
from shared.contracts.analysis import ClauseText, ContractForAnalysis
from shared.errors import ValidationFailed
from shared.jobs.models import ModelSelection
from shared.query.meter import PartMeter, prompt_overhead
from shared.query.models import QueryPartTask
from shared.query.outputs import OPEN, ReplyBounds, part_bounds, part_schema_text
from shared.query.prompts import render_part
from shared.query.request import QueryJobRequest
from shared.query.retrieval import select_all, uses_retrieval
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
    meter: PartMeter | None = None,
) -> list[QueryPartTask]:
    """Pack contracts, in order, into as few parts as fit; every part's prompt, its user message and its schema's
    bounds counted exactly as they are sent, fits the budget."""
    meter = meter or PartMeter(question, budget.encoding)
    limit = budget.part_tokens
    parts: list[list[ContractForAnalysis]] = []
    used = 0  # the current part's message, its last contract closed with nothing after it
    bounds = ReplyBounds()  # the current part's schema bounds
    for contract in contracts:
        for piece in _split_to_fit(contract, meter, limit):
            body = meter.body(piece)
            if parts:
                grown = used + meter.end(followed=True) + body  # the last contract's end now has a separator after it
                wider = bounds.adding_contract(piece)
                if grown + meter.bounds(wider) <= limit:
                    parts[-1].append(piece)
                    used, bounds = grown, wider
                    continue
            parts.append([piece])  # a piece fits a part alone (_split_to_fit)
            used, bounds = meter.header + body + meter.end(followed=False), part_bounds([piece])
    return [
        QueryPartTask(question=question, part_index=i, contracts=group, model_selection=selection)
        for i, group in enumerate(parts)
    ]


def part_tokens(task: QueryPartTask, encoding: str) -> int:
    """Exact tokens of what a part's budget holds, each counted whole: its user message, and what its schema's
    bounds add to the open schema (the overhead)."""
    bounded = count_tokens(part_schema_text(part_bounds(task.contracts)), encoding)
    return (
        count_tokens(render_part(task.question, task.contracts), encoding)
        + bounded
        - count_tokens(part_schema_text(OPEN), encoding)
    )


# --- contracts and clauses larger than a part -------------------------------------------------------------------
#
# A split contract's pieces are titled "(part k of n)" and a split clause's runs after the first "(continued i/n)",
# with n known only once split. A number costs tokens by its digits only: digit runs are pre-tokens of their own,
# cut every 3 digits, and every 1- to 3-digit string is one token in o200k and cl100k. So a title whose numbers
# have as many digits as the most pieces there can be costs at least as much as the final one: pieces are sized
# with that title and relabelled after, and still fit.


def _split_to_fit(contract: ContractForAnalysis, meter: PartMeter, limit: int) -> list[ContractForAnalysis]:
    """The contract whole if it fits a part alone; else consecutive groups of its clauses (a clause larger than a
    part is split first), each as large as fits a part alone with its schema's bounds."""
    body = meter.body(contract)
    if meter.header + body + meter.end(followed=False) + meter.bounds(part_bounds([contract])) <= limit:
        return [contract]
    frame = meter.header + meter.end(followed=False)
    most = sum(len(clause.text) + 1 for clause in contract.clauses)  # a piece holds a clause or a character of one
    room = limit - frame - meter.head(_titled(contract, most, most))
    clauses = [piece for clause in contract.clauses for piece in _split_clause(contract, clause, meter, room)]
    if not clauses:
        raise ValidationFailed(f"contract {contract.contract_id!r} cannot fit in a part of {limit} tokens")
    room = limit - frame - meter.head(_titled(contract, len(clauses), len(clauses)))
    groups: list[list[ClauseText]] = []
    used = 0
    bounds = ReplyBounds()
    for clause in clauses:
        cost = meter.clause(clause)
        if groups:
            wider = bounds.adding_contract(_holding(contract, [clause]))
            if used + cost + meter.bounds(wider) <= room:
                groups[-1].append(clause)
                used, bounds = used + cost, wider
                continue
        bounds = part_bounds([_holding(contract, [clause])])
        if cost + meter.bounds(bounds) > room:  # sized to fit alone (_split_clause): only a title of thousands of chars
            raise ValidationFailed(f"clause {clause.title!r} of {contract.contract_id!r} cannot fit in a part")
        groups.append([clause])
        used = cost
    return [_titled(_holding(contract, group), i + 1, len(groups)) for i, group in enumerate(groups)]


def _holding(contract: ContractForAnalysis, clauses: list[ClauseText]) -> ContractForAnalysis:
    return contract.model_copy(update={"clauses": clauses})


def _titled(contract: ContractForAnalysis, index: int, total: int) -> ContractForAnalysis:
    return contract.model_copy(update={"title": f"{contract.title} (part {index} of {total})"})


def _split_clause(contract: ContractForAnalysis, clause: ClauseText, meter: PartMeter, room: int) -> list[ClauseText]:
    """The clause whole if its element fits `room`; else consecutive runs of its paragraphs, each the longest that
    fits (a paragraph larger than that is cut by tokens), every run's element counted exactly as rendered."""
    alone = meter.bounds(part_bounds([_holding(contract, [clause])]))
    if meter.clause(clause) + alone <= room:
        return [clause]
    most = len(clause.text)  # a run holds a character at least
    continued = f"{clause.title} (continued {most}/{most})"
    # Alone in a part, a run's title is its schema's title enum: sized with the widest title's bounds.
    widest = meter.bounds(part_bounds([_holding(contract, [clause.model_copy(update={"title": continued})])]))
    room -= max(alone, widest)
    paragraphs = _paragraphs(clause.text)
    if not paragraphs:
        raise ValidationFailed(f"clause {clause.title!r} of {contract.contract_id!r} cannot fit in a part")
    runs: list[str] = []
    start = 0
    while start < len(paragraphs):
        title = continued if runs else clause.title

        def fits(text: str, title: str = title) -> bool:
            return meter.clause(clause.model_copy(update={"title": title, "text": text})) <= room

        end = _longest_run(paragraphs, start, fits)
        if end > start:
            runs.append("\n\n".join(paragraphs[start:end]))
            start = end
            continue
        # One paragraph larger than a part: its longest head that fits, losing nothing.
        empty = meter.clause(clause.model_copy(update={"title": title, "text": ""}))
        head = _longest_head(paragraphs[start], fits, room - empty, meter.encoding)
        if not head:
            raise ValidationFailed(f"clause {clause.title!r} of {contract.contract_id!r} cannot fit in a part")
        runs.append(head)
        rest = paragraphs[start][len(head) :].lstrip()
        if rest:
            paragraphs[start] = rest
        else:
            start += 1
    total = len(runs)
    return [
        clause.model_copy(
            update={"title": f"{clause.title} (continued {i + 1}/{total})" if i else clause.title, "text": text}
        )
        for i, text in enumerate(runs)
    ]


def _longest_run(paragraphs: list[str], start: int, fits: Callable[[str], bool]) -> int:
    """The end of the longest run of paragraphs from `start` that fits (`start` when not even one does): found by
    doubling, then halving, so a clause's runs are counted in near-linear time."""

    def run_fits(end: int) -> bool:
        return fits("\n\n".join(paragraphs[start:end]))

    good, bad, step = start, len(paragraphs) + 1, 1
    while good < len(paragraphs):
        probe = min(good + step, len(paragraphs))
        if not run_fits(probe):
            bad = probe
            break
        good, step = probe, step * 2
    while bad - good > 1:
        middle = (good + bad) // 2
        if run_fits(middle):
            good = middle
        else:
            bad = middle
    return good


def _longest_head(paragraph: str, fits: Callable[[str], bool], guess: int, encoding: str) -> str:
    """The longest token prefix of `paragraph` that fits: the `guess` tokens the text has room for, else halved
    down until one does."""
    window = truncate_to_tokens(paragraph, max(guess, 1), encoding)
    if fits(window):
        return window
    good, bad = 0, count_tokens(window, encoding)
    while bad - good > 1:
        middle = (good + bad) // 2
        if fits(truncate_to_tokens(window, middle, encoding)):
            good = middle
        else:
            bad = middle
    return truncate_to_tokens(window, good, encoding)


def _paragraphs(text: str) -> list[str]:
    return [p for p in (p.strip() for p in text.split("\n\n")) if p]


# --- the plan of a job, for the model it runs on ---------------------------------------------------


def budget_for(analyzer: Analyzer, request: QueryJobRequest, output_reserve: int) -> Budget:
    """The exact per-part budget of the model the job runs on."""
    selection = request.modelSelection
    encoding = encoding_for_model(analyzer.model_name(selection))
    return make_budget(analyzer.context_tokens(selection), output_reserve, prompt_overhead(encoding), encoding)


def plan_for(
    analyzer: Analyzer, request: QueryJobRequest, contracts: Sequence[ContractForAnalysis], reserve: int
) -> tuple[Budget, list[QueryPartTask]]:
    """The parts of a job: with a model and `"retrieval": "ranked"`, over each contract's selected clauses."""
    budget = budget_for(analyzer, request, reserve)
    meter = PartMeter(request.question, budget.encoding)  # one meter: a clause is tokenized once, selected or not
    if uses_retrieval(analyzer, request):
        contracts = select_all(contracts, request.question, meter)
    return budget, plan_parts(request.question, contracts, budget, request.modelSelection, meter)
