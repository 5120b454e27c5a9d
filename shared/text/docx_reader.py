"""Plain text of a .docx body: paragraphs and tables in document order.

Two things plain ``paragraph.text`` loses, and which clause segmentation needs, are put back:
- Word's automatic list numbers ("1.", "3.2", "(a)") are rendered from numbering.xml, best effort
  (decimal, letters, roman, bullets; restarts and overrides beyond ``w:start`` are not modelled).
- Heading-styled paragraphs become markdown headings (``## Title``) so they segment like a .md upload.

The file is hostile until bounded: the archive is checked before python-docx unzips it (members, unzipped size,
compression ratio), list numbers past MAX_LIST_COUNTER are plain digits, numbers in the XML are read only when
they look like Word's, style chains that loop are cut, and the text stops growing past the character limit.
This runs in a child process with a time and memory limit (shared/text/sandbox.py): what these checks miss is
refused there.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from docx import Document
from docx.document import Document as DocumentObject
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

from shared.text.errors import ExtractionError, OverReadingLimit
from shared.text.limits import (
    DOCX_MAX_MEMBERS,
    DOCX_MAX_RATIO,
    DOCX_RATIO_CHECKED_FROM,
    MAX_LIST_COUNTER,
    ReadingLimits,
)

_HEADING_STYLE = re.compile(r"^heading (\d)$", re.IGNORECASE)
# Word writes these as decimal numbers of a few digits; anything longer (a 4,000-digit start value, which int() would
# refuse and str() take quadratic time over) is read as absent.
_SMALL_INT = re.compile(r"-?\d{1,18}")
_MAX_STYLE_DEPTH = 32


@dataclass
class _Level:
    fmt: str = "decimal"
    text: str = "%1."
    start: int = 1


@dataclass
class _Numbering:
    """numId -> levels, plus running counters per numId (each w:num is its own list instance)."""

    levels: dict[str, dict[int, _Level]] = field(default_factory=dict)
    counters: dict[str, dict[int, int]] = field(default_factory=dict)

    @classmethod
    def from_document(cls, doc: DocumentObject) -> _Numbering:
        try:
            root = doc.part.numbering_part.element
        except (KeyError, NotImplementedError):  # document without numbering.xml
            return cls()
        abstract: dict[str, dict[int, _Level]] = {}
        for an in root.findall(qn("w:abstractNum")):
            levels: dict[int, _Level] = {}
            for lvl in an.findall(qn("w:lvl")):
                levels[_int(lvl.get(qn("w:ilvl")), 0)] = _Level(
                    fmt=_val(lvl, "w:numFmt") or "decimal",
                    text=_val(lvl, "w:lvlText") or "",
                    start=_int(_val(lvl, "w:start"), 1),
                )
            abstract[an.get(qn("w:abstractNumId"), "")] = levels
        numbering = cls()
        for num in root.findall(qn("w:num")):
            abstract_id = _val(num, "w:abstractNumId") or ""
            numbering.levels[num.get(qn("w:numId"), "")] = abstract.get(abstract_id, {})
        return numbering

    def label(self, num_id: str, ilvl: int) -> str:
        levels = self.levels.get(num_id)
        if not levels or ilvl not in levels:
            return ""
        counters = self.counters.setdefault(num_id, {})
        counters[ilvl] = counters.get(ilvl, levels[ilvl].start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]  # a new "2." restarts its "(a)" sub-items
        level = levels[ilvl]
        if level.fmt == "bullet":
            return "•"
        if level.fmt == "none":
            return ""

        def render(match: re.Match[str]) -> str:
            k = int(match.group(1)) - 1
            lvl = levels.get(k, _Level())
            return _format_number(counters.get(k, lvl.start), lvl.fmt)

        return re.sub(r"%(\d)", render, level.text)


def _val(el: etree._Element, tag: str) -> str | None:
    child = el.find(qn(tag))
    return None if child is None else child.get(qn("w:val"))


def _int(value: str | None, default: int) -> int:
    return int(value) if value is not None and _SMALL_INT.fullmatch(value.strip()) else default


def _roman(n: int) -> str:
    out = []
    for value, sym in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                       (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):  # fmt: skip
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)


def _format_number(n: int, fmt: str) -> str:
    if not 0 < n <= MAX_LIST_COUNTER:
        return str(n)  # roman numerals and letters grow with the number itself: a crafted start is millions long
    if fmt in ("lowerLetter", "upperLetter"):
        letters = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letters if fmt == "lowerLetter" else letters.upper()
    if fmt == "lowerRoman":
        return _roman(n)
    if fmt == "upperRoman":
        return _roman(n).upper()
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


def _num_pr_of(ppr: etree._Element | None) -> tuple[str, int] | None:
    num_pr = None if ppr is None else ppr.find(qn("w:numPr"))
    if num_pr is None:
        return None
    num_id = _val(num_pr, "w:numId")
    if num_id is None:
        return None
    return num_id, _int(_val(num_pr, "w:ilvl"), 0)


class _Styles:
    """What a paragraph's style gives it (its name, and list numbering from the style chain), looked up once per
    style: python-docx scans every style of the document on each lookup, which made a body of many short
    paragraphs cost a millisecond each."""

    def __init__(self) -> None:
        self._known: dict[str | None, tuple[str, tuple[str, int] | None]] = {}

    def of(self, paragraph: Paragraph) -> tuple[str, tuple[str, int] | None]:
        style_id = paragraph._p.style
        if style_id not in self._known:
            style = paragraph.style
            name = (style.name or "") if style is not None else ""
            found = None
            depth = 0
            # A chain of styles based on each other in a loop is cut.
            while found is None and style is not None and depth < _MAX_STYLE_DEPTH:
                found = _num_pr_of(style.element.pPr)
                style = style.base_style
                depth += 1
            self._known[style_id] = (name, found)
        return self._known[style_id]


@dataclass
class _Context:
    numbering: _Numbering
    styles: _Styles = field(default_factory=_Styles)


def _paragraph_text(paragraph: Paragraph, context: _Context) -> str:
    text = paragraph.text
    style_name, style_num = context.styles.of(paragraph)
    # (numId, ilvl) from the paragraph, else from its style chain (e.g. "List Number").
    num = _num_pr_of(paragraph._p.pPr) or style_num
    if num is not None and num[0] != "0" and text.strip():
        label = context.numbering.label(*num)
        if label:
            text = f"{label} {text}"
    heading = _HEADING_STYLE.match(style_name)
    if heading and text.strip():
        return "#" * max(1, min(6, int(heading.group(1)))) + " " + text.strip()
    if style_name == "Title" and text.strip():
        return "# " + text.strip()
    return text


def _table_lines(table: Table, context: _Context) -> Iterator[str]:
    for row in table.rows:
        seen: set[int] = set()
        cells: list[str] = []
        for cell in row.cells:
            if id(cell._tc) in seen:  # merged cells repeat the same element
                continue
            seen.add(id(cell._tc))
            parts = list(_blocks(cell.iter_inner_content(), context))
            cells.append(" ".join(p.strip() for p in parts if p.strip()))
        if any(cells):
            yield " | ".join(cells)


def _blocks(items: Iterable[Paragraph | Table], context: _Context) -> Iterator[str]:
    for item in items:
        if isinstance(item, Paragraph):
            yield _paragraph_text(item, context)
        else:
            yield from _table_lines(item, context)


def check_archive(filename: str, content: bytes, limits: ReadingLimits) -> None:
    """Refuse a zip that would unzip into too many files, too many bytes, or far more than it holds (a zip bomb),
    from its central directory alone: nothing is decompressed. zipfile never inflates a member past the size the
    directory declares (a lying size ends in a CRC error), so these sizes bound what python-docx can unzip."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise ExtractionError(f"{filename!r}: not a readable .docx file ({exc})") from exc
    if len(members) > DOCX_MAX_MEMBERS:
        raise OverReadingLimit(
            f"{filename!r}: its archive holds {len(members):,} files, more than the {DOCX_MAX_MEMBERS:,} allowed"
        )
    unzipped = sum(m.file_size for m in members)
    if unzipped > limits.max_docx_unzipped_bytes:
        raise OverReadingLimit(
            f"{filename!r}: unzips to {unzipped:,} bytes, over the {limits.max_docx_unzipped_bytes >> 20} MB limit",
            "MAX_DOCX_UNZIPPED_MB",
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size >= DOCX_RATIO_CHECKED_FROM and ratio > DOCX_MAX_RATIO:
            raise OverReadingLimit(
                f"{filename!r}: {member.filename} expands {ratio:,.0f} times when unzipped "
                f"(at most {DOCX_MAX_RATIO} times is allowed)"
            )


def read_docx(filename: str, content: bytes, limits: ReadingLimits | None = None) -> str:
    limits = limits or ReadingLimits()
    check_archive(filename, content, limits)
    try:
        doc = Document(io.BytesIO(content))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise ExtractionError(f"{filename!r}: not a readable .docx file ({exc})") from exc
    context = _Context(_Numbering.from_document(doc))
    blocks: list[str] = []
    gathered = 0
    for block in _blocks(doc.iter_inner_content(), context):
        if block.strip():
            blocks.append(block)
            gathered += len(block) + 2
            limits.stop_early(filename, gathered)
    # Blank line between blocks: paragraphs are the units segmentation and excerpts work with.
    return "\n\n".join(blocks)
