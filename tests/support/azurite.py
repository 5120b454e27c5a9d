"""pytest fixture: Azurite's queue and blob services, each on a free loopback port, in memory, for the test session.

Use `azurite_connection_string` in a test (or `start_azurite()` directly): one connection string with both a
QueueEndpoint and a BlobEndpoint, so queue triggers, job events and document blobs all work from it. When
node_modules lacks Azurite (`npm install` in the repo root provides it) the tests that need it are skipped with the
reason, or fail under CI=true (tests/support/prerequisites.py). `AZURITE_QUEUE_BIN` and `AZURITE_BLOB_BIN` name
other azurite-queue and azurite-blob executables.
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
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.ports import free_port
from tests.support.prerequisites import require

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_AZURITE_QUEUE_BIN = REPO_ROOT / "node_modules" / ".bin" / "azurite-queue"
DEFAULT_AZURITE_BLOB_BIN = REPO_ROOT / "node_modules" / ".bin" / "azurite-blob"
AZURITE_QUEUE_BIN_SETTING = "AZURITE_QUEUE_BIN"
AZURITE_BLOB_BIN_SETTING = "AZURITE_BLOB_BIN"
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
STARTUP_TIMEOUT_S = 30.0


class AzuriteStartError(RuntimeError):
    pass


@dataclass(frozen=True)
class _Service:
    name: str  # "queue" | "blob": the executable is azurite-<name>, its options --<name>Host / --<name>Port
    executable: Path


def connection_string(queue_port: int, blob_port: int) -> str:
    # Every endpoint explicit: without BlobEndpoint the blob SDK would go to devstoreaccount1.blob.core.windows.net.
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
        f"QueueEndpoint=http://127.0.0.1:{queue_port}/{ACCOUNT};BlobEndpoint=http://127.0.0.1:{blob_port}/{ACCOUNT};"
    )


def azurite_queue_bin() -> Path:
    """The azurite-queue executable: node_modules' own, unless AZURITE_QUEUE_BIN names another."""
    return Path(os.environ.get(AZURITE_QUEUE_BIN_SETTING) or DEFAULT_AZURITE_QUEUE_BIN)


def azurite_blob_bin() -> Path:
    """The azurite-blob executable: node_modules' own, unless AZURITE_BLOB_BIN names another."""
    return Path(os.environ.get(AZURITE_BLOB_BIN_SETTING) or DEFAULT_AZURITE_BLOB_BIN)


def _launch(service: _Service, port: int, workspace: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            str(service.executable),
            f"--{service.name}Host",
            "127.0.0.1",
            f"--{service.name}Port",
            str(port),
            "--skipApiVersionCheck",
            "--inMemoryPersistence",
            "--disableTelemetry",
            "--silent",
        ],
        # In-memory persistence forbids --location; the cwd still receives Azurite's small config files.
        cwd=workspace,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_listening(name: str, process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        if process.poll() is not None:
            err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise AzuriteStartError(f"azurite-{name} exited with {process.returncode}: {err[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        if time.monotonic() > deadline:
            raise AzuriteStartError(f"azurite-{name} did not listen on port {port} within {STARTUP_TIMEOUT_S}s")
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def start_azurite() -> Iterator[str]:
    """Start azurite-queue and azurite-blob and yield their connection string; stops them (and their workspace)
    afterwards."""
    services = [_Service("queue", azurite_queue_bin()), _Service("blob", azurite_blob_bin())]
    for service in services:
        require(
            service.executable.exists(), f"Azurite is not installed ({service.executable} missing); run `npm install`"
        )
    require(shutil.which("node"), "Azurite needs node, which is not on PATH")
    workspace = Path(tempfile.mkdtemp(prefix="azurite-"))
    running: list[subprocess.Popen[bytes]] = []
    try:
        ports: dict[str, int] = {}
        for service in services:
            port = free_port()
            while port in ports.values():  # the OS may hand out a port again before the first service binds it
                port = free_port()
            ports[service.name] = port
            # One workspace each: both services write their config files into their working directory.
            (workspace / service.name).mkdir()
            running.append(_launch(service, port, workspace / service.name))
        for service, process in zip(services, running, strict=True):
            _wait_listening(service.name, process, ports[service.name])
        yield connection_string(ports["queue"], ports["blob"])
    finally:
        for process in running:
            _stop(process)
        shutil.rmtree(workspace, ignore_errors=True)


@pytest.fixture(scope="session")
def azurite_connection_string() -> Iterator[str]:
    with start_azurite() as conn:
        yield conn
