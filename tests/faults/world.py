"""Everything a fault scenario runs: the test servers, a fault proxy in front of each, and the real app under
devhost talking to the servers only through the proxies.

    Cosmos-compatible server (HTTPS)  <- cosmos proxy (TLS terminated, HTTP-level faults) <- app
    Azurite blob / queue (HTTP)       <- blob proxy / queue proxy                        <- app, devhost's queue poller
    OpenAI test server (HTTP)         <- model proxy (chat completions and the Batch API) <- app

Azurite keeps its data on disk here (not in memory), so it can be stopped and started again with messages and
blobs in flight, on the same ports. The app's store is Cosmos through its proxy, or the embedded SQLite file.

Sizes: a small default that keeps tests/faults within its CI budget, and the issue's full sizes with FAULTS_FULL=1.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from azure.cosmos import CosmosClient

from devhost.process import DevHostProcess
from shared.storage.setup import ensure_cosmos
from tests.e2e.app import RunningApp, make_app
from tests.faults.ledger import NonceResponder
from tests.support.azurite import (
    _stop,
    _wait_listening,
    azurite_blob_bin,
    azurite_queue_bin,
    connection_string,
)
from tests.support.cosmos_server import start_cosmos_server
from tests.support.fault_proxy import FaultProxy, Request
from tests.support.openai_server import OpenAITestServer
from tests.support.ports import free_port
from tests.support.prerequisites import require

FULL_SETTING = "FAULTS_FULL"
INJECT = Path(__file__).with_name("inject")  # on the app's PYTHONPATH: faults inside its own process
MODEL_PRIMARY = "fault-model-primary"
MODEL_SECONDARY = "fault-model-secondary"
SMALL_CONTEXT_TOKENS = 7_000  # the secondary model: a query over a few contracts is split into parts, then combined


@dataclass(frozen=True)
class Sizes:
    name: str
    contracts: int  # compared in the comparison job (and asked about in the query job)
    documents: int  # batch documents; records = documents x prompts
    prompts: int
    short_outage_s: float  # Cosmos unreachable
    long_outage_s: float  # the model's 5xx storm
    kills: int

    @property
    def records(self) -> int:
        return self.documents * self.prompts


DEFAULT = Sizes("default", contracts=4, documents=8, prompts=5, short_outage_s=10, long_outage_s=20, kills=10)
FULL = Sizes("full", contracts=10, documents=40, prompts=5, short_outage_s=30, long_outage_s=60, kills=10)


def sizes() -> Sizes:
    return FULL if os.environ.get(FULL_SETTING, "").strip() in ("1", "true", "yes") else DEFAULT


def is_chat(request: Request) -> bool:
    return request.method == "POST" and request.path.split("?")[0].endswith("/chat/completions")


class Azurite:
    """azurite-queue and azurite-blob with their data on disk, on fixed ports: stop() and start() again keep
    queues, messages and blobs, as a restarted storage service does."""

    def __init__(self, folder: Path) -> None:
        for binary in (azurite_queue_bin(), azurite_blob_bin()):
            require(binary.exists(), f"Azurite is not installed ({binary} missing); run `npm install`")
        require(shutil.which("node"), "Azurite needs node, which is not on PATH")
        self.folder = folder
        self.ports = {"queue": free_port(), "blob": free_port()}
        while self.ports["blob"] == self.ports["queue"]:
            self.ports["blob"] = free_port()
        self._running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self) -> Azurite:
        for name, binary in (("queue", azurite_queue_bin()), ("blob", azurite_blob_bin())):
            location = self.folder / name
            location.mkdir(parents=True, exist_ok=True)
            self._running[name] = subprocess.Popen(
                [
                    str(binary),
                    f"--{name}Host",
                    "127.0.0.1",
                    f"--{name}Port",
                    str(self.ports[name]),
                    "--location",
                    str(location),
                    "--skipApiVersionCheck",
                    "--disableTelemetry",
                    "--silent",
                ],
                cwd=location,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        for name, process in self._running.items():
            _wait_listening(name, process, self.ports[name])
        return self

    def stop(self) -> None:
        for process in self._running.values():
            _stop(process)
        self._running.clear()

    def kill(self) -> None:
        """SIGKILL both services: what was not yet on disk is lost, as in a crash."""
        for process in self._running.values():
            process.kill()
            process.wait()
        self._running.clear()

    @property
    def direct_connection(self) -> str:
        return connection_string(self.ports["queue"], self.ports["blob"])


@dataclass
class World:
    root: Path
    store: str  # "cosmos" | "sqlite"
    app: RunningApp
    model: OpenAITestServer
    model_proxy: FaultProxy
    blob_proxy: FaultProxy
    queue_proxy: FaultProxy
    azurite: Azurite
    cosmos_proxy: FaultProxy | None = None
    app_port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.app_port}"

    @property
    def proxies(self) -> list[FaultProxy]:
        return [p for p in (self.cosmos_proxy, self.blob_proxy, self.queue_proxy, self.model_proxy) if p is not None]

    @property
    def sqlite_file(self) -> Path:
        return self.app.data_dir / "contractjobs.sqlite3"

    def start_app(self) -> None:
        """devhost on the world's fixed port: a restart after a kill serves the same URLs, as a host would."""
        self.app.process = DevHostProcess(self.app.app_dir, self.app.state_dir, port=self.app_port, env=self.app.env)
        self.app.process.start()

    def kill_app(self) -> None:
        self.app.kill()

    def output(self) -> str:
        return self.app.output()


@contextlib.contextmanager
def world(root: Path, *, store: str = "cosmos", **settings: str) -> Iterator[World]:
    """Servers, proxies and the app (started), torn down in reverse order whatever happens."""
    with contextlib.ExitStack() as stack:
        model = OpenAITestServer().start()
        stack.callback(model.stop)
        model.set_default(NonceResponder())  # every answer carries a nonce: which ones the store holds is known
        model_proxy = stack.enter_context(FaultProxy(model.port, name="model", keep_bodies=is_chat))
        azurite = Azurite(Path(tempfile.mkdtemp(prefix="faults-azurite-", dir=root))).start()
        stack.callback(azurite.stop)
        # Seed 5: a tenth of the default run's blob requests (an upload, then staging's reads) draw a reset.
        blob_proxy = stack.enter_context(FaultProxy(azurite.ports["blob"], name="blob", seed=5))
        queue_proxy = stack.enter_context(FaultProxy(azurite.ports["queue"], name="queue"))
        env: dict[str, str] = {
            "LLM_PROVIDER": "openai",
            "OPENAI_BASE_URL": f"{model_proxy.url}/v1",
            "OPENAI_API_KEY": "test",
            "OPENAI_MODEL_PRIMARY": MODEL_PRIMARY,
            "OPENAI_MODEL_SECONDARY": MODEL_SECONDARY,
            "LLM_CONTEXT_TOKENS_SECONDARY": str(SMALL_CONTEXT_TOKENS),
            "LLM_TIMEOUT_SECONDS": "5",
            "BATCH_API_POLL_SECONDS": "1",
            "BATCH_RUN_CHUNK": "20",
        }
        cosmos_proxy: FaultProxy | None = None
        if store == "cosmos":
            endpoint, key = stack.enter_context(start_cosmos_server())
            upstream_port = int(endpoint.rsplit(":", 1)[1])
            cosmos_proxy = stack.enter_context(FaultProxy(upstream_port, name="cosmos", tls=True))
            # The account document names the server's own endpoint, which the SDK would route every request to:
            # it names the proxy instead (the gateway address a real account gives).
            cosmos_proxy.rewrite(
                f"127.0.0.1:{upstream_port}".encode(),
                f"127.0.0.1:{cosmos_proxy.port}".encode(),
                match=lambda r: r.method == "GET" and r.path.split("?")[0] == "/",
            )
            database = "faults"
            ensure_cosmos(CosmosClient(endpoint, credential=key, connection_verify=False), database)
            env |= {
                "COSMOS_ENDPOINT": cosmos_proxy.url,
                "COSMOS_KEY": key,
                "COSMOS_VERIFY_TLS": "false",
                "COSMOS_DATABASE": database,
            }
        env |= settings
        storage = connection_string(queue_proxy.port, blob_proxy.port)
        app = make_app(root / "app", storage, **env)
        built = World(root, store, app, model, model_proxy, blob_proxy, queue_proxy, azurite, cosmos_proxy)
        built.app_port = free_port()
        built.start_app()
        stack.callback(app.stop)
        yield built
