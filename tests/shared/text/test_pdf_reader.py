"""A PDF read within bounds: a page limit, the text stopped at the character limit, and pypdf's own limits (a
stream that inflates past them) turned into a refusal that says so, never an unhandled error. In this process
(`read_pdf`); the child process that runs it in the app is tested in test_sandbox.py."""

from __future__ import annotations

import pytest

from shared.text.errors import ExtractionError, OverReadingLimit
from shared.text.limits import ReadingLimits
from shared.text.pdf_reader import read_pdf
from tests.support import hostile_files as hostile


def test_a_pdf_over_the_page_limit_is_refused_before_its_text_is_read() -> None:
    with pytest.raises(OverReadingLimit, match=r"'many.pdf': has 1,200 pages, over the 1,000 page limit") as info:
        read_pdf("many.pdf", hostile.many_pages_pdf(1_200))
    assert info.value.setting == "MAX_PDF_PAGES"
    assert read_pdf("ten.pdf", hostile.many_pages_pdf(10), ReadingLimits(max_pdf_pages=10)).count("Page.") == 10


def test_a_stream_that_inflates_past_pypdfs_limit_is_refused_with_the_reason() -> None:
    bomb = hostile.flate_bomb_pdf(100 << 20)  # ~100 KB that inflate to 100 MB
    assert len(bomb) < 200_000
    with pytest.raises(OverReadingLimit, match=r"'bomb.pdf': over the PDF reader's limits \(Limit reached"):
        read_pdf("bomb.pdf", bomb)


def test_text_stops_growing_past_the_character_limit() -> None:
    content = hostile.text_pdf(50, "The Supplier shall deliver the Goods. " * 10)  # ~19,000 characters
    with pytest.raises(OverReadingLimit, match=r"over 2,000 characters"):
        read_pdf("long.pdf", content, ReadingLimits(max_chars=2_000))
    assert read_pdf("long.pdf", content).count("Supplier") == 500


def test_garbage_is_unreadable() -> None:
    with pytest.raises(ExtractionError, match=r"'x.pdf': not a readable PDF"):
        read_pdf("x.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ntrailer << /Root 1 0 R >>")
