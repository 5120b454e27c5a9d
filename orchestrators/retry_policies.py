"""Durable retry policies, by name. Each says why it exists.

Failures retrying cannot fix (the model rejected the request, its output stayed invalid, a contract was deleted)
never reach these: activities return them as error summaries, and the orchestrator fails the job at once.
"""

from __future__ import annotations

import azure.durable_functions as df

# The LLM client already retries 429/408/5xx/timeouts in-process for seconds, honouring retry-after; this covers
# what outlasts that (a regional outage of minutes, a worker host that crashed mid-call): 4 tries over ~3.5 min.
LLM_CALL = df.RetryOptions(first_retry_interval_in_milliseconds=30_000, max_number_of_attempts=4)

# Steps that only read and write our own storage: a throttled (429) or briefly unreachable store recovers in
# seconds; more attempts would only delay the job's failure report.
STORAGE_STEP = df.RetryOptions(first_retry_interval_in_milliseconds=5_000, max_number_of_attempts=3)

# Job bookkeeping (start, progress, finalize): if these give up the job document is stale or, worse, left in
# processing, so they try longest.
JOB_BOOKKEEPING = df.RetryOptions(first_retry_interval_in_milliseconds=2_000, max_number_of_attempts=6)
