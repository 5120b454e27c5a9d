"""Model-call figures as stored: one worker's running totals for one deployment in one time bucket.

Buckets are five minutes long, so "the last hour" is twelve of them (the window starts at most five minutes early)
rather than one or two hour-long buckets that would cover anything from one to two hours. An item is the running
total of its (deployment, bucket, worker): a worker rewrites its own items whole and never another's, so writers
never contend and a rewrite is idempotent; readers add the workers' items up.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

BUCKET_SECONDS = 300
USAGE_TTL_SECONDS = 172_800
"""Items expire two days after their last write (the summary reads one day back)."""


def bucket_start(epoch_seconds: float) -> datetime:
    """The start of the bucket a moment falls in (UTC)."""
    start = int(epoch_seconds // BUCKET_SECONDS) * BUCKET_SECONDS
    return datetime.fromtimestamp(start, UTC)


class ModelUsage(BaseModel):
    """What one worker's calls to one deployment came to in one bucket. Tokens are the answered attempts' (what is
    billed); a refused attempt counts as a call and by its outcome."""

    deployment: str  # the model (openai) or deployment (azure_openai) name
    selection: str = ""  # primary | secondary as the calls named it ("" when only deferrals were seen)
    bucket: datetime
    worker: str
    calls: int = Field(default=0, ge=0)  # attempts sent
    answered: int = Field(default=0, ge=0)
    throttled: int = Field(default=0, ge=0)  # answered 429
    failed: int = Field(default=0, ge=0)  # any other refusal, or unreachable
    prompt_tokens: int = Field(default=0, ge=0)
    completion_tokens: int = Field(default=0, ge=0)
    queue_wait_s: float = Field(default=0.0, ge=0)  # waited in workers for quota before the attempts, in all
    duration_s: float = Field(default=0.0, ge=0)  # the requests themselves, in all
    deferrals: int = Field(default=0, ge=0)  # calls sent back to wait for quota on a durable timer
    deferred_s: float = Field(default=0.0, ge=0)  # the waits they were told, in all

    def add(self, other: ModelUsage) -> ModelUsage:
        """The two added up (the figures; the identity is this one's)."""
        sums = {name: getattr(self, name) + getattr(other, name) for name in FIGURES}
        return self.model_copy(update={**sums, "selection": self.selection or other.selection})


FIGURES = tuple(name for name in ModelUsage.model_fields if name not in ("deployment", "selection", "bucket", "worker"))
