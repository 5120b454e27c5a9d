"""DevHost: composes config, app import, indexing, the HTTP server, queue/timer listeners and Durable."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import Callable, Iterator, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from devhost.app_loader import load_app
from devhost.config import (
    apply_host_overrides,
    apply_settings,
    apply_worker_environment,
    load_host_json,
    load_local_settings,
    route_prefix,
    worker_threads,
)
from devhost.functions import FunctionInfo
from devhost.http_body import request_body_limit
from devhost.http_host import HttpHost
from devhost.http_kinds import check_http_kinds
from devhost.indexing import index_app
from devhost.invoke import Invoker
from devhost.keys import (
    FUNCTION_KEY_SETTING,
    MASTER_KEY_SETTING,
    SYSTEM_KEY_SETTING,
    HostKeys,
    keys_file,
    load_host_keys,
)
from devhost.listeners import TriggerListeners
from devhost.routing import ALL_METHODS

DURABLE_TRIGGERS = frozenset({"orchestrationTrigger", "activityTrigger", "entityTrigger"})
TRUST_PRINCIPAL_SETTING = "DEVHOST_TRUST_PRINCIPAL_HEADERS"


class DurableUnavailableError(Exception):
    def __init__(self, functions: list[str]) -> None:
        super().__init__(f"functions {functions} need the Durable engine, but devhost.durable cannot be imported")


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the CLI (or the test) owns shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def needs_durable(functions: list[FunctionInfo]) -> bool:
    return any(f.trigger_type in DURABLE_TRIGGERS or f.bindings_of_type("durableClient") for f in functions)


class DevHost:
    """Hosts one app. `async with DevHost(app_dir, state_dir, port=0) as host: host.base_url`."""

    def __init__(
        self,
        app_dir: str | Path,
        state_dir: str | Path | None = None,
        *,
        port: int = 7071,
        bind: str = "127.0.0.1",
        environ: MutableMapping[str, str] | None = None,
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.app_dir = Path(app_dir).resolve()
        self.state_dir = Path(state_dir).resolve() if state_dir is not None else self.app_dir / ".devhost"
        self.port = port
        self.bind = bind
        self.environ = os.environ if environ is None else environ
        self.echo = echo or (lambda line: print(line, flush=True))
        self.functions: list[FunctionInfo] = []
        self.host_json: dict[str, Any] = {}
        self.keys: HostKeys | None = None
        self.http: HttpHost | None = None
        self.engine: Any = None
        self._env_before: dict[str, str | None] = {}
        self._listeners = TriggerListeners()
        self._server: _Server | None = None
        self._server_task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._added_sys_path = False

    @property
    def base_url(self) -> str:
        return f"http://{self.bind}:{self.port}"

    # --- lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        settings = load_local_settings(self.app_dir)
        self._remember_env(settings)
        apply_settings(settings, self.environ)
        # After the settings: an `AzureFunctionsJobHost__*` override may come from either source.
        self.host_json = apply_host_overrides(load_host_json(self.app_dir), self.environ)
        # Generated keys are reused from the state dir: URLs handed out before a restart keep working.
        self.keys = load_host_keys(self.state_dir, self.environ)

        # Bind before importing the app so `--port 0` yields a port the Durable URLs can name.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.bind, self.port))
        sock.listen(128)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        worker_env = ["FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION", "AzureWebJobsScriptRoot"]
        self._remember_env({n: "" for n in [*worker_env, "WEBSITE_HOSTNAME", "PYTHON_ENABLE_INIT_INDEXING"]})
        apply_worker_environment(self.environ, self.app_dir, self.base_url)

        self._added_sys_path = str(self.app_dir) not in sys.path
        app = load_app(self.app_dir)
        self.functions = index_app(app)
        check_http_kinds(self.functions)

        # One pool for every sync function, as the Python worker has: an activity that waits on the network holds
        # a thread an HTTP function or an orchestrator episode cannot have meanwhile.
        self._executor = ThreadPoolExecutor(max_workers=worker_threads(self.environ), thread_name_prefix="devhost-fn")
        if needs_durable(self.functions):
            self.engine = self._make_engine()
            await self.engine.start()

        invoker = Invoker(
            self.app_dir,
            self._executor,
            durable_client=self.engine.client_binding if self.engine is not None else None,
        )
        self.http = HttpHost(
            self.functions,
            route_prefix=route_prefix(self.host_json),
            keys=self.keys,
            invoker=invoker,
            base_url=self.base_url,
            webhook_app=self.engine.webhook_app if self.engine is not None else None,
            trust_principal_headers=self.environ.get(TRUST_PRINCIPAL_SETTING, "").lower() in ("1", "true"),
            max_body_bytes=request_body_limit(self.environ),
        )
        # Open SSE streams would otherwise hold shutdown forever; Azure also cuts them when the host stops.
        config = uvicorn.Config(
            self.http, log_level="warning", lifespan="off", access_log=False, timeout_graceful_shutdown=5
        )
        self._server = _Server(config)
        self._server_task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._server_task.done():
                self._server_task.result()
                raise RuntimeError("HTTP server exited during startup")
            await asyncio.sleep(0.01)

        self._listeners.start(self.functions, invoker, self.host_json, self.environ, self.state_dir)
        for line in self.banner():
            self.echo(line)

    def _make_engine(self) -> Any:
        try:
            from devhost.durable import DurableEngine
        except ImportError as exc:
            names = [f.name for f in self.functions if f.trigger_type in DURABLE_TRIGGERS]
            raise DurableUnavailableError(names) from exc
        assert self.keys is not None
        return DurableEngine(
            functions=self.functions,
            state_dir=self.state_dir,
            host_config=self.host_json,
            public_base_url=self.base_url,
            system_key=self.keys.system_key,
            worker_pool=self._executor,
        )

    async def stop(self) -> None:
        await self._listeners.stop()
        if self._server is not None and self._server_task is not None:
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await self._server_task
            self._server = None
            self._server_task = None
        if self.engine is not None:
            await self.engine.stop()
            self.engine = None
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
        if self._added_sys_path and str(self.app_dir) in sys.path:
            sys.path.remove(str(self.app_dir))
            self._added_sys_path = False
        self._restore_env()

    async def __aenter__(self) -> DevHost:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # --- environment ---------------------------------------------------------------------------------

    def _remember_env(self, names: dict[str, str]) -> None:
        for name in names:
            self._env_before.setdefault(name, self.environ.get(name))

    def _restore_env(self) -> None:
        """Undo what start() put in the environment (tests host several apps in one process)."""
        for name, value in self._env_before.items():
            if value is None:
                self.environ.pop(name, None)
            else:
                self.environ[name] = value
        self._env_before.clear()

    # --- reporting -----------------------------------------------------------------------------------

    def banner(self) -> list[str]:
        lines = [f"devhost: app {self.app_dir}", "Functions:"]
        http_by_name = {f.info.name: f for f in (self.http.functions if self.http else [])}
        for info in self.functions:
            if info.name in http_by_name:
                fn = http_by_name[info.name]
                methods = "ALL" if fn.methods >= set(ALL_METHODS) else ",".join(sorted(fn.methods))
                lines.append(f"    {info.name}: [{methods}] {self.base_url}{fn.display_route} (auth: {fn.auth_level})")
            elif info.trigger_type == "queueTrigger":
                lines.append(f"    {info.name}: queueTrigger on '{info.trigger.get('queueName')}'")
            elif info.trigger_type == "timerTrigger":
                lines.append(f"    {info.name}: timerTrigger '{info.trigger.get('schedule')}'")
            else:
                lines.append(f"    {info.name}: {info.trigger_type}")
        if self.keys is not None:
            labels = {
                FUNCTION_KEY_SETTING: ("Function key", self.keys.function_key),
                MASTER_KEY_SETTING: ("Master key", self.keys.master_key),
                SYSTEM_KEY_SETTING: ("System key (durabletask_extension)", self.keys.system_key),
            }
            printed = False
            for setting, (label, key) in labels.items():
                if setting in self.keys.generated and (setting != SYSTEM_KEY_SETTING or self.engine is not None):
                    lines.append(f"{label} (generated; set {setting} to fix it): {key}")
                    printed = True
            if printed:
                lines.append(f"Generated keys are kept in {keys_file(self.state_dir)} and reused at the next start")
        lines.append(f"devhost: listening on {self.base_url}")
        return lines
