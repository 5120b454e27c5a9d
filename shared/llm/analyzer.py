"""The LLM analyzer: the Analyzer protocol over one LLMClient. Each workflow's LLM step lives with its workflow
(shared/comparison/llm.py, shared/query/llm.py, shared/batches/llm.py); this class only routes to them."""

from __future__ import annotations

from shared.analysis.base import AnalyzerReply
from shared.batches import llm as batches_llm
from shared.batches.evaluation import Evaluation, EvaluationTask
from shared.comparison import llm as comparison_llm
from shared.comparison.models import ComparisonTask, ContractComparison
from shared.jobs.models import ModelSelection
from shared.llm.client import LLMClient
from shared.query import llm as query_llm
from shared.query.models import PartAnswer, QueryAnswer, QueryCombineTask, QueryPartTask


class LLMAnalyzer:
    def __init__(self, client: LLMClient) -> None:
        self._client = client
        self.provider: str = client.provider

    @property
    def client(self) -> LLMClient:
        """The process's LLM client (the Batch API of economy runs uses its SDK client)."""
        return self._client

    def model_name(self, selection: ModelSelection) -> str:
        return self._client.model_name(selection)

    def context_tokens(self, selection: ModelSelection) -> int:
        return self._client.context_tokens(selection)

    def compare(self, task: ComparisonTask) -> AnalyzerReply[ContractComparison]:
        return comparison_llm.compare(self._client, task)

    def answer_part(self, task: QueryPartTask) -> AnalyzerReply[PartAnswer]:
        return query_llm.answer_part(self._client, task)

    def combine(self, task: QueryCombineTask) -> AnalyzerReply[QueryAnswer]:
        return query_llm.combine(self._client, task)

    def evaluate(self, task: EvaluationTask) -> AnalyzerReply[Evaluation]:
        return batches_llm.evaluate(self._client, task)
