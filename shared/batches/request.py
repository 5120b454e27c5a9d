"""What a batch job is asked to do: stage a batch, or run it (evaluate its records)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


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
    mode: Literal["standard", "economy"] = "standard"

    def contract_ids_touched(self) -> list[str]:
        return []

    def contract_ids_analysed(self) -> list[str]:
        return []


class RunBatch(BaseModel):
    """Body of POST /api/batches/{id}/run (optional)."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["standard", "economy"] = "standard"
