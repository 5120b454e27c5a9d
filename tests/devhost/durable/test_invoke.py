"""How Durable activities are called as the worker calls them: input and output converted by the activityTrigger
converter, and the `context` argument the same azure.functions.Context as elsewhere."""

import re
import threading

import azure.functions as func
import pytest

from devhost.durable.invoke import build_kwargs, decode_activity_input, encode_activity_output
from devhost.functions import FunctionInfo


def _activity(value: int, context: func.Context) -> int:
    return value


def test_an_activity_context_parameter_gets_an_azure_functions_context() -> None:
    info = FunctionInfo(
        name="activity",
        trigger_type="activityTrigger",
        trigger={"name": "value", "type": "activityTrigger"},
        bindings=[{"name": "value", "type": "activityTrigger"}],
        func=_activity,
    )
    kwargs = build_kwargs(info, 3, lambda binding: "{}", "invocation-1")
    context = kwargs["context"]
    assert kwargs["value"] == 3
    assert isinstance(context, func.Context)
    assert (context.invocation_id, context.function_name, context.function_directory) == (
        "invocation-1",
        "activity",
        "",
    )
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-00", context.trace_context.trace_parent)
    assert (context.retry_context.retry_count, context.retry_context.max_retry_count) == (0, 0)
    assert isinstance(context.thread_local_storage, threading.local)


@pytest.mark.parametrize(
    ("text", "value"),
    [('"x"', "x"), ('{"a": [1, 2]}', {"a": [1, 2]}), ("null", None), ("3", 3), ("not json", "not json"), (None, None)],
)
def test_input_is_decoded_like_the_activity_trigger_converter(text: str | None, value: object) -> None:
    assert decode_activity_input(text) == value


def test_output_is_json() -> None:
    assert encode_activity_output({"a": 1}) == '{"a": 1}'
    assert encode_activity_output(None) == "null"
