"""Reading .docx and .pdf files in child processes, each under a time and a memory limit.

Why: python-docx, lxml and pypdf are fine libraries, but their cost depends on what a file asks of them, and a file
from a user is hostile until bounded. In this process a crafted file could hold the GIL for minutes or take the
worker's memory, and every other user's requests with it. In a child it can only use up its own limits:

- **Children**: `python -m shared.text.sandbox_child`, started with `subprocess` (no fork of a worker full of
  threads, nothing of multiprocessing's re-import of `__main__`, which under the Functions host is its worker
  script). They get the parent's `sys.path` and no secrets: a minimal environment. Each imports the readers
  once, then limits itself: address space to what it uses after those imports plus EXTRACTION_MEMORY_MB
  (RLIMIT_AS, set again before each document: its growth while reading one is what is limited), CPU seconds per
  document (RLIMIT_CPU, a backstop should this process die mid-document), no
  core files, no file writes.
- **Warm and reused**: at most EXTRACTION_WORKERS children per worker process read at once; an idle child waits on
  its stdin for the next document, so a document costs a round trip through two pipes, not a process start.
  A child is retired (and a new one started at once, in the background) when it ran out of memory, grew past
  half its allowance while reading or kept a quarter of it after, or read 200 documents.
- **Time**: this process waits for the answer at most EXTRACTION_TIMEOUT_SECONDS (it waits in `select`, holding
  no GIL), then kills the child (SIGKILL) and starts another: the document is refused, the next one is read.
- **Answers** are JSON and raw text in length-prefixed frames, never pickles: nothing a child says can run code
  here. A child that dies mid-document is the document's doing (out of CPU time, memory, or a crash in a
  parser); one that was already dead when handed a document is replaced and the document read by another.

Plain text and markdown never come here: decoding them is linear in their size (shared/text/extraction.py).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from shared.text.errors import ExtractionError, OverReadingLimit, ReaderUnavailable
from shared.text.limits import ReadingLimits

log = logging.getLogger(__name__)

CHILD_MODULE = "shared.text.sandbox_child"
FRAME = struct.Struct("!I")  # every frame: its length, then its bytes
MAX_HEADER_BYTES = 64 << 10
STARTUP_SECONDS = 60.0  # importing the readers in a cold container; not charged to any document
RETIRE_AFTER_DOCUMENTS = 200
_APP_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the `shared` package


class ChildGone(Exception):
    """The child closed its pipes (it died); `sent` says whether it had the whole document by then."""

    def __init__(self, sent: bool) -> None:
        super().__init__("the reader process ended")
        self.sent = sent


class TimedOut(Exception):
    pass


def frame(payload: bytes) -> bytes:
    return FRAME.pack(len(payload)) + payload


def _child_environment() -> dict[str, str]:
    """What the child needs to import the app's readers, and nothing else (no keys or connection strings)."""
    paths = [str(_APP_ROOT)]
    for entry in sys.path:
        path = os.path.abspath(entry or os.getcwd())
        if path not in paths and os.path.exists(path):
            paths.append(path)
    env = {
        "PYTHONPATH": os.pathsep.join(paths),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
    }
    return env


class Child:
    """One reader process and the two pipes to it. Used by one thread at a time (the pool sees to that)."""

    def __init__(self, memory_mb: int) -> None:
        self.memory_mb = memory_mb
        self.documents = 0
        self.baseline_mb: int | None = None
        self.started = time.monotonic()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-B", "-m", CHILD_MODULE, str(memory_mb)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=_child_environment(),
                cwd=str(_APP_ROOT),
                close_fds=True,
                start_new_session=True,  # our kill reaches it alone; a Ctrl-C of the host does not
            )
        except OSError as exc:
            raise ReaderUnavailable(f"cannot start a document reader process: {exc}") from exc
        assert self.process.stdin is not None and self.process.stdout is not None
        self._in = self.process.stdin.fileno()
        self._out = self.process.stdout.fileno()
        os.set_blocking(self._in, False)
        os.set_blocking(self._out, False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    # -- the protocol --------------------------------------------------------------------------------------
    def wait_ready(self) -> None:
        if self.baseline_mb is not None:
            return
        deadline = self.started + STARTUP_SECONDS
        try:
            hello = json.loads(self._read_frame(deadline, MAX_HEADER_BYTES, sent=False))
        except (ChildGone, TimedOut, ValueError) as exc:
            self.kill()
            raise ReaderUnavailable(f"the document reader process did not start ({type(exc).__name__})") from exc
        if not hello.get("ready"):
            self.kill()
            raise ReaderUnavailable(f"the document reader process did not start: {hello.get('error', '?')}")
        self.baseline_mb = int(hello["baseline_mb"])

    def call(self, filename: str, content: bytes, limits: ReadingLimits, deadline: float) -> tuple[dict[str, Any], str]:
        """(the child's answer, the text when it is one). Raises TimedOut or ChildGone."""
        header = json.dumps({"filename": filename, "limits": limits.as_json()}).encode()
        self._write(frame(header) + frame(content), deadline)
        self.documents += 1
        answer = json.loads(self._read_frame(deadline, MAX_HEADER_BYTES, sent=True))
        text = ""
        if answer.get("status") == "ok":
            # UTF-8 takes at most 4 bytes a character: a longer frame is not an answer within the limit.
            raw = self._read_frame(deadline, 4 * limits.max_chars + 16, sent=True)
            text = raw.decode("utf-8", "surrogatepass")
        return answer, text

    def _write(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimedOut
            _, writable, _ = select.select([], [self._in], [], remaining)
            if not writable:
                continue
            try:
                written = os.write(self._in, view)
            except BlockingIOError:
                continue
            except (BrokenPipeError, ConnectionResetError, OSError) as exc:
                raise ChildGone(sent=False) from exc
            view = view[written:]

    def _read_exact(self, size: int, deadline: float, sent: bool) -> bytes:
        chunks: list[bytes] = []
        left = size
        while left:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimedOut
            readable, _, _ = select.select([self._out], [], [], remaining)
            if not readable:
                continue
            try:
                chunk = os.read(self._out, min(left, 1 << 20))
            except BlockingIOError:
                continue
            if not chunk:
                raise ChildGone(sent=sent)
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _read_frame(self, deadline: float, max_bytes: int, sent: bool) -> bytes:
        (size,) = FRAME.unpack(self._read_exact(FRAME.size, deadline, sent))
        if size > max_bytes:
            raise ChildGone(sent=sent)  # not our protocol: treat the child as broken
        return self._read_exact(size, deadline, sent)

    def kill(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # it ended between poll and kill
                self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL is not ignorable
            log.warning("document reader %s did not end after SIGKILL", self.pid)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()

    def death(self) -> int | None:
        """The child's exit status once it has ended (negative: the signal that ended it)."""
        try:
            return self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return None


class ReadingPool:
    """At most `workers` reader children at work; idle ones kept warm for the next document."""

    def __init__(self, memory_mb: int, workers: int, queue_seconds: float | None = None) -> None:
        self.memory_mb = memory_mb
        self.workers = workers
        self.queue_seconds = queue_seconds  # how long a document waits for a free child; None: 4 x its timeout
        self._slots = threading.BoundedSemaphore(workers)
        self._lock = threading.Lock()
        self._idle: list[Child] = []
        self._pid = os.getpid()

    # -- children --------------------------------------------------------------------------------------------
    def _take(self) -> Child:
        with self._lock:
            while self._idle:
                child = self._idle.pop()
                if child.alive():
                    return child
                child.kill()
        return Child(self.memory_mb)

    def _give_back(self, child: Child) -> None:
        with self._lock:
            self._idle.append(child)

    def _replace(self, child: Child) -> None:
        """Kill `child` and start its successor now, so the next document finds it warm."""
        child.kill()
        try:
            successor = Child(self.memory_mb)
        except ReaderUnavailable:
            log.warning("could not start a document reader to replace %s", child.pid, exc_info=True)
            return
        self._give_back(successor)

    def warm(self) -> None:
        """Start one child ahead of the first document (its imports take a few hundred milliseconds)."""
        with self._lock:
            if self._idle:
                return
        self._give_back(Child(self.memory_mb))

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for child in idle:
            child.kill()

    # -- reading ---------------------------------------------------------------------------------------------
    def read(self, filename: str, content: bytes, limits: ReadingLimits) -> str:
        # Waiting for a free child is bounded too: a burst of documents answers "busy" rather than piling up.
        waited = self.queue_seconds if self.queue_seconds is not None else max(30.0, 4 * limits.timeout_seconds)
        if not self._slots.acquire(timeout=waited):
            raise ReaderUnavailable(f"all {self.workers} document readers are busy; try again in a moment")
        try:
            for attempt in (1, 2):
                child = self._take()
                child.wait_ready()
                try:
                    return self._read_with(child, filename, content, limits)
                except ChildGone as gone:
                    if gone.sent or attempt == 2:
                        raise self._died(child, filename, limits) from None
                    child.kill()  # it died before it had the document (idle too long, killed from outside)
            raise AssertionError("unreachable")  # pragma: no cover
        finally:
            self._slots.release()

    def _read_with(self, child: Child, filename: str, content: bytes, limits: ReadingLimits) -> str:
        deadline = time.monotonic() + limits.timeout_seconds
        try:
            answer, text = child.call(filename, content, limits, deadline)
        except TimedOut:
            self._replace(child)
            raise OverReadingLimit(
                f"{filename!r}: took longer than {limits.timeout_seconds:g} s to read", "EXTRACTION_TIMEOUT_SECONDS"
            ) from None
        except ValueError:  # a header that is not JSON: the child is not speaking our protocol any more
            self._replace(child)
            raise ExtractionError(f"{filename!r}: could not be read (the reader failed on it)") from None
        status = answer.get("status")
        retire = (
            status == "memory"
            or child.documents >= RETIRE_AFTER_DOCUMENTS
            or int(answer.get("vm_peak_mb", 0)) > self.memory_mb // 2
            or int(answer.get("vm_mb", 0)) > self.memory_mb // 4  # its heap kept what the document took
        )
        if retire:
            self._replace(child)
        else:
            self._give_back(child)
        message = str(answer.get("message") or "")
        if status == "ok":
            return text
        if status == "memory":
            raise self._memory_refusal(filename)
        if status == "too_large":
            raise OverReadingLimit(message, answer.get("setting"))
        if status == "invalid":
            raise ExtractionError(message)
        raise ExtractionError(f"{filename!r}: could not be read (the reader answered {status!r})")

    def _memory_refusal(self, filename: str) -> OverReadingLimit:
        return OverReadingLimit(f"{filename!r}: needed more than {self.memory_mb} MB to read", "EXTRACTION_MEMORY_MB")

    def _died(self, child: Child, filename: str, limits: ReadingLimits) -> ExtractionError:
        """Why a child ended while reading: out of CPU time (SIGXCPU), killed for memory by the kernel (SIGKILL,
        which is not ours: ours come after a timeout), or a crash in a parser."""
        status = child.death()
        child.kill()
        self._replace(child)
        if status == -signal.SIGXCPU:
            return OverReadingLimit(
                f"{filename!r}: took longer than {limits.timeout_seconds:g} s to read", "EXTRACTION_TIMEOUT_SECONDS"
            )
        if status == -signal.SIGKILL:
            return self._memory_refusal(filename)
        log.warning("document reader %s ended with status %s while reading a document", child.pid, status)
        return ExtractionError(f"{filename!r}: could not be read (the reader crashed on it)")


_pools: dict[tuple[int, int], ReadingPool] = {}
_pools_lock = threading.Lock()


def pool_for(limits: ReadingLimits) -> ReadingPool:
    """This process's pool for these limits (one in practice: the settings are read once)."""
    key = (limits.memory_mb, limits.workers)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None or pool._pid != os.getpid():  # a forked copy must not share its parent's pipes
            pool = _pools[key] = ReadingPool(*key)
        return pool


def read_in_child(filename: str, content: bytes, limits: ReadingLimits) -> str:
    """The text of a .docx or .pdf file, read by `shared.text.extraction.read_document` in a child process.

    Raises ExtractionError (unreadable), OverReadingLimit (a limit, the time or the memory included) or
    ReaderUnavailable (no child could be started, or all were busy for too long)."""
    return pool_for(limits).read(filename, content, limits)


@atexit.register
def _close_pools() -> None:
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.close()
