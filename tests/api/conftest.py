"""Direct invocation of the app's HTTP and queue functions, the way the worker calls them.

Functions are found through the app's own metadata and routed with devhost's ASP.NET-style route table, so
route precedence is exercised too. The Durable client is the one fake: a small object recording start_new and
raise_event at the network edge (the SDK middleware that builds a real client is unwrapped).

End-to-end tests through devhost (real Durable engine, real HTTP) belong in tests/e2e once devhost lands.
"""

from __future__ import annotations

import base64
import functools
import inspect
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.requests import Request

import function_app
from devhost.functions import FunctionInfo
from devhost.http_host import HttpFunction
from devhost.indexing import index_app
from devhost.routing import Route, RouteTable
from shared.hosting import Hosting, use_hosting
from shared.settings import Settings, use_settings
from shared.storage.base import Repositories
from shared.storage.factory import get_repositories, reset_repositories

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"

CONTRACT_TEXT = """MASTER SERVICES AGREEMENT

1. Definitions. "Services" means the services described in each Statement of Work.

2. Payment Terms. Customer shall pay each invoice within thirty (30) days of receipt.

3. Term and Termination. This Agreement lasts two (2) years. Either party may terminate on sixty (60) days notice.

4. Governing Law. This Agreement is governed by the laws of the State of Washington.
"""


class FakeDurableClient:
    """Records what the starters ask of Durable; `fail_start` simulates an unreachable task hub."""

    def __init__(self) -> None:
        self.started: list[tuple[str, str | None, Any]] = []
        self.events: list[tuple[str, str, Any]] = []
        self.fail_start = False
        self.runtime_status: dict[str, str] = {}  # instance id -> Durable runtime status get_status reports
        self.outputs: dict[str, str] = {}

    async def start_new(
        self, orchestration_function_name: str, instance_id: str | None = None, client_input: Any | None = None
    ) -> str:
        if self.fail_start:
            raise ConnectionError("task hub unreachable")
        self.started.append((orchestration_function_name, instance_id, client_input))
        return instance_id or "generated-instance"

    async def raise_event(self, instance_id: str, event_name: str, event_data: Any = None) -> None:
        self.events.append((instance_id, event_name, event_data))

    async def get_status(self, instance_id: str) -> Any:
        runtime = self.runtime_status.get(instance_id, "Running")
        if runtime == "unreachable":
            raise ConnectionError("task hub unreachable")
        return SimpleNamespace(runtime_status=SimpleNamespace(value=runtime), output=self.outputs.get(instance_id))


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error_code(self) -> str:
        return str(self.json["error"]["code"])


@dataclass
class Api:
    client: FakeDurableClient
    functions: list[HttpFunction] = field(default_factory=list)

    def __post_init__(self) -> None:
        infos = _indexed()
        self.infos = {i.name: i for i in infos}
        self.functions = [HttpFunction.from_info(i, "api") for i in infos if i.trigger_type == "httpTrigger"]
        self.table: RouteTable[HttpFunction] = RouteTable(
            Route(template=f.template, methods=f.methods, target=f) for f in self.functions
        )

    def resolve(self, method: str, path: str) -> tuple[HttpFunction, dict[str, str]]:
        match = self.table.resolve(method, path)
        assert match is not None and match.target is not None, f"no function for {method} {path}"
        return match.target, match.params

    async def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        raw: bytes | None = None,
        user: str | None = "alice",
        headers: dict[str, str] | None = None,
        query: str = "",
    ) -> Reply:
        function, params = self.resolve(method, path)
        body = raw if raw is not None else (json.dumps(json_body).encode() if json_body is not None else b"")
        all_headers = {"host": "localhost:7071", **(headers or {})}
        if body:
            all_headers.setdefault("content-type", "application/json")
            all_headers["content-length"] = str(len(body))
        if user is not None:
            all_headers["x-ms-client-principal-id"] = user
        request = _request(method, path, body, all_headers, query, params)
        kwargs: dict[str, Any] = {str(function.info.trigger["name"]): request}
        fn = function.info.func
        if any(b.get("type") == "durableClient" for b in function.info.bindings):
            fn = inspect.unwrap(fn)  # skip the SDK middleware that would build a real client from JSON
            kwargs["client"] = self.client
        response = await fn(**kwargs)
        return Reply(response.status_code, {k.lower(): v for k, v in response.headers.items()}, bytes(response.body))

    async def open_stream(
        self, path: str, *, user: str | None = "alice", headers: dict[str, str] | None = None, query: str = ""
    ) -> tuple[int, dict[str, str], AsyncIterator[bytes] | None]:
        """Call a streaming endpoint: its status, headers and (for a stream) the body as it is produced."""
        function, params = self.resolve("GET", path)
        all_headers = {"host": "localhost:7071", "accept": "text/event-stream", **(headers or {})}
        if user is not None:
            all_headers["x-ms-client-principal-id"] = user
        request = _request("GET", path, b"", all_headers, query, params)
        response = await function.info.func(**{str(function.info.trigger["name"]): request})
        headers_out = {k.lower(): v for k, v in response.headers.items()}
        return response.status_code, headers_out, getattr(response, "body_iterator", None)

    async def deliver(self, message: Any) -> None:
        """Invoke the queue-triggered starter with a `func.QueueMessage`."""
        info = self.infos["job_request_starter"]
        await inspect.unwrap(info.func)(msg=message, client=self.client)


@functools.cache
def _indexed() -> list[FunctionInfo]:
    # Once per session: the library's get_functions() refuses to index the same app twice.
    return index_app(function_app.app)


def _request(
    method: str, path: str, body: bytes, headers: dict[str, str], query: str, params: dict[str, str]
) -> Request:
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
        "server": ("localhost", 7071),
        "client": ("127.0.0.1", 50000),
        "path_params": params,
    }
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(scope, receive)


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    current = Settings(data_dir=tmp_path / "data")
    use_settings(current)
    use_hosting(Hosting.from_environ({}))  # a local host, whatever the machine's environment holds
    reset_repositories()
    yield current
    use_settings(None)
    use_hosting(None)
    reset_repositories()


@pytest.fixture
def configure(settings: Settings) -> Any:
    """Change settings for one test: configure(max_request_bytes=100)."""

    def apply(**changes: Any) -> Settings:
        unknown = set(changes) - set(Settings.model_fields)
        assert not unknown, f"not settings: {sorted(unknown)} (model_copy would accept them silently)"
        updated = settings.model_copy(update=changes)
        use_settings(updated)
        return updated

    return apply


@pytest.fixture
def host_in(settings: Settings) -> Any:
    """Run one test on another platform: host_in(Hosting.azure(easy_auth=True)) (the settings fixture resets it)."""
    return use_hosting


@pytest.fixture
def repos(settings: Settings) -> Repositories:
    return get_repositories()


@pytest.fixture
def durable() -> FakeDurableClient:
    return FakeDurableClient()


@pytest.fixture
def api(settings: Settings, durable: FakeDurableClient) -> Api:
    return Api(durable)


async def upload(api: Api, title: str = "MSA", text: str = CONTRACT_TEXT, user: str = "alice") -> str:
    reply = await api.call("POST", "/api/contracts", json_body={"title": title, "text": text}, user=user)
    assert reply.status == 201, reply.body
    return str(reply.json["contract_id"])


async def upload_sample(api: Api, filename: str, user: str = "alice") -> Reply:
    content = base64.b64encode((SAMPLE_DATA / filename).read_bytes()).decode()
    body = {"title": filename, "filename": filename, "content_base64": content}
    return await api.call("POST", "/api/contracts", json_body=body, user=user)
