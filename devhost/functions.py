"""The indexed view of an app's functions, shared by the HTTP host, the trigger pollers and the Durable engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FunctionInfo:
    """One function of the hosted app, as the `azure-functions` library's own metadata describes it."""

    name: str
    """Function name (what the portal shows; the Durable name of orchestrators and activities)."""
    trigger_type: str
    """Binding type of the trigger, e.g. "httpTrigger", "orchestrationTrigger", "activityTrigger",
    "entityTrigger", "queueTrigger", "timerTrigger"."""
    trigger: dict[str, Any]
    """The trigger binding as a dict (Binding.get_dict_repr()): name, type, direction and settings."""
    bindings: list[dict[str, Any]] = field(default_factory=list)
    """Every binding of the function (trigger included), as dicts."""
    func: Callable[..., Any] = field(default=lambda: None)
    """The callable the worker would invoke (after the Durable decorators' own wrapping)."""

    def bindings_of_type(self, binding_type: str) -> list[dict[str, Any]]:
        return [b for b in self.bindings if b.get("type") == binding_type]
