"""A query run in-process, for the legacy endpoint's small requests (no job, no artifacts).

The same plan, answers and reduce tree as the job's activities, so a small question answered inline and the same
question run as a job give the same answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.analysis.base import Analyzer
from shared.contracts.analysis import to_analysis
from shared.contracts.models import Contract
from shared.query import answers
from shared.query.meter import PartMeter
from shared.query.models import AnalyzedPart, QueryResult
from shared.query.plan import plan_for
from shared.query.reduce import reduce_in_process
from shared.query.request import QueryJobRequest
from shared.text.tokens import DEFAULT_ENCODING


def answer_query(
    analyzer: Analyzer, request: QueryJobRequest, contracts: Sequence[Contract], output_reserve: int
) -> QueryResult:
    """The query over contracts already read (the legacy endpoint reads them once for the estimate and the run)."""
    analysed = [to_analysis(c) for c in contracts]
    _, tasks = plan_for(analyzer, request, analysed, output_reserve)
    parts = []
    for task in tasks:
        reply = analyzer.answer_part(task)
        parts.append(
            AnalyzedPart(answer=answers.validate_part(task, reply.output), model=reply.model, usage=reply.usage)
        )
    titles = {c.contract_id: c.title for c in analysed}
    nodes = reduce_in_process(analyzer, request, parts, output_reserve)
    return answers.build_result(request, parts, nodes, titles)


def query_prompt_tokens(question: str, contracts: Sequence[Contract]) -> int:
    """The contracts' stored (exact) token counts plus the prompt around them as a part sends it (system prompt,
    question, chat framing, response schema), counted with the same encoding. Decides inline vs. batch mode."""
    meter = PartMeter(question, DEFAULT_ENCODING)
    return sum(c.token_count for c in contracts) + meter.overhead + meter.header
