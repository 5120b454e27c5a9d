"""Which HTTP programming model a function uses: classic `func.HttpRequest`, or the HTTP streaming
extension's request type (`azurefunctions.extensions.http.fastapi.Request`).

The worker decides per function by the annotation of the HTTP trigger parameter, once an extension module
has been imported; Azure then serves every HTTP function through the extension's web server, so an app may
not mix the two kinds. devhost applies the same rule.
"""

from __future__ import annotations

import inspect
import typing
from typing import Any

from devhost.functions import FunctionInfo


class MixedHttpKindsError(Exception):
    def __init__(self, classic: list[str], streaming: list[str]) -> None:
        super().__init__(
            "this app mixes classic func.HttpRequest functions with the HTTP streaming extension's Request "
            f"type, which Azure refuses; change these to the extension's types: {', '.join(sorted(classic))} "
            f"(already using them: {', '.join(sorted(streaming))})"
        )
        self.classic = classic
        self.streaming = streaming


def trigger_annotation(info: FunctionInfo) -> Any:
    """The resolved annotation of the trigger parameter (None when absent or unresolvable)."""
    name = str(info.trigger["name"])
    try:
        hints = typing.get_type_hints(info.func)
    except Exception:
        # Unresolvable string annotations: fall back to whatever the signature holds.
        param = inspect.signature(info.func).parameters.get(name)
        return None if param is None or param.annotation is inspect.Parameter.empty else param.annotation
    return hints.get(name)


def uses_http_extension(info: FunctionInfo) -> bool:
    try:
        from azurefunctions.extensions.base import HttpV2FeatureChecker, RequestTrackerMeta
    except ImportError:
        return False
    if not HttpV2FeatureChecker.http_v2_enabled():
        return False
    return bool(RequestTrackerMeta.check_type(trigger_annotation(info)))


def check_http_kinds(functions: list[FunctionInfo]) -> bool:
    """True when the app's HTTP functions use the extension; raises MixedHttpKindsError for a mix."""
    http = [f for f in functions if f.trigger_type == "httpTrigger"]
    streaming = [f.name for f in http if uses_http_extension(f)]
    classic = [f.name for f in http if f.name not in streaming]
    if streaming and classic:
        raise MixedHttpKindsError(classic, streaming)
    return bool(streaming)
