"""Hostile documents, built on the fly (none is kept in git): zip bombs dressed as .docx, a .docx whose list
numbering renders millions of characters, PDFs with too many pages, a PDF stream that inflates past pypdf's limit,
and files that pass every static check but take too long or too much memory to read.

Each builder returns the file's bytes; sizes are parameters so unit tests can use small ones."""

from __future__ import annotations

import io
import random
import zipfile
import zlib
from collections.abc import Iterable

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Default Extension="bin" ContentType="application/octet-stream"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/word/numbering.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/>'
    "</Types>"
)
_PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="word/document.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
_DOCUMENT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="numbering.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering"/>'
    "</Relationships>"
)


def paragraph(text: str, num_id: int | None = None) -> str:
    numbered = f'<w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="{num_id}"/></w:numPr></w:pPr>' if num_id else ""
    return f'<w:p>{numbered}<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


def document_xml(paragraphs: Iterable[str]) -> bytes:
    body = "".join(paragraphs)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<w:document xmlns:w="{W}" xmlns:r="{R}"><w:body>{body}</w:body></w:document>'
    ).encode()


def numbering_xml(start: int | str, fmt: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:numbering xmlns:w="{W}">'
        f'<w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="{start}"/>'
        f'<w:numFmt w:val="{fmt}"/><w:lvlText w:val="%1."/></w:lvl></w:abstractNum>'
        '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num></w:numbering>'
    ).encode()


def docx(
    paragraphs: Iterable[str],
    numbering: bytes | None = None,
    extra: dict[str, bytes] | None = None,
    level: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """A minimal .docx python-docx reads: the package parts, the body, optional numbering and extra members."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", level) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _PACKAGE_RELS)
        archive.writestr("word/_rels/document.xml.rels", _DOCUMENT_RELS)
        archive.writestr("word/document.xml", document_xml(paragraphs))
        archive.writestr("word/numbering.xml", numbering or numbering_xml(1, "decimal"))
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buf.getvalue()


def numbered_list_docx(start: int | str = 10**10, fmt: str = "lowerRoman", items: int = 2) -> bytes:
    """The issue's 1.5 KB file: a list whose numbering starts at `start` in `fmt` (10^10 in lowerRoman was ten
    million characters for one paragraph)."""
    return docx([paragraph(f"Item {i} of the list.", num_id=1) for i in range(items)], numbering_xml(start, fmt))


def _zeros_member(archive: zipfile.ZipFile, name: str, size: int) -> None:
    """A member of `size` zero bytes, streamed (no `size` bytes in memory): deflate makes it ~1/1000 of that."""
    block = bytes(1 << 20)
    with archive.open(name, "w", force_zip64=size > 0x7FFFFFFF) as member:
        left = size
        while left:
            n = min(left, len(block))
            member.write(block[:n])
            left -= n


def zip_bomb_docx(unzipped: int = 256 << 20, member: str = "word/media/zeros.bin") -> bytes:
    """A valid .docx plus one member of `unzipped` zero bytes: a few hundred KB that unzip to `unzipped`."""
    buf = io.BytesIO(docx([paragraph("An innocent agreement.")]))
    with zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        _zeros_member(archive, member, unzipped)
    return buf.getvalue()


def many_members_docx(members: int = 5_000) -> bytes:
    return docx([paragraph("Lots of parts.")], extra={f"word/media/m{i}.bin": b"x" for i in range(members)})


def memory_hog_docx(paragraphs: int = 400_000, seed: int = 7) -> bytes:
    """Within every static limit (size, ratio: random words do not compress 100x) but a body of `paragraphs`
    paragraphs, which python-docx and lxml hold as several objects each: hundreds of MB for a few MB of file."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ("".join(rng.choice(letters) for _ in range(6)) for _ in range(paragraphs))
    return docx(f"<w:p><w:r><w:t>{w}</w:t></w:r></w:p>" for w in words)


# --- PDF -----------------------------------------------------------------------------------------------------


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF of `objects` (object 1 is the catalog), with a correct cross-reference table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _stream(data: bytes, compress: bool = True) -> bytes:
    if compress:
        packed = zlib.compress(data, 9)
        return f"<< /Length {len(packed)} /Filter /FlateDecode >>\nstream\n".encode() + packed + b"\nendstream"
    return f"<< /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream"


def _pages_pdf(pages: int, content: bytes, stream: bytes | None = None) -> bytes:
    """`pages` pages that all draw the same content stream (stored once): `content` compressed, or `stream` as
    given (a whole stream object)."""
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    kids = " ".join(f"{5 + i} 0 R" for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        stream or _stream(content),
        font,
    ]
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R"
        b" /Resources << /Font << /F1 4 0 R >> >> >>"
    )
    objects.extend(page for _ in range(pages))
    return _pdf(objects)


def text_pdf(pages: int = 1, text: str = "Governing law: the laws of the State of New York.") -> bytes:
    return _pages_pdf(pages, f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode())


def many_pages_pdf(pages: int = 5_000) -> bytes:
    return text_pdf(pages, "Page.")


def flate_bomb_pdf(inflated: int = 100 << 20) -> bytes:
    """One page whose content stream inflates to `inflated` bytes of spaces (pypdf stops at 75 MB)."""
    packer = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    packed = b"".join(packer.compress(chunk) for _ in range(inflated >> 20)) + packer.flush()
    stream = f"<< /Length {len(packed)} /Filter /FlateDecode >>\nstream\n".encode() + packed + b"\nendstream"
    return _pages_pdf(1, b"", stream)


def slow_pdf(pages: int = 100, blocks_per_page: int = 20_000) -> bytes:
    """Within every static limit (pages; text: none; each stream under pypdf's parsing budget) but every page
    draws the same stream of `blocks_per_page` empty text objects, which pypdf's text extraction interprets one by
    one: about half a second a page here (20,000 blocks), for a file of a few kilobytes."""
    return _pages_pdf(pages, b"BT /F1 12 Tf () Tj ET\n" * blocks_per_page)
