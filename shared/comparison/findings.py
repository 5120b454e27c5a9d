"""Comparison domain logic: build one task per compared contract, check every prompt fits before any model call,
then validate each contract's findings and put the job's result together."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import get_args

from shared.analysis.base import Analyzer
from shared.analysis.token_usage import total_usage
from shared.comparison.models import (
    AnalyzedComparison,
    ClauseFinding,
    ClauseStatus,
    ComparisonResult,
    ComparisonTask,
    ContractComparison,
    excerpt,
)
from shared.comparison.redline import add_redlines
from shared.comparison.request import ComparisonJobRequest
from shared.comparison.selection import listed_indexes
from shared.contracts.analysis import ContractForAnalysis, load_contracts, to_analysis
from shared.errors import ValidationFailed
from shared.jobs.errors import ResultInvalid
from shared.llm.framing import prompt_allowance, sent_prompt_tokens
from shared.storage.base import ContractRepository
from shared.text.tokens import encoding_for_model

MAX_EXCERPT_CHARS = 2_000  # excerpts are quotes for a reader, not the clause text (that stays in the contract)


def build_tasks(
    request: ComparisonJobRequest, standard: ContractForAnalysis, compared: Sequence[ContractForAnalysis]
) -> list[ComparisonTask]:
    """One task per compared contract. A selected title the standard does not have fails here, before any model
    call (UnknownSelectedClauses): the starters check it too, but the standard may have changed since."""
    if request.comparisonMode == "clauses":
        listed_indexes(standard, request.selectedClauses)
    return [
        ComparisonTask(
            standard=standard,
            compared=other,
            mode=request.comparisonMode,
            selected_clauses=request.selectedClauses,
            model_selection=request.modelSelection,
        )
        for other in compared
    ]


class ComparisonTooLarge(ValidationFailed):
    """A standard + compared pair whose prompt does not fit the model's context: nothing is cut, the job fails
    before any model call."""

    code = "comparison_too_large"


def check_selection(contracts: ContractRepository, user_id: str, request: ComparisonJobRequest) -> None:
    """Before a job exists: every selected title must name a clause of the standard, or the request is a 422
    naming the unknown titles (UnknownSelectedClauses). Without a selection there is nothing to read."""
    if request.comparisonMode != "clauses" or not request.selectedClauses:
        return
    [standard] = load_contracts(contracts, user_id, [request.standardContractId])
    listed_indexes(to_analysis(standard), request.selectedClauses)


def check_prompts_fit(analyzer: Analyzer, tasks: Sequence[ComparisonTask], output_reserve: int) -> None:
    """Raise ComparisonTooLarge unless every task's prompt, counted exactly as the LLM client sends it (the
    messages of the task's mode, chat framing, response schema), fits the query planner's budget: the model's
    context minus the output reserve. The offline analyzer sends nothing and has no limit."""
    if analyzer.provider == "offline" or not tasks:
        return
    # Imported only for model providers, as the query planner does. Each task's own schema: its titles are in it.
    from shared.comparison.outputs import comparison_schema
    from shared.comparison.prompts import comparison_messages

    selection = tasks[0].model_selection
    model = analyzer.model_name(selection)
    encoding = encoding_for_model(model)
    allowed = prompt_allowance(analyzer, selection, output_reserve)
    over = [
        (task, needed)
        for task in tasks
        if (needed := sent_prompt_tokens(comparison_messages(task), comparison_schema(task), encoding)) > allowed
    ]
    if not over:
        return
    task, needed = over[0]
    others = [t.compared.contract_id for t, _ in over[1:]]
    also = f" ({len(others)} more compared contracts are too large too: {', '.join(others[:5])})" if others else ""
    if task.mode == "clauses" and task.selected_clauses:
        advice = "select fewer clauses in selectedClauses"
    else:  # full mode, or clauses mode over every clause: the standard goes whole
        advice = 'use comparisonMode "clauses" with selectedClauses to send only those clauses of the standard'
    raise ComparisonTooLarge(
        f"compared contract {task.compared.contract_id!r} ({task.compared.title!r}) with standard "
        f"{task.standard.contract_id!r} needs a prompt of {needed} tokens, but model {model!r} allows {allowed} "
        f"(context {analyzer.context_tokens(selection)} minus {output_reserve} reserved for output); nothing was "
        f"sent to the model: {advice}, or compare a shorter contract{also}",
        {
            "contract_id": task.compared.contract_id,
            "title": task.compared.title,
            "tokens": needed,
            "allowed": allowed,
            "too_large": [{"contract_id": t.compared.contract_id, "tokens": n} for t, n in over],
        },
    )


def validate_item(task: ComparisonTask, comparison: ContractComparison) -> ContractComparison:
    """The analyzer's findings for `task`, checked against it: they must be about the compared contract."""
    if comparison.contract_id != task.compared.contract_id:
        raise ResultInvalid(
            f"findings name contract {comparison.contract_id!r} but the task compared {task.compared.contract_id!r}"
        )
    clauses = [_clean_finding(f) for f in comparison.clauses]
    summary = comparison.summary.strip() or summarize(clauses)
    # The stored title wins over whatever the model echoed back.
    return comparison.model_copy(update={"contract_title": task.compared.title, "clauses": clauses, "summary": summary})


def _clean_finding(finding: ClauseFinding) -> ClauseFinding:
    severity = finding.severity
    if finding.status in ("matched", "not_assessed"):
        severity = None  # a match is not a deviation, whatever the model said; an unassessed clause is not rated
    elif severity is None:
        severity = "medium"  # a deviation always has a severity; medium until a lawyer says otherwise
    return finding.model_copy(
        update={
            "title": finding.title.strip() or "Untitled clause",
            "severity": severity,
            "standard_excerpt": _excerpt(finding.standard_excerpt),
            "compared_excerpt": _excerpt(finding.compared_excerpt),
            "explanation": finding.explanation.strip(),
        }
    )


def _excerpt(text: str) -> str:
    return excerpt(text, MAX_EXCERPT_CHARS)


def summarize(findings: Sequence[ClauseFinding]) -> str:
    tally = Counter(f.status for f in findings)
    high = sum(1 for f in findings if f.severity == "high")
    parts = [f"{tally[s]} {s}".replace("_", " ") for s in get_args(ClauseStatus) if tally[s]]
    text = ", ".join(parts) or "no clauses"
    return f"{text}; {high} high-severity deviation{'s' if high != 1 else ''}."


def enhance(standard: ContractForAnalysis, items: Sequence[AnalyzedComparison]) -> ComparisonResult:
    """The job's result: every compared contract's findings in request order, with total usage, the standard's
    title and every modified finding's redline (computed here, once, whichever analyzer found it)."""
    usage, model = total_usage(items)
    result = ComparisonResult(
        standard_contract_id=standard.contract_id,
        standard_contract_title=standard.title,
        model=model,
        usage=usage,
        comparisons=[item.comparison for item in items],
        warnings=[f"{item.comparison.contract_title}: {note}" for item in items for note in item.comparison.warnings],
    )
    return add_redlines(result)
