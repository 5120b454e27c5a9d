"""pytest fixture: a Cosmos-compatible server (npm `@vercel/cosmosdb-server`) on a free loopback port.

`cosmos_server` (session-scoped) yields (endpoint, key). The server speaks HTTPS with a self-signed certificate,
so clients pass `connection_verify=False` (COSMOS_VERIFY_TLS=false). Any key is accepted. It is started through
`cosmos_server_shim.js`, which fixes one server bug (a point read of a missing item gives 500, not 404).
Skipped, with the reason shown, when node_modules lacks the package - unless CI=true, where that is a failure
(tests/support/prerequisites.py). `COSMOS_SERVER_PACKAGE` names another copy of the package.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.ports import free_port
from tests.support.prerequisites import require, unavailable

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PACKAGE_DIR = REPO_ROOT / "node_modules" / "@vercel" / "cosmosdb-server"
PACKAGE_DIR_SETTING = "COSMOS_SERVER_PACKAGE"
SHIM = Path(__file__).with_name("cosmos_server_shim.js")
KEY = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="  # any key works
STARTUP_TIMEOUT_S = 30.0


class CosmosServerStartError(RuntimeError):
    pass


def package_dir() -> Path:
    """The @vercel/cosmosdb-server package: node_modules' own, unless COSMOS_SERVER_PACKAGE names another."""
    return Path(os.environ.get(PACKAGE_DIR_SETTING) or DEFAULT_PACKAGE_DIR)


@contextlib.contextmanager
def start_cosmos_server() -> Iterator[tuple[str, str]]:
    package = package_dir()
    require(
        (package / "lib" / "index.js").exists(),
        f"@vercel/cosmosdb-server is not installed ({package} missing); run `npm install`",
    )
    node = shutil.which("node")
    if node is None:
        unavailable("the Cosmos-compatible test server needs node, which is not on PATH")
    port = free_port()
    # stderr goes to a file, not a pipe: the server logs handler errors there, and a full pipe would hang it.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([node, str(SHIM), str(package), str(port)], stdout=subprocess.DEVNULL, stderr=log)
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    err = log.read().decode(errors="replace")
                    raise CosmosServerStartError(f"cosmosdb-server exited with {process.returncode}: {err[-2000:]}")
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
                if time.monotonic() > deadline:
                    raise CosmosServerStartError(f"cosmosdb-server did not listen on {port} in {STARTUP_TIMEOUT_S}s")
                time.sleep(0.05)
            yield f"https://127.0.0.1:{port}", KEY
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def cosmos_server() -> Iterator[tuple[str, str]]:
    with start_cosmos_server() as endpoint_and_key:
        yield endpoint_and_key
