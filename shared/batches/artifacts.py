"""Names of a batch job's artifacts (shared/jobs/artifacts.py stores them): the work lists of a staging or a run,
kept by the job so its activities receive positions, not lists of ids, through history."""

from __future__ import annotations

STAGING_DOCUMENTS = "batch/staging/documents"  # the document ids this staging job stages, in order
RUN_RECORDS = "batch/run/records"  # the record ids this run evaluates, in order
RUN_CONFIG = "batch/run/config"  # the configuration it evaluates them with (the batch's snapshot when planned)
RESULT = "batch/result"
