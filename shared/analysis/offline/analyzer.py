"""`OfflineAnalyzer`: the deterministic analyzer used by default locally and in tests (LLM_PROVIDER=offline).
Each workflow's offline analysis lives with its workflow (shared/comparison/offline/, shared/query/offline/);
this class only routes to them.

It makes no model calls, so its usage is honest zeros: no tokens were sent anywhere and no LLM was called.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

from shared.analysis.base import AnalyzerReply
from shared.analysis.token_usage import TokenUsage
from shared.batches.evaluation import Evaluation, EvaluationTask
from shared.batches.offline import evaluate as evaluate_document
from shared.comparison.models import ComparisonTask, ContractComparison
from shared.comparison.offline.compare import compare_contracts
from shared.jobs.models import ModelSelection
from shared.query.models import PartAnswer, QueryAnswer, QueryCombineTask, QueryPartTask
from shared.query.offline.answer import answer_part, combine_parts
from shared.settings import Settings, get_settings

MODEL_NAME = "offline-analyzer-v1"

OutputT = TypeVar("OutputT", bound=BaseModel)


class OfflineAnalyzer:
    provider = "offline"

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings

    @property
    def settings(self) -> Settings:
        # Read lazily so tests that install settings after construction still see theirs.
        return self._settings if self._settings is not None else get_settings()

    def model_name(self, selection: ModelSelection) -> str:
        return MODEL_NAME

    def context_tokens(self, selection: ModelSelection) -> int:
        # The planner splits work as it would for the configured model, so offline runs exercise the same plan.
        settings = self.settings
        if selection == "secondary":
            return settings.llm_context_tokens_secondary
        return settings.llm_context_tokens_primary

    def compare(self, task: ComparisonTask) -> AnalyzerReply[ContractComparison]:
        return self._reply(compare_contracts(task))

    def answer_part(self, task: QueryPartTask) -> AnalyzerReply[PartAnswer]:
        return self._reply(answer_part(task))

    def combine(self, task: QueryCombineTask) -> AnalyzerReply[QueryAnswer]:
        return self._reply(combine_parts(task))

    def evaluate(self, task: EvaluationTask) -> AnalyzerReply[Evaluation]:
        return self._reply(evaluate_document(task))

    def _reply(self, output: OutputT) -> AnalyzerReply[OutputT]:
        return AnalyzerReply(output=output, usage=TokenUsage(), model=MODEL_NAME, raw=output.model_dump_json())
