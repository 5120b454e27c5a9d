"""What a batch job is asked to do: stage a batch, or run it (evaluate its records)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.errors import ValidationFailed
from shared.json_types import JsonInt

RunMode = Literal["standard", "economy"]
"""standard: one model call per record now; economy: the records through the (Azure) OpenAI Batch API — half the
price, answers within 24 h (shared/batches/economy.py)."""


class ModeNotAvailable(ValidationFailed):
    code = "mode_not_available"


def ensure_mode_available(mode: RunMode, llm_provider: str) -> None:
    """Economy needs a provider with a Batch API: the offline analyzer has none."""
    if mode == "economy" and llm_provider == "offline":
        raise ModeNotAvailable(
            "mode 'economy' sends the records through the Batch API of LLM_PROVIDER openai or azure_openai; "
            "this app runs LLM_PROVIDER=offline: run the batch in mode 'standard'",
            {"mode": mode, "llm_provider": llm_provider, "available": ["standard"]},
        )


class StagingJobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_id: str = Field(min_length=1, max_length=200)
    reprocess: bool = False  # stage only what is missing or failed; the records already staged stay

    def contract_ids_touched(self) -> list[str]:
        return []  # a batch reads documents, not contracts

    def contract_ids_analysed(self) -> list[str]:
        return []


class EvaluationJobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_id: str = Field(min_length=1, max_length=200)
    mode: RunMode = "standard"

    def contract_ids_touched(self) -> list[str]:
        return []

    def contract_ids_analysed(self) -> list[str]:
        return []


class RunBatch(BaseModel):
    """Body of POST /api/batches/{id}/run (optional)."""

    model_config = ConfigDict(extra="forbid")

    mode: RunMode = "standard"
    # The run job's priority (1-10): when model calls queue for quota, higher goes first (shared/llm/budget.py).
    priority: JsonInt = Field(default=5, ge=1, le=10)
