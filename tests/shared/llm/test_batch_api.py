"""The Batch API wrapper against the test server (real SDK): what retrying can fix and what it cannot, a cancel of a
batch that already stopped, and no Batch API for the offline analyzer."""

from __future__ import annotations

import io
import json
import socket

import pytest

from shared.analysis.factory import reset_analyzer
from shared.llm.batch_api import BatchAPI, get_batch_api, reset_batch_api
from shared.llm.client import LLMClient
from shared.llm.errors import LLMNotConfigured, LLMPermanentError, LLMTransientError
from shared.settings import Settings, use_settings
from tests.support.openai_server import OpenAITestServer


def api_for(settings: Settings, sleeps: list[float] | None = None) -> BatchAPI:
    waits = sleeps if sleeps is not None else []
    return BatchAPI(LLMClient(settings), settings, sleep=waits.append)


def one_line_file(api: BatchAPI) -> io.BytesIO:
    line = {"custom_id": "r1", "method": "POST", "url": api.endpoint, "body": {"model": "m", "messages": []}}
    return io.BytesIO((json.dumps(line) + "\n").encode())


def test_an_unknown_batch_is_a_failure_retrying_cannot_fix(openai_server: OpenAITestServer) -> None:
    api = api_for(openai_server.settings())
    with pytest.raises(LLMPermanentError, match=r"Batch API refused to read batch batch_nope: HTTP 404: No such batch"):
        api.retrieve("batch_nope")
    assert len(openai_server.batch_api.calls) == 1  # not retried


def test_an_unreachable_service_is_transient_after_the_clients_retries() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once closed
    settings = Settings(llm_provider="openai", openai_api_key="k", openai_base_url=f"http://127.0.0.1:{port}/v1",
                        llm_max_retries=2, llm_timeout_seconds=2)  # fmt: skip
    sleeps: list[float] = []
    with pytest.raises(LLMTransientError, match="Batch API unreachable"):
        api_for(settings, sleeps).retrieve("batch_1")
    assert len(sleeps) == 2


def test_cancelling_a_batch_that_already_stopped_reports_it_as_it_is(openai_server: OpenAITestServer) -> None:
    api = api_for(openai_server.settings())
    created = api.create(api.upload("in.jsonl", one_line_file(api)))
    api.retrieve(created.remote_id)
    assert api.retrieve(created.remote_id).status == "completed"
    stopped = api.cancel(created.remote_id)  # the service answers 409: not an error for us
    assert (stopped.status, stopped.completed) == ("completed", 1)


def test_a_lost_create_is_found_by_its_input_file(openai_server: OpenAITestServer) -> None:
    api = api_for(openai_server.azure_settings())
    file_id = api.upload("in.jsonl", one_line_file(api))
    assert api.find(file_id) is None
    created = api.create(file_id)
    found = api.find(file_id)
    assert found is not None and found.remote_id == created.remote_id


def test_the_offline_analyzer_has_no_batch_api() -> None:
    use_settings(Settings())
    reset_analyzer()
    reset_batch_api()
    try:
        with pytest.raises(LLMNotConfigured, match="the Batch API needs LLM_PROVIDER openai or azure_openai"):
            get_batch_api()
    finally:
        use_settings(None)
        reset_analyzer()
        reset_batch_api()
