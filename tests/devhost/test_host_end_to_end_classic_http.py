"""A classic func.HttpRequest app served by DevHost on a real port."""

import asyncio
import logging
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from devhost.host import DevHost
from tests.devhost.helpers import APPS

pytestmark = pytest.mark.slow

APP = APPS / "classic"


@pytest.fixture
async def host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[DevHost]:
    monkeypatch.setenv("OVERRIDDEN", "from-env")
    monkeypatch.delenv("DEVHOST_TRUST_PRINCIPAL_HEADERS", raising=False)
    lines: list[str] = []
    async with DevHost(APP, tmp_path / "state", port=0, echo=lines.append) as running:
        running.printed = lines  # type: ignore[attr-defined]
        yield running


@pytest.fixture
async def client(host: DevHost) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=host.base_url) as c:
        yield c


async def test_startup_prints_routes_and_the_base_url(host: DevHost) -> None:
    printed = "\n".join(host.printed)  # type: ignore[attr-defined]
    assert host.port != 0
    assert f"hello: [GET] {host.base_url}/api/hello/{{name}} (auth: anonymous)" in printed
    assert f"echo: [POST,PUT] {host.base_url}/api/echo" in printed
    assert f"secret: [ALL] {host.base_url}/api/secret (auth: function)" in printed
    assert printed.endswith(f"devhost: listening on {host.base_url}")
    # Keys come from local.settings.json, so none is generated or printed.
    assert "test-function-key" not in printed and "generated" not in printed


async def test_local_settings_reach_the_app_environment(client: httpx.AsyncClient) -> None:
    env = (await client.get("/api/env")).json()
    assert env == {
        "FROM_SETTINGS": "from-local-settings",
        "OVERRIDDEN": "from-env",
        "EMPTY_SETTING": None,
        "FUNCTIONS_WORKER_RUNTIME": "python",
        "PYTHON_ENABLE_INIT_INDEXING": "1",
    }


async def test_environment_is_restored_after_stop(tmp_path: Path) -> None:
    assert "FROM_SETTINGS" not in os.environ
    async with DevHost(APP, tmp_path, port=0, echo=lambda _: None):
        assert os.environ["FROM_SETTINGS"] == "from-local-settings"
    assert "FROM_SETTINGS" not in os.environ


async def test_route_and_query_parameters(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/hello/Ada", params={"suffix": "!"})
    assert (response.status_code, response.text) == (200, "Hello Ada!")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


async def test_constraints_and_literal_routes(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/items/42")).json()["kind"] == "by-id"
    assert (await client.get("/api/items/new")).json() == {"kind": "new"}
    assert (await client.get("/api/items/abc")).json() == {"kind": "by-slug", "slug": "abc"}
    assert (await client.get("/api/items/4x2")).status_code == 404


async def test_catch_all_and_optional_parameters(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/files/docs/a/b.txt")).json() == {"rest": "docs/a/b.txt"}
    assert (await client.get("/api/opt")).json() == {"id": None}
    assert (await client.get("/api/opt/7")).json() == {"id": "7"}


async def test_json_body_headers_and_status(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/echo?x=1", json={"a": [1, 2]}, headers={"X-Custom": "yes"})
    assert response.status_code == 201
    assert response.json() == {
        "method": "PUT",
        "json": {"a": [1, 2]},
        "size": len(b'{"a":[1,2]}'),
        "header": "yes",
        "url": f"{client.base_url}/api/echo?x=1",
    }


async def test_binary_response_with_custom_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/teapot")
    assert response.status_code == 418
    assert response.content == b"\x00\x01"
    assert response.headers["x-tea"] == "earl grey"
    assert response.headers["content-type"] == "application/x-tea"


async def test_unknown_route_is_404_and_wrong_method_is_405(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/nope")).status_code == 404
    assert (await client.get("/hello/Ada")).status_code == 404
    wrong = await client.get("/api/echo")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "POST, PUT"


async def test_sync_functions_run_in_the_worker_thread_pool(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/items/1")).json()["thread"].startswith("devhost-fn")


async def test_function_level_needs_a_key(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/secret")).status_code == 401
    assert (await client.get("/api/secret", params={"code": "wrong"})).status_code == 401
    assert (await client.get("/api/secret", params={"code": "test-function-key"})).text == "secret"
    assert (await client.get("/api/secret", headers={"x-functions-key": "test-function-key"})).status_code == 200
    assert (await client.get("/api/secret", headers={"x-functions-key": "test-master-key"})).status_code == 200


async def test_admin_level_needs_the_master_key(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/admin-only", params={"code": "test-function-key"})).status_code == 401
    assert (await client.get("/api/admin-only", params={"code": "test-master-key"})).text == "admin"


async def test_client_principal_headers_are_stripped(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/whoami", headers={"X-MS-CLIENT-PRINCIPAL-NAME": "mallory"})
    assert response.text == "anonymous"


async def test_principal_headers_pass_when_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEVHOST_TRUST_PRINCIPAL_HEADERS", "1")
    async with DevHost(APP, tmp_path, port=0, echo=lambda _: None) as host, httpx.AsyncClient() as c:
        response = await c.get(f"{host.base_url}/api/whoami", headers={"X-MS-CLIENT-PRINCIPAL-NAME": "alice"})
    assert response.text == "alice"


async def test_context_parameter(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/ctx")).json()
    assert body["function"] == "with_context"
    assert re.fullmatch(r"[0-9a-f-]{36}", body["invocation"])


async def test_one_log_line_per_invocation(client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="devhost.invocations")
    await client.get("/api/hello/x")
    failed = await client.get("/api/boom")
    assert failed.status_code == 500
    lines = [r.getMessage() for r in caplog.records if r.name == "devhost.invocations"]
    assert len(lines) == 2
    pattern = r"Executed '{}' \(invocation=[0-9a-f-]{{36}}, instance=-, duration=\d+ms, outcome={}\)"
    assert re.fullmatch(pattern.format("hello", "Succeeded"), lines[0])
    assert re.fullmatch(pattern.format("boom", "Failed: ValueError: kaboom"), lines[1])


async def test_declared_body_over_100_mb_is_refused_unread(host: DevHost) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", host.port)
    writer.write(
        b"POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 104857601\r\n\r\n{"
    )
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    assert status_line.startswith(b"HTTP/1.1 413")
