"""What model tokens cost, per model selection (LLM_PRICE_PER_1K_* settings), and what the Batch API saves: it
charges half the standard price for the same tokens. The batch summary shows both; an operator view can reuse
them. Estimates: the provider's invoice is the authority (cached prompt tokens, for one, cost less)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shared.analysis.token_usage import TokenUsage
from shared.jobs.models import ModelSelection
from shared.settings import Settings

BATCH_API_PRICE_FACTOR = 0.5
"""The Batch API's price against the standard one (OpenAI and Azure OpenAI global batch: 50 % less)."""

COST_DIGITS = 6


@dataclass(frozen=True)
class Prices:
    prompt_per_1k: float
    completion_per_1k: float
    currency: str = "USD"  # COST_CURRENCY: what the prices are in

    def standard_cost(self, usage: TokenUsage) -> float:
        """What `usage` costs at the standard (per-call) price."""
        return (usage.prompt_tokens * self.prompt_per_1k + usage.completion_tokens * self.completion_per_1k) / 1000


def prices_for(settings: Settings, selection: ModelSelection) -> Prices:
    if selection == "secondary":
        return Prices(
            settings.llm_price_per_1k_prompt_tokens_secondary,
            settings.llm_price_per_1k_completion_tokens_secondary,
            settings.cost_currency,
        )
    return Prices(
        settings.llm_price_per_1k_prompt_tokens_primary,
        settings.llm_price_per_1k_completion_tokens_primary,
        settings.cost_currency,
    )


def run_cost(usage: TokenUsage, prices: Prices, mode: Literal["standard", "economy"]) -> tuple[float, float]:
    """(estimated cost, cost saved) of tokens paid for in a run of `mode`: economy runs paid the Batch API price."""
    standard = prices.standard_cost(usage)
    if mode == "economy":
        paid = standard * BATCH_API_PRICE_FACTOR
        return round(paid, COST_DIGITS), round(standard - paid, COST_DIGITS)
    return round(standard, COST_DIGITS), 0.0
