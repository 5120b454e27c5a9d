"""Run devhost in a child process (for end-to-end tests and scripts): `with DevHostProcess(app_dir) as p:`."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

READY = re.compile(r"devhost: listening on (http://\S+)")


class DevHostStartError(RuntimeError):
    def __init__(self, reason: str, output: str) -> None:
        super().__init__(f"devhost did not start: {reason}\n--- output ---\n{output[-4000:]}")
        self.output = output


class DevHostProcess:
    """`python -m devhost --port 0 ...` as a child; `base_url` once ready; SIGTERM on exit."""

    def __init__(
        self,
        app_dir: str | Path,
        state_dir: str | Path | None = None,
        *,
        port: int = 0,
        env: dict[str, str] | None = None,
        startup_timeout: float = 60.0,
        devhost_root: str | Path | None = None,
    ) -> None:
        self.app_dir = Path(app_dir)
        # Where the child imports devhost from (default: this checkout); a benchmark runs another tree's devhost.
        self.devhost_root = Path(devhost_root) if devhost_root is not None else Path(__file__).resolve().parents[1]
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.port = port
        self.env = env
        self.startup_timeout = startup_timeout
        self.base_url = ""
        self.process: subprocess.Popen[str] | None = None
        self._lines: list[str] = []
        self._lines_lock = threading.Lock()
        self._queue: queue.Queue[str | None] = queue.Queue()

    @property
    def output(self) -> str:
        with self._lines_lock:
            return "".join(self._lines)

    def _pump(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            with self._lines_lock:
                self._lines.append(line)
            self._queue.put(line)
        self._queue.put(None)

    def start(self) -> DevHostProcess:
        args = [sys.executable, "-m", "devhost", "--port", str(self.port), "--app-dir", str(self.app_dir)]
        if self.state_dir is not None:
            args += ["--state-dir", str(self.state_dir)]
        env = dict(os.environ if self.env is None else self.env)
        # The child must import devhost itself, wherever it is started from.
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(self.devhost_root), env.get("PYTHONPATH", "")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        self.process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=str(self.app_dir)
        )
        threading.Thread(target=self._pump, daemon=True).start()
        deadline = time.monotonic() + self.startup_timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise DevHostStartError(f"no 'listening on' line within {self.startup_timeout}s", self.output)
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                self.process.wait()
                raise DevHostStartError(f"exited with code {self.process.returncode}", self.output)
            ready = READY.search(line)
            if ready:
                self.base_url = ready.group(1)
                return self

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM (graceful shutdown), then SIGKILL after `timeout`; returns the exit code."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return int(self.process.returncode)

    def __enter__(self) -> DevHostProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
