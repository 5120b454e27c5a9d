"""What the comparison orchestrator passes its activities: ids only. Every step returns a plain Outcome
(shared/jobs/messages.py); the retrieve, prompt, enhance and save steps take just the job's ref (JobRef)."""

from __future__ import annotations

from pydantic import Field

from shared.jobs.models import JobRef


class CompareContractInput(JobRef):
    """One model call: the standard against `contract_id`, one of `items_total` compared contracts."""

    contract_id: str = Field(min_length=1)
    items_total: int = Field(ge=1)
