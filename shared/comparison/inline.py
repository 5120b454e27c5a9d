"""A comparison run in-process, for the legacy endpoint's small requests (no job, no artifacts).

The same domain steps as the job's activities (shared/comparison/findings.py), so a small request answered inline
and the same request run as a job give the same findings.
"""

from __future__ import annotations

from shared.analysis.base import Analyzer
from shared.comparison import findings
from shared.comparison.models import AnalyzedComparison, ComparisonResult
from shared.comparison.request import ComparisonJobRequest
from shared.contracts.analysis import load_contracts, to_analysis
from shared.storage.base import Repositories


def run_comparison_inline(
    repos: Repositories, analyzer: Analyzer, user_id: str, request: ComparisonJobRequest, output_reserve: int
) -> ComparisonResult:
    contracts = load_contracts(repos.contracts, user_id, request.contract_ids_touched())
    standard, *compared = [to_analysis(c) for c in contracts]
    tasks = findings.build_tasks(request, standard, compared)
    findings.check_prompts_fit(analyzer, tasks, output_reserve)
    items = []
    for task in tasks:
        reply = analyzer.compare(task)
        items.append(
            AnalyzedComparison(
                comparison=findings.validate_item(task, reply.output), model=reply.model, usage=reply.usage
            )
        )
    return findings.enhance(standard, items)
