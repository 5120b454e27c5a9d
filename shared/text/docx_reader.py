"""Plain text of a .docx body: paragraphs and tables in document order.

Two things plain ``paragraph.text`` loses, and which clause segmentation needs, are put back:
- Word's automatic list numbers ("1.", "3.2", "(a)") are rendered from numbering.xml, best effort
  (decimal, letters, roman, bullets; restarts and overrides beyond ``w:start`` are not modelled).
- Heading-styled paragraphs become markdown headings (``## Title``) so they segment like a .md upload.
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

from shared.text.errors import ExtractionError

_HEADING_STYLE = re.compile(r"^heading (\d)$", re.IGNORECASE)


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
                levels[int(lvl.get(qn("w:ilvl"), "0"))] = _Level(
                    fmt=_val(lvl, "w:numFmt") or "decimal",
                    text=_val(lvl, "w:lvlText") or "",
                    start=int(_val(lvl, "w:start") or "1"),
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


def _roman(n: int) -> str:
    out = []
    for value, sym in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                       (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):  # fmt: skip
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)


def _format_number(n: int, fmt: str) -> str:
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
    return num_id, int(_val(num_pr, "w:ilvl") or "0")


def _num_pr(paragraph: Paragraph) -> tuple[str, int] | None:
    """(numId, ilvl) from the paragraph, else from its style chain (e.g. "List Number")."""
    found = _num_pr_of(paragraph._p.pPr)
    style = paragraph.style
    while found is None and style is not None:
        found = _num_pr_of(style.element.pPr)
        style = style.base_style
    return found


def _paragraph_text(paragraph: Paragraph, numbering: _Numbering) -> str:
    text = paragraph.text
    num = _num_pr(paragraph)
    if num is not None and num[0] != "0" and text.strip():
        label = numbering.label(*num)
        if label:
            text = f"{label} {text}"
    style_name = paragraph.style.name if paragraph.style is not None else ""
    heading = _HEADING_STYLE.match(style_name or "")
    if heading and text.strip():
        return "#" * max(1, min(6, int(heading.group(1)))) + " " + text.strip()
    if style_name == "Title" and text.strip():
        return "# " + text.strip()
    return text


def _table_lines(table: Table, numbering: _Numbering) -> Iterator[str]:
    for row in table.rows:
        seen: set[int] = set()
        cells: list[str] = []
        for cell in row.cells:
            if id(cell._tc) in seen:  # merged cells repeat the same element
                continue
            seen.add(id(cell._tc))
            parts = list(_blocks(cell.iter_inner_content(), numbering))
            cells.append(" ".join(p.strip() for p in parts if p.strip()))
        if any(cells):
            yield " | ".join(cells)


def _blocks(items: Iterable[Paragraph | Table], numbering: _Numbering) -> Iterator[str]:
    for item in items:
        if isinstance(item, Paragraph):
            yield _paragraph_text(item, numbering)
        else:
            yield from _table_lines(item, numbering)


def read_docx(filename: str, content: bytes) -> str:
    try:
        doc = Document(io.BytesIO(content))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise ExtractionError(f"{filename!r}: not a readable .docx file ({exc})") from exc
    numbering = _Numbering.from_document(doc)
    # Blank line between blocks: paragraphs are the units segmentation and excerpts work with.
    return "\n\n".join(block for block in _blocks(doc.iter_inner_content(), numbering) if block.strip())
