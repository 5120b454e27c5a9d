"""The queue and timer triggers' listeners, one per function, each supervised: a listener that stops on an
error is restarted, as the Functions host keeps its listeners running."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, MutableMapping
from pathlib import Path
from typing import Any

from devhost.config import QueueSettings, resolve_setting_expressions, storage_connection_string
from devhost.functions import FunctionInfo
from devhost.invoke import Invoker
from devhost.ncrontab import Schedule
from devhost.queues import QueueListener
from devhost.timers import TimerListener

logger = logging.getLogger("devhost")

LISTENER_RESTART_DELAY = 2.0


class TriggerListeners:
    """The running listeners of an app's queue- and timer-triggered functions."""

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []
        self._queue_listeners: list[QueueListener] = []

    def start(
        self,
        functions: list[FunctionInfo],
        invoker: Invoker,
        host_json: dict[str, Any],
        environ: MutableMapping[str, str],
        state_dir: Path,
    ) -> None:
        queue_settings = QueueSettings.from_host_json(host_json)
        for info in functions:
            if info.trigger_type == "queueTrigger":
                try:
                    listener = QueueListener(
                        info,
                        invoker,
                        queue_settings,
                        storage_connection_string(info.trigger.get("connection"), environ),
                        resolve_setting_expressions(str(info.trigger["queueName"]), environ).lower(),
                    )
                except Exception as exc:
                    # As the Functions host does: one broken listener disables its function, not the host.
                    logger.error("The listener for function '%s' was unable to start: %s", info.name, exc)
                    continue
                self._queue_listeners.append(listener)
                self._spawn(info.name, listener.run)
            elif info.trigger_type == "timerTrigger":
                schedule = Schedule.parse(resolve_setting_expressions(str(info.trigger["schedule"]), environ))
                timer = TimerListener(info, invoker, schedule, state_dir)
                self._spawn(info.name, timer.run)

    def _spawn(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        async def supervised() -> None:
            while True:
                try:
                    await run()
                    return
                except Exception as exc:
                    logger.error("listener for function '%s' stopped (%s); restarting", name, exc)
                    await asyncio.sleep(LISTENER_RESTART_DELAY)

        self._tasks.append(asyncio.create_task(supervised(), name=f"devhost-listener-{name}"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        for listener in self._queue_listeners:
            with contextlib.suppress(Exception):
                await listener.close()
        self._queue_listeners.clear()
