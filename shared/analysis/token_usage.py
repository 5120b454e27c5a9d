"""What a model call cost: token usage, and its sum over the calls a result is made of."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from pydantic import BaseModel


class TokenUsage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    llm_calls: int = 0

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            llm_calls=self.llm_calls + other.llm_calls,
        )


class ModelCall(Protocol):
    """Anything that records which model answered and what it cost (analyzer replies, analyzed items)."""

    @property
    def model(self) -> str: ...

    @property
    def usage(self) -> TokenUsage: ...


def total_usage(calls: Iterable[ModelCall]) -> tuple[TokenUsage, str]:
    """Summed usage, and the distinct models in first-use order joined with ", " (a result's `model`)."""
    usage = TokenUsage()
    models: list[str] = []
    for call in calls:
        usage = usage + call.usage
        if call.model and call.model not in models:
            models.append(call.model)
    return usage, ", ".join(models)
