"""What the batch orchestrators pass their activities (ids and counts) and the outcomes they plan with."""

from __future__ import annotations

from pydantic import Field

from shared.jobs.messages import Outcome
from shared.jobs.models import JobRef


class BatchStepInput(JobRef):
    batch_id: str = Field(min_length=1)


class StagingPlanned(Outcome):
    batch_id: str = ""
    documents: int = 0  # documents to stage in this job
    chunk_size: int = 1


class StageChunkInput(BatchStepInput):
    chunk: int = Field(ge=0)
    chunk_size: int = Field(ge=1)
    total: int = Field(ge=1)


class RunPlanned(Outcome):
    batch_id: str = ""
    records: int = 0  # records to evaluate in this job
    chunk_size: int = 1


class ChunkInput(BatchStepInput):
    """A sub-orchestration's input: the `size` records of chunk `chunk` of the run's list, of `total` in all."""

    chunk: int = Field(ge=0)
    size: int = Field(ge=1)
    total: int = Field(ge=1)


class EvaluateRecordInput(BatchStepInput):
    chunk: int = Field(ge=0)
    position: int = Field(ge=0)
    total: int = Field(ge=1)
