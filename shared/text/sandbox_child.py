"""The document reader process (`python -m shared.text.sandbox_child <memory MB>`), started by
shared/text/sandbox.py: imports the readers, limits itself, then reads one document per request until its stdin
closes.

Frames are a 4-byte big-endian length and that many bytes. In: a JSON header `{"filename", "limits"}`, then the
file's bytes. Out: once `{"ready": true, "baseline_mb"}` (or `{"ready": false, "error"}`), then per document a JSON
answer `{"status": "ok" | "too_large" | "invalid" | "memory", "message", "setting", "vm_peak_mb", "vm_mb"}` (the most
memory this child ever used above what it started with, and what it uses now) and, when "ok", the
text as UTF-8.
"""

from __future__ import annotations

import json
import logging
import math
import os
import resource
import struct
import sys
import traceback
import warnings
from typing import Any

FRAME = struct.Struct("!I")
MAX_REQUEST_HEADER = 64 << 10
MAX_REQUEST_CONTENT = 64 << 20  # the API refuses far smaller uploads; this only bounds a broken parent


def _vm_bytes() -> int:
    """This process's address space (what RLIMIT_AS limits)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # not Linux: the limit is then only as good as the platform's
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _vm_peak_bytes() -> int:
    """The largest address space this process ever had (VmPeak): whether a failure came from the memory limit."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return _vm_bytes()


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks: list[bytes] = []
    left = size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_frame(fd: int, max_bytes: int) -> bytes | None:
    head = _read_exact(fd, FRAME.size)
    if head is None:
        return None
    (size,) = FRAME.unpack(head)
    if size > max_bytes:
        raise SystemExit(2)  # not our parent speaking: stop
    return _read_exact(fd, size) if size else b""


def _write_frame(fd: int, payload: bytes) -> None:
    data = memoryview(FRAME.pack(len(payload)) + payload)
    while data:
        data = data[os.write(fd, data) :]


def _send(fd: int, answer: dict[str, Any]) -> None:
    _write_frame(fd, json.dumps(answer).encode())


def _limit_cpu(seconds: float) -> None:
    """CPU time is cumulative over the process's life: the limit of this document is what was used so far plus
    its own allowance (the parent's wall-clock timeout normally comes first; this outlives the parent)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(used + seconds) + 1
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def main() -> int:
    # The protocol owns the real stdout; anything a library prints goes to stderr (which the parent discards).
    out = os.dup(1)
    os.dup2(2, 1)
    inp = 0
    try:
        memory_mb = int(sys.argv[1])
        # A hostile PDF can make pypdf warn millions of times: nobody reads them, and writing them costs time.
        logging.disable(logging.CRITICAL)
        warnings.simplefilter("ignore")
        # Import everything a document needs now: imports after the memory limit would count against it.
        import docx  # noqa: F401
        import pypdf  # noqa: F401

        import shared.text.docx_reader
        import shared.text.pdf_reader  # noqa: F401
        from shared.text.errors import ExtractionError, OverReadingLimit
        from shared.text.extraction import read_document
        from shared.text.limits import ReadingLimits

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
        allowance = memory_mb << 20
        baseline = _vm_bytes()
        # The hard limit never moves: twice the allowance over the baseline. Each document gets the allowance over
        # what the child uses when it starts reading (the soft limit, which a process may raise up to the hard one):
        # what a document may grow the child by is exactly EXTRACTION_MEMORY_MB, whatever came before it.
        hard = baseline + 2 * allowance
        slack = max(4 << 20, allowance // 20)
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    except BaseException as exc:  # tell the parent why, then stop
        _send(out, {"ready": False, "error": "".join(traceback.format_exception_only(exc)).strip()})
        return 1
    _send(out, {"ready": True, "baseline_mb": baseline >> 20, "pid": os.getpid()})

    while True:
        header = _read_frame(inp, MAX_REQUEST_HEADER)
        if header is None:
            return 0  # the parent closed our stdin (it is done, or gone)
        content = _read_frame(inp, MAX_REQUEST_CONTENT)
        if content is None:
            return 0
        request = json.loads(header)
        filename = str(request["filename"])
        limits = ReadingLimits(**request["limits"])
        _limit_cpu(limits.timeout_seconds)
        ceiling = min(hard, _vm_bytes() + allowance)
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))
        answer: dict[str, Any]
        text = None
        try:
            text = read_document(filename, content, limits)
            answer = {"status": "ok"}
        except MemoryError:
            answer = {"status": "memory"}
        except OverReadingLimit as exc:
            answer = {"status": "too_large", "message": str(exc), "setting": exc.setting}
        except ExtractionError as exc:
            answer = {"status": "invalid", "message": str(exc)}
        except RecursionError:
            answer = {"status": "invalid", "message": f"{filename!r}: could not be read (nested too deeply)"}
        except Exception as exc:  # the file is hostile: whatever a parser raises on it is the file's doing
            answer = {
                "status": "invalid",
                "message": f"{filename!r}: could not be read ({type(exc).__name__}: {str(exc)[:200]})",
            }
        del content
        peak = _vm_peak_bytes()
        # A parser that hits the limit does not always say so (lxml: "unknown error"): a failure at the ceiling is
        # the memory limit's. The parent retires a child whose peak passed half its allowance, so the peak of a
        # child still in use is this document's.
        if answer["status"] != "ok" and peak >= ceiling - slack:
            answer = {"status": "memory"}
        answer["vm_peak_mb"] = (peak - baseline) >> 20
        answer["vm_mb"] = (_vm_bytes() - baseline) >> 20
        _send(out, answer)
        if text is not None:
            _write_frame(out, text.encode("utf-8", "surrogatepass"))
        if answer["status"] == "memory":
            return 3  # an allocation failed somewhere: start afresh rather than trust this heap


if __name__ == "__main__":
    sys.exit(main())
