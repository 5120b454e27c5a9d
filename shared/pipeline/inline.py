"""The pipelines run in-process, for the legacy endpoints' small requests (no job, no artifacts).

Same steps as the activities (shared/pipeline/comparison.py, query.py), so a small request answered inline and
the same request run as a job give the same findings.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.analysis.base import Analyzer
from shared.models.analysis import ComparisonResult, QueryResult
from shared.models.contracts import Contract
from shared.models.jobs import ComparisonJobRequest, QueryJobRequest
from shared.pipeline import comparison, query
from shared.pipeline.contracts import load_contracts, to_analysis
from shared.pipeline.prompts import CHAT_FRAMING_TOKENS, QUERY_INSTRUCTIONS
from shared.pipeline.query_steps import AnalyzedPart, build_result, plan_for, reduce_in_process
from shared.settings import get_settings
from shared.storage.base import Repositories
from shared.text.tokens import count_tokens


def run_comparison_inline(
    repos: Repositories, analyzer: Analyzer, user_id: str, request: ComparisonJobRequest
) -> ComparisonResult:
    contracts = load_contracts(repos.contracts, user_id, [request.standardContractId, *request.compareContractIds])
    standard, *compared = [to_analysis(c) for c in contracts]
    tasks = comparison.build_tasks(request, standard, compared)
    comparison.check_prompts_fit(analyzer, tasks, get_settings().llm_max_output_tokens)
    items = []
    for task in tasks:
        reply = analyzer.compare(task)
        items.append(
            comparison.AnalyzedComparison(
                comparison=comparison.validate_item(task, reply.output), model=reply.model, usage=reply.usage
            )
        )
    return comparison.enhance(request.standardContractId, items)


def run_query_inline(
    repos: Repositories,
    analyzer: Analyzer,
    user_id: str,
    request: QueryJobRequest,
    *,
    output_reserve: int | None = None,
) -> QueryResult:
    contracts = load_contracts(repos.contracts, user_id, request.contract_ids)
    return answer_query(analyzer, request, contracts, output_reserve=output_reserve)


def answer_query(
    analyzer: Analyzer, request: QueryJobRequest, contracts: Sequence[Contract], *, output_reserve: int | None = None
) -> QueryResult:
    """The query over contracts already read (the legacy endpoint reads them once for the estimate and the run)."""
    reserve = get_settings().llm_max_output_tokens if output_reserve is None else output_reserve
    analysed = [to_analysis(c) for c in contracts]
    _, tasks = plan_for(analyzer, request, analysed, reserve)
    parts = []
    for task in tasks:
        reply = analyzer.answer_part(task)
        parts.append(AnalyzedPart(answer=query.validate_part(task, reply.output), model=reply.model, usage=reply.usage))
    titles = {c.contract_id: c.title for c in analysed}
    nodes = reduce_in_process(analyzer, request, parts, reserve)
    return build_result(request, parts, nodes, titles)


def estimate_query_tokens(repos: Repositories, user_id: str, question: str, contract_ids: Sequence[str]) -> int:
    """Prompt tokens a query costs (see query_prompt_tokens); NotFound for unknown ids."""
    return query_prompt_tokens(question, load_contracts(repos.contracts, user_id, contract_ids))


def query_prompt_tokens(question: str, contracts: Sequence[Contract]) -> int:
    """The contracts' stored (exact) token counts plus the prompt around them, counted with the same encoding.
    Decides inline vs. batch mode."""
    overhead = count_tokens(QUERY_INSTRUCTIONS) + count_tokens(f"Question: {question}") + CHAT_FRAMING_TOKENS
    return sum(c.token_count for c in contracts) + overhead
