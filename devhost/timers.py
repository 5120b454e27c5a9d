"""Timer triggers: NCRONTAB schedules, `runOnStartup`, and past-due detection across restarts.

Like the Functions host, the schedule status (last/next occurrence) is persisted (here under the state dir),
so an occurrence missed while devhost was down fires once at start with `past_due=True`. Times are UTC unless
WEBSITE_TIME_ZONE names an IANA zone. One function's invocations never overlap (the host's singleton lock).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from azure.functions.timer import TimerRequest

from devhost.functions import FunctionInfo
from devhost.invoke import Invoker, invocation
from devhost.ncrontab import Schedule

logger = logging.getLogger("devhost.timers")


def schedule_zone() -> tzinfo:
    name = os.environ.get("WEBSITE_TIME_ZONE") or os.environ.get("TZ")
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning("unknown time zone %r (WEBSITE_TIME_ZONE); timers use UTC", name)
        return UTC


class TimerListener:
    def __init__(self, info: FunctionInfo, invoker: Invoker, schedule: Schedule, state_dir: Path) -> None:
        self.info = info
        self.invoker = invoker
        self.schedule = schedule
        self.status_path = state_dir / "timers" / f"{info.name}.json"
        self.zone = schedule_zone()

    def _now(self) -> datetime:
        return datetime.now(self.zone)

    def _load_status(self) -> dict[str, Any]:
        try:
            data = json.loads(self.status_path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save_status(self, last: datetime | None, next_due: datetime) -> None:
        self.status_path.parent.mkdir(parents=True, exist_ok=True)
        status = {
            "Last": last.isoformat() if last else None,
            "Next": next_due.isoformat(),
            "LastUpdated": self._now().isoformat(),
        }
        self.status_path.write_text(json.dumps(status))

    async def run(self) -> None:
        status = self._load_status()
        last: datetime | None = None
        recorded_next = status.get("Next")
        past_due = recorded_next is not None and datetime.fromisoformat(recorded_next) < self._now()
        if past_due or self.info.trigger.get("runOnStartup"):
            await self._fire(past_due=past_due, last=None)
            last = self._now()
        while True:
            due = self.schedule.next_after(self._now())
            self._save_status(last, due)
            delay = (due - self._now()).total_seconds()
            if delay > 0:
                await asyncio.sleep(delay)
            # Fired more than a schedule step late (e.g. the machine slept): report it as past due.
            late = self._now() > self.schedule.next_after(due)
            await self._fire(past_due=late, last=last)
            last = due

    async def _fire(self, *, past_due: bool, last: datetime | None) -> None:
        request = TimerRequest(
            past_due=past_due,
            schedule_status={"Last": last.isoformat() if last else None},
            schedule={"AdjustForDST": True},
        )
        try:
            async with invocation(self.info.name) as current:
                kwargs, _ = self.invoker.arguments(self.info, request, current)
                await self.invoker.call(self.info, kwargs)
        except Exception:
            # A failing timer function does not stop its schedule.
            logger.exception("timer function %r failed", self.info.name)
