"""A .docx read within bounds: the archive checked before python-docx unzips it, list numbers that cannot grow
without bound, style chains that loop, text that stops at the limit. In this process (`read_docx`); the child
process that runs it in the app is tested in test_sandbox.py."""

from __future__ import annotations

import io
import zipfile

import pytest

from shared.text.docx_reader import read_docx
from shared.text.errors import ExtractionError, OverReadingLimit
from shared.text.limits import DOCX_MAX_MEMBERS, DOCX_MAX_RATIO, MAX_LIST_COUNTER, ReadingLimits
from tests.support import hostile_files as hostile

from .conftest import SAMPLES


@pytest.mark.parametrize(
    ("start", "fmt", "first", "second"),
    [
        (10**10, "lowerRoman", "10000000000.", "10000000001."),  # the file: 10 million "m"s a paragraph
        (10**10, "upperLetter", "10000000000.", "10000000001."),  # was 385 million letters
        (MAX_LIST_COUNTER, "lowerRoman", "m" * 10 + ".", "10001."),  # the last roman numeral, then digits
        (27, "lowerLetter", "aa.", "bb."),
        ("9" * 19, "lowerRoman", "i.", "ii."),  # not a number Word writes: read as absent
        ("9" * 5_000, "lowerRoman", "i.", "ii."),  # nor is one of 5,000 digits (int() alone would refuse it)
        (3, "upperRoman", "iii.".upper(), "IV."),
    ],
)
def test_list_numbers_are_rendered_without_growing_with_the_number(
    start: int | str, fmt: str, first: str, second: str
) -> None:
    content = hostile.numbered_list_docx(start, fmt)
    assert len(content) < 2_000
    text = read_docx("list.docx", content)
    assert text.split("\n\n") == [f"{first} Item 0 of the list.", f"{second} Item 1 of the list."]


def test_a_zip_that_unzips_past_the_limit_is_refused_before_it_is_unzipped() -> None:
    bomb = hostile.zip_bomb_docx(80 << 20)  # 80 MB of zeros in ~80 KB
    assert len(bomb) < 200_000
    with pytest.raises(OverReadingLimit, match=r"'bomb.docx': unzips to 83,8\d\d,\d\d\d bytes, over the 64 MB") as info:
        read_docx("bomb.docx", bomb)
    assert info.value.setting == "MAX_DOCX_UNZIPPED_MB"
    with pytest.raises(OverReadingLimit, match=r"over the 1 MB limit"):
        read_docx("bomb.docx", hostile.zip_bomb_docx(2 << 20), ReadingLimits(max_docx_unzipped_bytes=1 << 20))


def test_a_member_that_expands_like_a_zip_bomb_is_refused_even_within_the_size_limit() -> None:
    with pytest.raises(OverReadingLimit, match=rf"zeros.bin expands 1,0\d\d times .*at most {DOCX_MAX_RATIO} times"):
        read_docx("ratio.docx", hostile.zip_bomb_docx(4 << 20))


def test_an_archive_of_thousands_of_files_is_refused() -> None:
    with pytest.raises(OverReadingLimit, match=f"holds 1,105 files, more than the {DOCX_MAX_MEMBERS:,} allowed"):
        read_docx("many.docx", hostile.many_members_docx(1_100))
    assert read_docx("some.docx", hostile.many_members_docx(100)) == "Lots of parts."


def test_text_stops_growing_past_the_character_limit() -> None:
    content = hostile.docx(hostile.paragraph("word " * 200) for _ in range(100))  # ~100,000 characters
    with pytest.raises(OverReadingLimit, match=r"over 10,000 characters") as info:
        read_docx("long.docx", content, ReadingLimits(max_chars=10_000))
    assert info.value.setting == "MAX_EXTRACTED_CHARS"
    assert len(read_docx("long.docx", content)) > 99_000


def test_styles_based_on_each_other_in_a_loop_are_cut() -> None:
    from docx import Document

    doc = Document()
    styles = doc.styles
    a = styles.add_style("Loop A", 1)
    b = styles.add_style("Loop B", 1)
    a.base_style = b
    b.base_style = a
    doc.add_paragraph("A paragraph in a looping style.", style="Loop A")
    buf = io.BytesIO()
    doc.save(buf)
    assert read_docx("loop.docx", buf.getvalue()) == "A paragraph in a looping style."


def test_not_a_zip_is_unreadable_and_a_real_docx_still_reads() -> None:
    with pytest.raises(ExtractionError, match=r"'x.docx': not a readable .docx"):
        read_docx("x.docx", b"PK\x03\x04 broken")
    text = read_docx("lease.docx", (SAMPLES / "commercial_lease.docx").read_bytes())
    assert text.startswith("# COMMERCIAL LEASE AGREEMENT") and "## Section 3" in text


def test_the_hostile_builders_make_archives_python_docx_reads() -> None:
    """The attack files are valid: what refuses them is the check, not a broken archive."""
    for content in (hostile.zip_bomb_docx(1 << 20), hostile.many_members_docx(10)):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            assert archive.testzip() is None
    assert read_docx("ok.docx", hostile.zip_bomb_docx(512 << 10)) == "An innocent agreement."
