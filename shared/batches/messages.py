"""What the batch orchestrators pass their activities (ids and counts) and the outcomes they plan with."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.jobs.messages import Outcome
from shared.jobs.models import JobProgress, JobRef


class BatchStepInput(JobRef):
    batch_id: str = Field(min_length=1)


class StagingPlanned(Outcome):
    batch_id: str = ""
    documents: int = 0  # documents to stage in this job
    chunk_size: int = 1


class StagingGeneration(BatchStepInput):
    """The staging job's input when it continues as new: where the next execution starts, in ids and counts, and
    the progress last shown (see RunGeneration)."""

    documents: int = Field(ge=1)
    chunk_size: int = Field(ge=1)
    next_chunk: int = Field(ge=0)
    progress: JobProgress | None = None


class StageChunkInput(BatchStepInput):
    chunk: int = Field(ge=0)
    chunk_size: int = Field(ge=1)
    total: int = Field(ge=1)


class RunPlanned(Outcome):
    batch_id: str = ""
    records: int = 0  # records to evaluate in this job
    chunk_size: int = 1
    mode: Literal["standard", "economy"] = "standard"
    # Records one activity call evaluates, and whether the job continues as new every few chunks. The defaults are
    # a plan made before either existed: an instance still running it replays as it ran.
    records_per_call: int = Field(default=1, ge=1)
    generations: bool = False


class RunGeneration(BatchStepInput):
    """The evaluation job's input when it continues as new: the plan in counts and where the next execution starts.
    Ids and counts only, so every execution's history starts small; `progress` is the progress last shown (fixed
    size), so the custom status carries on across executions and its seq never goes back."""

    records: int = Field(ge=1)
    chunk_size: int = Field(ge=1)
    records_per_call: int = Field(default=1, ge=1)
    next_chunk: int = Field(ge=0)  # the first chunk this execution runs
    progress: JobProgress | None = None


class ChunkInput(BatchStepInput):
    """A sub-orchestration's input: the `size` records of chunk `chunk` of the run's list, of `total` in all,
    `per_call` records to an activity call."""

    chunk: int = Field(ge=0)
    size: int = Field(ge=1)
    total: int = Field(ge=1)
    per_call: int = Field(default=1, ge=1)


class EvaluateRecordInput(BatchStepInput):
    """Record `position` of chunk `chunk`, and the `count - 1` after it: one activity call evaluates them all."""

    chunk: int = Field(ge=0)
    position: int = Field(ge=0)
    total: int = Field(ge=1)
    count: int = Field(default=1, ge=1)


# --- economy runs: the records through the Batch API ----------------------------------------------------


class SubmitInput(BatchStepInput):
    """Send the run's records from position `start` on, as many as one Batch API file takes."""

    start: int = Field(ge=0)
    records: int = Field(ge=1)  # the run's records in all (RunPlanned)
    chunk_size: int = Field(ge=1)  # how the plan stored their ids (RunPlanned)


class Submitted(Outcome):
    next: int = 0  # where the next file starts
    requests: int = 0  # lines sent in this file (0: every record of the range was settled without one)
    reused: int = 0  # answered from the answer cache at once
    failed: int = 0  # could not be sent (too long for one request, document text gone)
    poll_seconds: float = 60.0


class PollInput(BatchStepInput):
    after_cancel: bool = False  # the job is cancelled: still watch its remote batches until they stop


class Polled(Outcome):
    done: bool = False  # every remote batch of the run has stopped (completed, failed, expired, cancelled)
    remote_status: str = ""  # the remote batches' statuses, e.g. "in_progress"
    requests: int = 0
    completed: int = 0
    failed: int = 0
    starts: list[int] = Field(default_factory=list)  # the files sent (Submitted's ranges): what to ingest


class IngestInput(BatchStepInput):
    start: int = Field(ge=0)  # the file (Submitted's range) whose answers to read
    cancelled: bool = False  # the job was cancelled: records the Batch API never reached stay QUEUED
