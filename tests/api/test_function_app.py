"""What the real Python worker checks when it indexes the app, asserted here so a change cannot slip by."""

from __future__ import annotations

import inspect
import typing
from collections import Counter
from types import ModuleType

from fastapi import Request as FastApiRequest

from devhost.http_kinds import check_http_kinds, uses_http_extension
from shared.batches import names as batch_names
from shared.comparison import names as comparison_names
from shared.jobs import names as job_names
from shared.query import names as query_names
from tests.api.conftest import Api


def durable_names(module: ModuleType) -> set[str]:
    """The function names a names module declares (its upper-case string constants), events aside."""
    return {v for k, v in vars(module).items() if k.isupper() and isinstance(v, str) and k != "CANCEL_EVENT"}


def test_every_http_function_uses_the_streaming_extension(api: Api) -> None:
    infos = list(api.infos.values())
    assert check_http_kinds(infos) is True  # Azure refuses an app that mixes classic and extension functions
    http = [i for i in infos if i.trigger_type == "httpTrigger"]
    # 34 API functions (18 jobs, results and their reports, and contracts, 5 documents, 11 batches), 3 streams
    # (api/streams.py), the page and its assets (api/ui.py), the OpenAPI description (api/openapi.py)
    assert len(http) == 42
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
        "stage_batch",
        "reprocess_batch_staging",
        "run_batch",
        "cancel_batch",
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


def test_every_durable_name_is_a_registered_function_and_nothing_else_is(api: Api) -> None:
    infos = list(api.infos.values())
    assert Counter(i.trigger_type for i in infos) == {
        "httpTrigger": 42,
        "queueTrigger": 1,  # job_request_starter
        "orchestrationTrigger": 5,  # comparison, query, batch staging, batch evaluation and its chunks
        # start and finalize, 5 comparison steps, 7 query steps, 7 batch steps and 4 of economy runs (the Batch
        # API): progress reaches the job document from the step activities themselves, with no activity of its own
        "activityTrigger": 25,
    }
    orchestrators = {i.name for i in infos if i.trigger_type == "orchestrationTrigger"}
    activities = {i.name for i in infos if i.trigger_type == "activityTrigger"}
    assert orchestrators == {
        comparison_names.ORCHESTRATOR,
        query_names.ORCHESTRATOR,
        batch_names.STAGING_ORCHESTRATOR,
        batch_names.EVALUATION_ORCHESTRATOR,
        batch_names.CHUNK_ORCHESTRATOR,
    }
    # A name the orchestrators call that no activity registers would fail only at run time, in Durable.
    modules = (job_names, comparison_names, query_names, batch_names)
    declared = set().union(*(durable_names(m) for m in modules))
    assert activities == declared - orchestrators
