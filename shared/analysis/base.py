"""The analyzer interface: what the LLM step of every pipeline calls.

Two implementations return the same models: the offline deterministic analyzer (shared/analysis/offline/) and the
LLM analyzer over the `openai` SDK (shared/llm/). `shared.analysis.factory.get_analyzer()` picks one per process
from LLM_PROVIDER.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from shared.analysis.token_usage import TokenUsage
from shared.jobs.models import ModelSelection

if TYPE_CHECKING:  # the workflows' models import this module's reply type
    from shared.batches.evaluation import Evaluation, EvaluationTask
    from shared.comparison.models import ComparisonTask, ContractComparison
    from shared.query.models import PartAnswer, QueryAnswer, QueryCombineTask, QueryPartTask

T = TypeVar("T")


@dataclass(frozen=True)
class AnalyzerReply(Generic[T]):
    output: T
    usage: TokenUsage
    model: str
    raw: str
    """The raw model output (or the offline analyzer's JSON), kept as a job artifact for audit."""


class Analyzer(Protocol):
    provider: str  # "offline" | "openai" | "azure_openai"

    def model_name(self, selection: ModelSelection) -> str: ...

    def context_tokens(self, selection: ModelSelection) -> int:
        """The model's context window in tokens: the query planner's budget."""
        ...

    def compare(self, task: ComparisonTask) -> AnalyzerReply[ContractComparison]: ...

    def answer_part(self, task: QueryPartTask) -> AnalyzerReply[PartAnswer]: ...

    def combine(self, task: QueryCombineTask) -> AnalyzerReply[QueryAnswer]: ...

    def evaluate(self, task: EvaluationTask) -> AnalyzerReply[Evaluation]: ...
