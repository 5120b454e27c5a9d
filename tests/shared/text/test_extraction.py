from __future__ import annotations

import base64
import io
import time

import pytest
from docx import Document

from shared.text.extraction import (
    MAX_DOCUMENT_BYTES,
    SUPPORTED_EXTENSIONS,
    DocumentTooLargeError,
    ExtractionError,
    OverReadingLimit,
    ReadingLimits,
    check_text_length,
    decode_base64_strict,
    extract_text,
    normalize_text,
    read_document,
)
from shared.text.segmentation import segment

from .conftest import SAMPLES, sample

PAYLOAD = "Section 1 — Premises\nThe Landlord leases to the Tenant… ✓".encode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# -- base64 ------------------------------------------------------------------------------------------------


def test_base64_roundtrip_and_tolerated_forms() -> None:
    encoded = b64(PAYLOAD)
    assert decode_base64_strict(encoded) == PAYLOAD
    assert decode_base64_strict(encoded.rstrip("=")) == PAYLOAD  # missing padding repaired
    wrapped = "\n".join(encoded[i : i + 8] for i in range(0, len(encoded), 8))
    assert decode_base64_strict(f"  {wrapped}\r\n\t") == PAYLOAD  # MIME line wrapping
    binary = bytes(range(256))
    assert decode_base64_strict(base64.urlsafe_b64encode(binary).decode()) == binary
    assert decode_base64_strict("data:application/pdf;base64," + encoded) == PAYLOAD
    assert decode_base64_strict("data:;base64," + encoded) == PAYLOAD


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("SGVsbG8gd29ybGQ!", "'!'"),
        ("SGVs bG8=gd29y", "'='"),
        ("SGVsbG8gd29ybGQ====", "padding"),
        ("SGVsbG8gd29ybGQh9", "impossible length"),
        ("ab+c-d__", "mixes"),
        ("data:text/plain,hello", "not base64"),
        ("SGVsbG8gd29ybGQ=QQ==", "'='"),
        ("SGVsbA=", "padding"),
    ],
)
def test_base64_garbage_is_rejected_with_reason(value: str, message: str) -> None:
    with pytest.raises(ExtractionError, match=message):
        decode_base64_strict(value)


def test_base64_over_limit_is_too_large_before_decoding() -> None:
    with pytest.raises(DocumentTooLargeError, match="1024 byte limit") as info:
        decode_base64_strict(b64(b"x" * 2000), max_bytes=1024)
    assert isinstance(info.value, ExtractionError)
    assert decode_base64_strict(b64(b"x" * 1024), max_bytes=1024) == b"x" * 1024


# -- plain text ----------------------------------------------------------------------------------------------


def test_text_encodings_and_newlines_are_normalised() -> None:
    assert extract_text("a.txt", "\ufeffTitle  \r\nBody\t\r\n\r\n".encode()) == "Title\nBody"
    # Legacy Windows export: cp1252 curly quotes and em dash.
    assert extract_text("a.TXT", "“Lease” — 5 years".encode("cp1252")) == "“Lease” — 5 years"
    assert extract_text("notes.md", "Clause\r1".encode("utf-16")) == "Clause\n1"


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("contract.exe", b"MZ", r"'contract\.exe'.*\.exe.*supported: \.txt, \.md, \.docx, \.pdf"),
        ("contract", b"text", "no extension"),
        ("blank.txt", b" \n\t\r\n ", "'blank.txt': contains no text"),
        ("empty.md", b"", "'empty.md': file is empty"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00", "'image.txt'.*binary"),
        ("fake.docx", b"not a zip", "'fake.docx': not a readable .docx"),
        ("fake.pdf", b"%PDF-1.7 garbage", "'fake.pdf'"),
    ],
)
def test_bad_files_are_rejected_naming_the_file(filename: str, content: bytes, message: str) -> None:
    with pytest.raises(ExtractionError, match=message):
        extract_text(filename, content)


def test_normalisation_is_linear_whatever_the_text() -> None:
    """A `[ \\t]+$` regex backtracked through every run of spaces that did not end its line: this took hours."""
    hostile_line = "a" + " " * 1_000_000 + "b  \r\n"
    started = time.monotonic()
    assert normalize_text(hostile_line * 3) == "\n".join(["a" + " " * 1_000_000 + "b"] * 3)
    assert time.monotonic() - started < 5
    assert normalize_text(" x \t\u00a0\n\n y\x00 \r\n\n") == " x\n\n y"


def test_text_over_the_character_limit_is_refused_never_cut() -> None:
    limits = ReadingLimits(max_chars=1_000)
    with pytest.raises(OverReadingLimit, match=r"'long.txt': its text is 1,199 characters, over the 1,000") as info:
        extract_text("long.txt", b"word " * 240, limits)  # the last space is trimmed
    assert info.value.setting == "MAX_EXTRACTED_CHARS"
    with pytest.raises(OverReadingLimit, match=r"^the contract text is 1,001 characters, over the 1,000 character"):
        check_text_length("x" * 1_001, limits)
    assert check_text_length("x" * 1_000 + "   \n\n", limits) == "x" * 1_000  # counted once normalised
    with pytest.raises(OverReadingLimit, match=r"'lease.docx': its text is 5,926 characters"):
        read_document("lease.docx", (SAMPLES / "commercial_lease.docx").read_bytes(), ReadingLimits(max_chars=5_000))


def test_oversized_file_is_rejected() -> None:
    with pytest.raises(DocumentTooLargeError, match=r"'big\.txt'"):
        extract_text("big.txt", b"a" * (MAX_DOCUMENT_BYTES + 1))
    assert ".pdf" in SUPPORTED_EXTENSIONS


# -- docx / pdf ----------------------------------------------------------------------------------------------


def test_docx_keeps_order_headings_tables_and_list_numbers() -> None:
    text = extract_text("commercial_lease.docx", (SAMPLES / "commercial_lease.docx").read_bytes())
    assert text.startswith("# COMMERCIAL LEASE AGREEMENT\n\nThis Commercial Lease Agreement")
    assert "## Section 3 — Rent\n\nTenant shall pay base rent" in text
    assert "Lease year | Monthly base rent\n\n1 | $6,800.00" in text  # table rows, in place
    assert text.index("($6,800.00) per month") < text.index("1 | $6,800.00") < text.index("Operating Expenses")
    assert "1. certificates of insurance;\n\n2. a copy of its roasting permit;\n\n3. its emergency" in text
    titles = [(c.number, c.title) for c in segment(text) if c.number]
    assert titles[0] == ("1", "Premises") and titles[-1] == ("14", "Governing Law")
    assert len(titles) == 14


def test_docx_paragraph_order_with_table_in_between() -> None:
    doc = Document()
    doc.add_paragraph("Before")
    table = doc.add_table(rows=1, cols=3)
    table.rows[0].cells[0].merge(table.rows[0].cells[1]).text = "Merged"
    table.rows[0].cells[2].text = "Right"
    doc.add_paragraph("After")
    buf = io.BytesIO()
    doc.save(buf)
    assert extract_text("t.docx", buf.getvalue()) == "Before\n\nMerged | Right\n\nAfter"


def test_pdf_text_matches_the_source_contract() -> None:
    text = extract_text("nda.pdf", (SAMPLES / "nda_mutual_standard.pdf").read_bytes())
    assert text.startswith("Mutual Non-Disclosure Agreement\n")
    assert "\r" not in text and not any(line.endswith(" ") for line in text.split("\n"))
    # Words survive typesetting (line wraps aside): compare word sequences with the markdown source.
    source_words = sample("nda_mutual_standard.md").replace("**", "").replace("#", "").replace("—", "-").split()
    assert text.split() == source_words
    clauses = [(c.number, c.title) for c in segment(text) if c.number]
    assert clauses[0] == ("1", "Definitions") and clauses[10] == ("11", "Governing Law and Jurisdiction")
    assert len(clauses) == 13
