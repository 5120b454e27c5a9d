"""`python -m devhost` as a process: startup output, serving, graceful SIGTERM, startup errors."""

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from devhost.process import DevHostProcess, DevHostStartError
from tests.devhost.helpers import APPS

pytestmark = pytest.mark.slow


def test_serves_and_shuts_down_gracefully_on_sigterm(tmp_path: Path) -> None:
    with DevHostProcess(APPS / "classic", tmp_path / "state") as proc:
        assert proc.base_url.startswith("http://127.0.0.1:") and not proc.base_url.endswith(":0")
        response = httpx.get(f"{proc.base_url}/api/hello/cli", timeout=10)
        assert response.text == "Hello cli"
        assert f"hello: [GET] {proc.base_url}/api/hello/{{name}}" in proc.output
        code = proc.stop()
    assert code == 0
    assert "Executed 'hello' (invocation=" in proc.output
    assert "shutting down" in proc.output


def test_startup_error_is_reported_with_exit_code_1(tmp_path: Path) -> None:
    with pytest.raises(DevHostStartError) as info:
        DevHostProcess(APPS / "mixed", tmp_path / "state").start()
    assert "exited with code 1" in str(info.value)
    assert "devhost: error:" in info.value.output and "legacy" in info.value.output


def test_help_lists_the_flags() -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    result = subprocess.run(
        [sys.executable, "-m", "devhost", "--help"], capture_output=True, text=True, env=env, check=True
    )
    for flag in ("--port", "--app-dir", "--state-dir"):
        assert flag in result.stdout
