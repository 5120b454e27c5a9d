"""The process's telemetry, once configured (shared/telemetry/setup.py); None while it is off, and then every
instrumentation point returns at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shared.telemetry.attributes import user_hash

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

    from shared.telemetry.instruments import Instruments


@dataclass
class Telemetry:
    tracer: Tracer
    instruments: Instruments
    user_salt: str | None
    closers: list[Callable[[], None]] = field(default_factory=list)

    def user_hash(self, user_id: str) -> str:
        return user_hash(user_id, self.user_salt)


_active: Telemetry | None = None


def active() -> Telemetry | None:
    return _active


def activate(telemetry: Telemetry | None) -> None:
    global _active
    _active = telemetry
