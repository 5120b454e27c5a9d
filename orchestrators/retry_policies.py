"""Retry policies, by name. Each says why it exists.

Two kinds, for two kinds of failure:
- `df.RetryOptions` (Durable's own retry) for an activity that *raised*: a crash, a store that is briefly
  unreachable, a bug. Its text is all we know, so after the last attempt the job fails with it.
- `TransientRetry` for an activity that *returned* `retry` (shared/jobs/messages.py): the model is overloaded or
  unreachable after the client's own short retries. The orchestrator waits on a durable timer, which holds no
  worker, at least as long as the model asked (retry-after), then calls again.
Failures retrying cannot fix (the model rejected the request, its output stayed invalid, a contract was deleted)
come back as `error` outcomes and fail the job at once: no policy applies.

A `wait` outcome is no failure (a model call waits for its turn at the deployment's quota): the orchestrator waits
on a durable timer as long as the scheduler said and calls again, counting no attempt; only the total wait of one
call is bounded (`QuotaWaitLimit`), so a deployment that never has room fails the job with a clear reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import azure.durable_functions as df


@dataclass(frozen=True)
class TransientRetry:
    attempts: int
    """Calls in all, the first included."""
    first_delay_ms: int
    backoff: float = 2.0
    max_delay_ms: int = 600_000

    def delay_ms(self, retry: int, hinted_ms: int | None) -> int:
        """Wait before retry number `retry` (1-based): our backoff, or the model's hint when it asks for more."""
        ours = min(int(self.first_delay_ms * self.backoff ** (retry - 1)), self.max_delay_ms)
        return max(ours, min(hinted_ms or 0, self.max_delay_ms))


@dataclass(frozen=True)
class QuotaWaitLimit:
    max_total_ms: int
    """What one call may wait for quota in all, over every `wait` outcome."""
    min_delay_ms: int = 1_000
    """The shortest durable wait: a timer due at once would only spin the orchestrator."""


# Generous: a low-priority batch behind hours of urgent work still progresses (the scheduler ages its calls), so
# only a deployment that never has room, or a quota far too small for one call, hits this.
MODEL_QUOTA_WAIT = QuotaWaitLimit(max_total_ms=3 * 3_600_000)


@dataclass(frozen=True)
class StepPolicy:
    raised: df.RetryOptions
    transient: TransientRetry | None = None
    waits: QuotaWaitLimit = MODEL_QUOTA_WAIT


# An activity that raised: the store stayed unavailable past its SDK's own retries (a 30 s outage, a Cosmos 503
# twice in a row), or the worker crashed. Every 5 s for a minute (13 attempts), so a store outage of up to a minute
# costs the job a delay, not its life (tests/faults: Cosmos unreachable for 30 s); a bug fails the job a minute
# later than it would with fewer attempts. The SDK's retries are not stacked on these: each attempt's own
# requests give up within seconds (shared/storage/cosmos_client.py).
STORAGE_STEP = StepPolicy(df.RetryOptions(first_retry_interval_in_milliseconds=5_000, max_number_of_attempts=13))

# A model call. The LLM client already retries 429/408/5xx/timeouts in-process for seconds, honouring
# retry-after; what outlasts that (a regional outage of minutes) comes back as `retry` and is tried 4 times in all
# over ~3.5 min of timers. A raised failure (a worker that crashed mid-call) is a storage-like retry.
LLM_CALL = StepPolicy(STORAGE_STEP.raised, TransientRetry(attempts=4, first_delay_ms=30_000))

# Job bookkeeping (start, finalize): if these give up the job document is left in processing, so they try longest:
# every 5 s for two minutes.
JOB_BOOKKEEPING = df.RetryOptions(first_retry_interval_in_milliseconds=5_000, max_number_of_attempts=25)

# A sub-orchestration (a chunk of a batch's records): its activities retry themselves, and a retried
# sub-orchestration would reuse its instance id, so it is started once; its failure fails the job with the reason.
SUB_ORCHESTRATION = StepPolicy(df.RetryOptions(first_retry_interval_in_milliseconds=1_000, max_number_of_attempts=1))
