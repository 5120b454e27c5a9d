"""An app using the HTTP streaming extension's FastAPI types, with routePrefix ""."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from devhost.host import DevHost
from devhost.http_kinds import MixedHttpKindsError
from tests.devhost.helpers import APPS

pytestmark = pytest.mark.slow


@pytest.fixture
async def host(tmp_path: Path) -> AsyncIterator[DevHost]:
    lines: list[str] = []
    async with DevHost(APPS / "streaming", tmp_path, port=0, echo=lines.append) as running:
        running.printed = lines  # type: ignore[attr-defined]
        yield running


@pytest.fixture
async def client(host: DevHost) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=host.base_url) as c:
        yield c


async def test_request_gets_path_params_from_the_route(client: httpx.AsyncClient) -> None:
    response = await client.get("/items/5", params={"q": "z"})
    assert response.json() == {"path_params": {"id": "5"}, "q": "z"}
    assert (await client.get("/items/x")).status_code == 404
    assert (await client.get("/api/items/5")).status_code == 404


async def test_json_body_and_plain_return_values(client: httpx.AsyncClient) -> None:
    echoed = await client.post("/echo", json={"n": 1})
    assert (echoed.status_code, echoed.json()) == (201, {"got": {"n": 1}})
    assert (await client.get("/plain")).json() == {"sync": True}


async def test_server_sent_events_arrive_before_the_generator_finishes(client: httpx.AsyncClient) -> None:
    async with client.stream("GET", "/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.aiter_lines()
        assert await anext(lines) == "data: first"
        # The generator is still blocked: the first event was not buffered behind the rest.
        assert (await client.get("/finished")).json() == {"finished": False}
        assert (await client.post("/release")).status_code == 200
        rest = [line async for line in lines if line]
    assert rest == ["data: second"]
    assert (await client.get("/finished")).json() == {"finished": True}


async def test_generated_keys_are_printed(host: DevHost) -> None:
    printed = "\n".join(host.printed)  # type: ignore[attr-defined]
    assert host.keys is not None
    assert f"Function key (generated; set DEVHOST_FUNCTION_KEY to fix it): {host.keys.function_key}" in printed
    assert f"item: [GET] {host.base_url}/items/{{id:int}}" in printed


async def test_mixing_classic_and_streaming_functions_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MixedHttpKindsError) as info:
        await DevHost(APPS / "mixed", tmp_path, port=0, echo=lambda _: None).start()
    assert info.value.classic == ["legacy"]
    assert "legacy" in str(info.value)


async def test_stop_does_not_hang_on_an_open_event_stream(tmp_path: Path) -> None:
    host = DevHost(APPS / "streaming", tmp_path, port=0, echo=lambda _: None)
    await host.start()
    try:
        async with httpx.AsyncClient(base_url=host.base_url) as client:
            async with client.stream("GET", "/events") as response:
                assert await anext(response.aiter_lines()) == "data: first"
                await asyncio.wait_for(host.stop(), timeout=60)
    finally:
        await host.stop()
