"""The summary's pieces: windows down to a bucket mark, every worker's items added up per deployment and priced by
the selection the name serves, failures' reasons in whichever shape a job recorded them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.jobs.models import JobStatus, JobType
from shared.ops.summary import MESSAGE_CHARS, deployment_usage, failed_job, job_counts, total, window_start
from shared.ops.usage_figures import ModelUsage
from shared.settings import Settings
from shared.storage.base import FailedJobRow
from shared.telemetry.attributes import user_hash

NOW = datetime(2030, 6, 1, 12, 7, 30, tzinfo=UTC)
AZURE = Settings(
    llm_provider="azure_openai",
    azure_openai_endpoint="https://aoai.example",
    azure_openai_deployment_primary="contracts-4o",
    azure_openai_deployment_secondary="contracts-mini",
    llm_price_per_1k_prompt_tokens_primary=0.01,
    llm_price_per_1k_completion_tokens_primary=0.04,
    llm_price_per_1k_prompt_tokens_secondary=0.001,
    llm_price_per_1k_completion_tokens_secondary=0.004,
)


def test_a_window_starts_the_period_back_at_a_five_minute_mark() -> None:
    assert window_start(NOW, "hour") == datetime(2030, 6, 1, 11, 5, tzinfo=UTC)
    assert window_start(NOW, "day") == datetime(2030, 5, 31, 12, 5, tzinfo=UTC)


def item(deployment: str, worker: str, selection: str = "", **figures: int) -> ModelUsage:
    return ModelUsage(deployment=deployment, selection=selection, bucket=NOW, worker=worker, **figures)


def test_workers_are_added_up_per_deployment_and_priced_by_what_the_name_serves() -> None:
    rows = deployment_usage(
        [
            item("contracts-mini", "w1", "primary", calls=1, answered=1, prompt_tokens=1000, completion_tokens=1000),
            item("contracts-4o", "w1", "primary", calls=3, answered=2, throttled=1, prompt_tokens=2000),
            item("contracts-4o", "w2", "primary", calls=1, throttled=1, completion_tokens=500),
            item("retired-deployment", "w2", calls=0, deferrals=2),
        ],
        AZURE,
    )
    assert [(r.deployment, r.selection, r.calls) for r in rows] == [
        ("contracts-4o", "primary", 4),
        # A call that named "primary" for a name that serves the secondary now is priced as the secondary.
        ("contracts-mini", "secondary", 1),
        ("retired-deployment", "", 0),
    ]
    big, mini, retired = rows
    assert (big.throttled, big.throttled_share, big.prompt_tokens, big.completion_tokens) == (2, 0.5, 2000, 500)
    assert big.estimated_cost == 2 * 0.01 + 0.5 * 0.04
    assert mini.estimated_cost == 0.001 + 0.004
    assert (retired.throttled_share, retired.deferrals, retired.estimated_cost) == (0.0, 2, 0.0)
    whole = total(rows)
    assert (whole.calls, whole.throttled, whole.deferrals) == (5, 2, 2)
    assert whole.throttled_share == 0.4 and whole.estimated_cost == 0.045


def test_job_counts_name_every_status_and_type() -> None:
    counts = job_counts({(JobStatus.FAILED, JobType.QUERY): 2, (JobStatus.COMPLETED, JobType.QUERY): 1})
    assert counts.total == 3
    assert counts.by_status == {"queued": 0, "processing": 0, "completed": 1, "failed": 2, "cancelled": 0}
    assert counts.by_type == {"comparison": 0, "query": 3, "batch_staging": 0, "batch_evaluation": 0}


def failure(error: dict[str, str] | None) -> FailedJobRow:
    return FailedJobRow("j1", "user-1", JobType.COMPARISON, NOW - timedelta(minutes=1), error)


def test_a_failures_reason_in_each_shape_a_job_records_it() -> None:
    step = failed_job(
        failure({"step": "calling_llm", "message": "LLM unavailable: 503", "type": "llm_unavailable"}), None
    )
    assert (step.step, step.error_type, step.message) == ("calling_llm", "llm_unavailable", "LLM unavailable: 503")
    start = failed_job(failure({"code": "start_failed", "message": "task hub unreachable"}), None)
    assert (start.step, start.error_type, start.message) == (None, "start_failed", "task hub unreachable")
    other = failed_job(failure({"reason": "orchestration ended"}), None)
    assert (other.error_type, other.message) == ("unknown", "orchestration ended")
    bare = failed_job(failure(None), "salt")
    assert (bare.error_type, bare.message) == ("unknown", "no reason recorded")
    assert bare.user_hash == user_hash("user-1", "salt") != "user-1"
    long = failed_job(failure({"message": "x" * 5_000, "type": "t"}), None)
    assert len(long.message) == MESSAGE_CHARS and long.message.endswith("…")
