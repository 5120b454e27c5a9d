"""Reading .docx and .pdf files in child processes: the same text as in this process, a file that takes too long
or too much memory refused with the reason while the next one is read, children that die replaced, no secrets
handed to them."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest

from shared.text.errors import ExtractionError, OverReadingLimit, ReaderUnavailable
from shared.text.extraction import read_document
from shared.text.limits import ReadingLimits
from shared.text.sandbox import ReadingPool, _child_environment
from tests.support import hostile_files as hostile

from .conftest import SAMPLES

LIMITS = ReadingLimits(timeout_seconds=2.0, memory_mb=64, workers=1)
LEASE = (SAMPLES / "commercial_lease.docx").read_bytes()
NDA = (SAMPLES / "nda_mutual_standard.pdf").read_bytes()


@pytest.fixture
def pool() -> Iterator[ReadingPool]:
    readers = ReadingPool(LIMITS.memory_mb, LIMITS.workers)
    yield readers
    readers.close()


def pids(pool: ReadingPool) -> set[int]:
    return {child.pid for child in pool._idle}


def test_a_child_reads_what_this_process_reads_and_is_reused(pool: ReadingPool) -> None:
    assert pool.read("lease.docx", LEASE, LIMITS) == read_document("lease.docx", LEASE, LIMITS)
    first = pids(pool)
    assert pool.read("nda.pdf", NDA, LIMITS) == read_document("nda.pdf", NDA, LIMITS)
    assert pids(pool) == first and len(first) == 1  # the same warm child read both


def test_a_refusal_and_an_unreadable_file_come_back_as_they_would_here(pool: ReadingPool) -> None:
    with pytest.raises(OverReadingLimit, match=r"unzips to .* over the 64 MB limit") as info:
        pool.read("bomb.docx", hostile.zip_bomb_docx(80 << 20), LIMITS)
    assert info.value.setting == "MAX_DOCX_UNZIPPED_MB"
    with pytest.raises(ExtractionError, match=r"'x.pdf': not a readable PDF") as unreadable:
        pool.read("x.pdf", b"%PDF-1.7 nothing here", LIMITS)
    assert not isinstance(unreadable.value, OverReadingLimit)


def test_a_file_that_takes_too_long_is_refused_at_the_limit_and_the_next_one_is_read(pool: ReadingPool) -> None:
    pool.warm()
    started = time.monotonic()
    with pytest.raises(OverReadingLimit, match=r"'slow.pdf': took longer than 2 s to read") as info:
        pool.read("slow.pdf", hostile.slow_pdf(20), LIMITS)  # ~0.5 s a page, 20 pages
    took = time.monotonic() - started
    assert info.value.setting == "EXTRACTION_TIMEOUT_SECONDS"
    assert 2.0 <= took < 3.5, took
    killed = pids(pool)
    assert pool.read("lease.docx", LEASE, LIMITS).startswith("# COMMERCIAL LEASE")
    assert pids(pool) != killed or len(killed) == 1  # a fresh child took the killed one's place


def test_a_file_that_needs_too_much_memory_is_refused_and_this_process_does_not_grow(pool: ReadingPool) -> None:
    pool.warm()
    before = _rss_mb()
    hog = hostile.memory_hog_docx(250_000)  # 1.3 MB of file, ~100 MB of parsed XML
    with pytest.raises(OverReadingLimit, match=r"'hog.docx': needed more than 64 MB to read") as info:
        pool.read("hog.docx", hog, LIMITS)
    assert info.value.setting == "EXTRACTION_MEMORY_MB"
    assert _rss_mb() - before < 48  # the file itself and its copies, not its parse
    assert pool.read("nda.pdf", NDA, LIMITS).startswith("Mutual Non-Disclosure Agreement")


def test_a_child_that_died_while_idle_is_replaced_without_failing_the_document(pool: ReadingPool) -> None:
    pool.read("nda.pdf", NDA, LIMITS)
    (child,) = pool._idle
    child.process.kill()
    child.process.wait()
    assert pool.read("lease.docx", LEASE, LIMITS).startswith("# COMMERCIAL LEASE")
    assert child.pid not in pids(pool)


def test_a_document_waits_a_bounded_time_for_a_busy_reader() -> None:
    readers = ReadingPool(LIMITS.memory_mb, workers=1, queue_seconds=0.3)
    try:
        readers.warm()
        busy = threading.Thread(target=_refused, args=(readers, hostile.slow_pdf(20)))
        busy.start()
        time.sleep(0.3)
        with pytest.raises(ReaderUnavailable, match=r"all 1 document readers are busy"):
            readers.read("nda.pdf", NDA, LIMITS)
        busy.join()
        assert readers.read("nda.pdf", NDA, LIMITS).startswith("Mutual Non-Disclosure Agreement")
    finally:
        readers.close()


def test_children_get_the_import_path_and_no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    monkeypatch.setenv("AzureWebJobsStorage", "AccountKey=secret")
    env = _child_environment()
    assert "sk-secret" not in str(env) and "AccountKey" not in str(env)
    assert set(env) == {"PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONIOENCODING", "PATH", "LANG"}
    assert os.getcwd() in env["PYTHONPATH"].split(os.pathsep) or env["PYTHONPATH"]


def _refused(readers: ReadingPool, content: bytes) -> None:
    with pytest.raises(OverReadingLimit):
        readers.read("slow.pdf", content, LIMITS)


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")
