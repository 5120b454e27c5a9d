"""Metric instrumentation points that are neither spans nor job transitions: the quota scheduler's queue
(shared/llm/quota.py) and a batch run's records (shared/batches/running.py). Each records on the process's
instruments (instruments.py) and returns at once while telemetry is off."""

from __future__ import annotations

from collections.abc import Mapping

from shared.telemetry import attributes as a
from shared.telemetry.state import active


def queue_length(deployment: str, waiting: int) -> None:
    """The quota scheduler decided on `deployment` (its key: provider|endpoint|model) with `waiting` calls queued."""
    telemetry = active()
    if telemetry is not None:
        telemetry.instruments.queue_seen(deployment.rsplit("|", 1)[-1], waiting)


def batch_finished(by_status: Mapping[str, int], mode: str) -> None:
    """A batch run's summary: its records per status (S answered, F failed, QUEUED not reached)."""
    telemetry = active()
    if telemetry is None:
        return
    for status, count in by_status.items():
        if count:
            telemetry.instruments.batch_records.add(count, {a.RECORD_STATUS: status, a.BATCH_MODE: mode})
