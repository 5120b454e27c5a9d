"""pytest fixture: an Azurite queue service on a free loopback port, in memory, for the test session.

Use `azurite_connection_string` in a test (or `start_azurite()` directly). When node_modules lacks Azurite (`npm
install` in the repo root provides it) the tests that need it are skipped with the reason, or fail under CI=true
(tests/support/prerequisites.py). `AZURITE_QUEUE_BIN` names another azurite-queue executable.
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
from tests.support.prerequisites import require

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_AZURITE_QUEUE_BIN = REPO_ROOT / "node_modules" / ".bin" / "azurite-queue"
AZURITE_QUEUE_BIN_SETTING = "AZURITE_QUEUE_BIN"
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
STARTUP_TIMEOUT_S = 30.0


class AzuriteStartError(RuntimeError):
    pass


def connection_string(queue_port: int) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
        f"QueueEndpoint=http://127.0.0.1:{queue_port}/{ACCOUNT};"
    )


def azurite_queue_bin() -> Path:
    """The azurite-queue executable: node_modules' own, unless AZURITE_QUEUE_BIN names another."""
    return Path(os.environ.get(AZURITE_QUEUE_BIN_SETTING) or DEFAULT_AZURITE_QUEUE_BIN)


@contextlib.contextmanager
def start_azurite() -> Iterator[str]:
    """Start azurite-queue and yield its connection string; stops it (and its workspace) afterwards."""
    executable = azurite_queue_bin()
    require(executable.exists(), f"Azurite is not installed ({executable} missing); run `npm install`")
    require(shutil.which("node"), "Azurite needs node, which is not on PATH")
    port = free_port()
    workspace = tempfile.mkdtemp(prefix="azurite-")
    process = subprocess.Popen(
        [
            str(executable),
            "--queueHost",
            "127.0.0.1",
            "--queuePort",
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
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if process.poll() is not None:
                err = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise AzuriteStartError(f"azurite-queue exited with {process.returncode}: {err[-2000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            if time.monotonic() > deadline:
                raise AzuriteStartError(f"azurite-queue did not listen on port {port} within {STARTUP_TIMEOUT_S}s")
            time.sleep(0.1)
        yield connection_string(port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(workspace, ignore_errors=True)


@pytest.fixture(scope="session")
def azurite_connection_string() -> Iterator[str]:
    with start_azurite() as conn:
        yield conn
