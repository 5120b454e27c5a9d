"""Index a v2-programming-model app with the `azure-functions` library's own metadata."""

from __future__ import annotations

import enum
from typing import Any

from devhost.functions import FunctionInfo


class IndexingError(Exception):
    """The app object cannot be indexed (not a FunctionRegister, or a function without a trigger)."""


def _plain(value: Any) -> Any:
    """Binding dicts carry enums (direction, methods, authLevel); the host works with their JSON values."""
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def index_app(app: Any) -> list[FunctionInfo]:
    """Return one FunctionInfo per function registered on `app` (an `azure.functions.FunctionApp`/`DFApp`)."""
    get_functions = getattr(app, "get_functions", None)
    if get_functions is None:
        raise IndexingError(f"{app!r} is not a FunctionApp: it has no get_functions()")
    infos: list[FunctionInfo] = []
    for fn in get_functions():
        trigger = fn.get_trigger()
        name = fn.get_function_name()
        if trigger is None:
            raise IndexingError(f"function {name!r} has no trigger")
        trigger_dict = _plain(trigger.get_dict_repr())
        infos.append(
            FunctionInfo(
                name=name,
                trigger_type=str(trigger_dict["type"]),
                trigger=trigger_dict,
                bindings=[_plain(b.get_dict_repr()) for b in fn.get_bindings()],
                func=fn.get_user_function(),
            )
        )
    return infos
