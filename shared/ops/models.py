"""The operations summary's answer (GET /api/ops/summary) and the caller's own view (GET /api/me).

Counts and figures of the whole app: jobs are counted across users, but no job names its user except as a
`user_hash` (the same one telemetry's spans carry), and nothing quotes a contract's text or an answer. The running
and failed jobs listed carry their `title` (shared/jobs/titles.py: contract and batch titles, a question's first
words), so that an operator and the job's owner talk about the same job by the same name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from shared.jobs.models import JobType

Period = Literal["hour", "day"]


class JobCounts(BaseModel):
    """Jobs created in the window, by their status now and by type (every status and type, zeros included)."""

    total: int
    by_status: dict[str, int]
    by_type: dict[str, int]


class UsageFigures(BaseModel):
    """Model requests and what they cost. `calls` counts every request sent (retries too); tokens are the answered
    requests' as the server counted them; the cost is an estimate at the LLM_PRICE_PER_1K_* settings (the
    provider's invoice is the authority)."""

    calls: int
    answered: int
    throttled: int  # answered 429
    failed: int  # any other refusal, or no answer
    throttled_share: float = Field(description="throttled / calls (0 without calls)")
    prompt_tokens: int
    completion_tokens: int
    estimated_cost: float
    avg_queue_wait_s: float = Field(description="Waited in a worker for the deployment's quota, per call")
    deferrals: int = Field(description="Calls handed back to wait for quota on a durable timer")


class DeploymentUsage(UsageFigures):
    deployment: str  # the model (openai) or deployment (azure_openai) name
    selection: str  # primary | secondary ("" when the name is no longer configured and no call named it)


class OpsWindow(BaseModel):
    period: Period
    since: datetime = Field(description="The window's start: the period back from now, down to a five-minute mark")
    jobs: JobCounts
    deployments: list[DeploymentUsage]
    total: UsageFigures


class DeploymentBacklog(BaseModel):
    """The quota scheduler's queue of one deployment now (shared/llm/budget.py)."""

    deployment: str
    selection: str
    waiting: int = Field(description="Calls waiting for their turn at the deployment's quota")
    waiting_tokens: int
    oldest_wait_s: float | None
    paused_for_s: float = Field(description="Seconds until a 429's pause ends (0: not paused)")
    rate: float = Field(description="Share of the limits in use: below 1 after 429s, recovering with time")


class RunningJob(BaseModel):
    job_id: str
    title: str = Field(description="The job's title, as its owner sees it in the job monitor")
    job_type: JobType
    step: str
    age_s: float = Field(description="Since the job was submitted")
    running_s: float | None = Field(description="Since it started processing")
    user_hash: str


class FailedJob(BaseModel):
    job_id: str
    title: str = Field(description="The job's title, as its owner sees it in the job monitor")
    job_type: JobType
    failed_at: datetime | None
    step: str | None
    error_type: str
    message: str
    user_hash: str


class OpsSummary(BaseModel):
    """200 body of GET /api/ops/summary."""

    generated_at: datetime
    provider: str  # LLM_PROVIDER
    currency: str = Field(description="ISO 4217 code of every estimated_cost (COST_CURRENCY)")
    last_hour: OpsWindow
    last_day: OpsWindow
    backlog: list[DeploymentBacklog]
    oldest_running: RunningJob | None
    failed_jobs: list[FailedJob] = Field(description="The last day's failed jobs, the latest first")
    failed_jobs_limit: int = Field(description="At most this many failed jobs are listed")


class Me(BaseModel):
    """200 body of GET /api/me: who the caller is to this app (what the page shows and hides)."""

    user_id: str
    roles: list[str] = Field(description="App roles the caller has that this app knows: `ops` opens /api/ops/summary")
