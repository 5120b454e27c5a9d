"""What the real Python worker checks when it indexes the app, asserted here so a change cannot slip by."""

from __future__ import annotations

import inspect
import typing

from fastapi import Request as FastApiRequest

from devhost.http_kinds import check_http_kinds, uses_http_extension
from tests.api.conftest import Api


def test_every_http_function_uses_the_streaming_extension(api: Api) -> None:
    infos = list(api.infos.values())
    assert check_http_kinds(infos) is True  # Azure refuses an app that mixes classic and extension functions
    http = [i for i in infos if i.trigger_type == "httpTrigger"]
    assert len(http) == 18  # 16 API functions and the web page (api/ui.py: the page and its assets)
    assert all(uses_http_extension(i) for i in http)


def test_durable_client_functions_look_as_the_worker_expects(api: Api) -> None:
    with_client = [i for i in api.infos.values() if any(b.get("type") == "durableClient" for b in i.bindings)]
    assert {i.name for i in with_client} == {
        "submit_comparison_job",
        "submit_query_job",
        "cancel_job",
        "retry_job",
        "compare_contracts",
        "query_contracts",
        "job_request_starter",
        "get_job_status",
    }
    for info in with_client:
        # The SDK's middleware is async and re-annotates the client as `str` (the binding's JSON payload),
        # which is what the worker type-checks; the trigger keeps its own annotation.
        assert inspect.iscoroutinefunction(info.func)
        hints = typing.get_type_hints(info.func)
        assert hints["client"] is str
        if info.trigger_type == "httpTrigger":
            assert hints["req"] is FastApiRequest


def test_http_functions_are_anonymous_at_host_level(api: Api) -> None:
    # All functions are anonymous at the Functions level (EasyAuth is in front); identity is checked in code.
    levels = {str(i.trigger.get("authLevel")).lower() for i in api.infos.values() if i.trigger_type == "httpTrigger"}
    assert levels == {"anonymous"}
