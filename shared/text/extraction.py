"""Turn uploaded contract files (base64 from the API, then bytes) into plain text.

The text returned here is what segmentation offsets, excerpts and token counts refer to, so every format is
normalised the same way: ``\\n`` newlines, no trailing spaces, no leading/trailing blank lines.

Every file is hostile until bounded (the limits: shared/text/limits.py). Plain text and markdown are decoded here,
in time linear in their size; .docx and .pdf files are parsed by libraries whose cost a crafted file can blow up,
so `extract_text` reads them in a child process with a time and memory limit (shared/text/sandbox.py), which runs
`read_document` there. Whatever the format, text over MAX_EXTRACTED_CHARS is refused, never cut.
"""

from __future__ import annotations

import binascii
import re

from shared.text.errors import DocumentTooLargeError, ExtractionError, OverReadingLimit, ReaderUnavailable
from shared.text.limits import ReadingLimits

SUPPORTED_EXTENSIONS = (".txt", ".md", ".docx", ".pdf")
PLAIN_EXTENSIONS = (".txt", ".md")
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


# ---------------------------------------------------------------------------------------------------------
# base64
# ---------------------------------------------------------------------------------------------------------

_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(?:;[\w.+-]+=[^;,]*)*)(?P<b64>;base64)?,")
_WHITESPACE = re.compile(r"\s+")
_STD_ALPHABET = re.compile(r"[A-Za-z0-9+/]*")
_URLSAFE_TRANSLATION = str.maketrans("-_", "+/")


def _preview(value: str, limit: int = 40) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "...")


def decode_base64_strict(data: str, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> bytes:
    """Decode base64 the way clients actually send it, and refuse anything that is not base64.

    Accepted: whitespace/newlines anywhere (MIME line wrapping), missing ``=`` padding, the URL-safe alphabet
    (``-``/``_``), and a ``data:<mime>;base64,`` prefix (what browsers' FileReader.readAsDataURL produces).
    Rejected with ExtractionError: empty input, other characters, mixed standard/URL-safe alphabets, padding
    in the middle, a length no base64 encoder can produce, and a data URL that is not base64.
    Rejected with DocumentTooLargeError: decoded size over ``max_bytes`` (checked before decoding).
    """
    if not isinstance(data, str):
        raise ExtractionError(f"base64 content must be a string, got {type(data).__name__}")
    text = data.strip()
    match = _DATA_URL.match(text)
    if match:
        if not match.group("b64"):
            raise ExtractionError(f"data URL {_preview(text)} is not base64-encoded (missing ';base64')")
        text = text[match.end() :]
    text = _WHITESPACE.sub("", text)
    if not text:
        raise ExtractionError("base64 content is empty")

    body = text.rstrip("=")
    padding = len(text) - len(body)
    if padding > 2:
        raise ExtractionError(f"invalid base64: {padding} padding characters at the end")
    has_urlsafe = "-" in body or "_" in body
    if has_urlsafe:
        if "+" in body or "/" in body:
            raise ExtractionError("invalid base64: mixes the standard (+/) and URL-safe (-_) alphabets")
        body = body.translate(_URLSAFE_TRANSLATION)
    if not _STD_ALPHABET.fullmatch(body):
        bad = next(ch for ch in body if not (ch.isascii() and (ch.isalnum() or ch in "+/")))
        where = body.index(bad)
        raise ExtractionError(f"invalid base64: character {bad!r} at position {where} of {_preview(text)}")
    if len(body) % 4 == 1:
        # 6 bits cannot make a byte: no encoder produces this length, so data was cut or corrupted.
        raise ExtractionError(f"invalid base64: impossible length {len(body)} (truncated or corrupted data)")
    if padding and (len(body) + padding) % 4 != 0:
        raise ExtractionError(f"invalid base64: wrong padding for length {len(body)}")

    decoded_size = len(body) * 3 // 4
    if decoded_size > max_bytes:
        raise DocumentTooLargeError(decoded_size, max_bytes, "decoded document")
    body += "=" * (-len(body) % 4)
    try:
        return binascii.a2b_base64(body, strict_mode=True)
    except binascii.Error as exc:  # pragma: no cover - the checks above cover the known cases
        raise ExtractionError(f"invalid base64: {exc}") from exc


# ---------------------------------------------------------------------------------------------------------
# text normalisation
# ---------------------------------------------------------------------------------------------------------

_TRAILING_SPACE = " \t\f\v\u00a0"


def normalize_text(text: str) -> str:
    """``\\n`` newlines, no trailing spaces per line, no blank lines at either end, no NULs.

    Linear in the text, whatever it holds: a per-line strip, where a `[ \\t]+$` regex backtracks through every run
    of spaces that does not end its line (a line of a million spaces and a letter took hours)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = "\n".join(line.rstrip(_TRAILING_SPACE) for line in text.split("\n"))
    return text.strip("\n")


# ---------------------------------------------------------------------------------------------------------
# per-format readers
# ---------------------------------------------------------------------------------------------------------


def _read_plain(filename: str, content: bytes) -> str:
    # Word's "Unicode text" export is UTF-16 with a BOM; without the BOM, NUL bytes mean binary.
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ExtractionError(f"{filename!r}: invalid UTF-16 text ({exc.reason})") from exc
    if b"\x00" in content:
        raise ExtractionError(f"{filename!r}: looks like a binary file (contains NUL bytes), not text")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Legacy Windows exports; cp1252 leaves 5 bytes undefined, which still fail here.
        return content.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise ExtractionError(f"{filename!r}: text is neither UTF-8 nor Windows-1252") from exc


def _extension(filename: str) -> str:
    name = filename.strip()
    dot = name.rfind(".")
    ext = name[dot:].lower() if dot > 0 else ""
    if ext not in SUPPORTED_EXTENSIONS:
        raise ExtractionError(
            f"{filename!r}: unsupported file type {ext or '(no extension)'!r}; "
            f"supported: {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    return ext


def _check_bytes(filename: str, content: bytes) -> None:
    if len(content) > MAX_DOCUMENT_BYTES:
        raise DocumentTooLargeError(len(content), MAX_DOCUMENT_BYTES, repr(filename))
    if not content:
        raise ExtractionError(f"{filename!r}: file is empty")


def read_document(filename: str, content: bytes, limits: ReadingLimits | None = None) -> str:
    """The text of an uploaded contract, read in this process (the child process runs this for .docx and .pdf).

    Raises ExtractionError (unsupported extension, unreadable file, no text), DocumentTooLargeError (bytes) or
    OverReadingLimit (text, pages, unzipped size)."""
    limits = limits or ReadingLimits.from_settings()
    ext = _extension(filename)
    _check_bytes(filename, content)
    if ext in PLAIN_EXTENSIONS:
        raw = _read_plain(filename, content)
    elif ext == ".docx":
        from shared.text.docx_reader import read_docx

        raw = read_docx(filename, content, limits)
    else:
        from shared.text.pdf_reader import read_pdf

        raw = read_pdf(filename, content, limits)
    text = limits.check_text(filename, normalize_text(raw))
    if not text.strip():
        hint = " (scanned PDF without a text layer?)" if ext == ".pdf" else ""
        raise ExtractionError(f"{filename!r}: contains no text{hint}")
    return text


def extract_text(filename: str, content: bytes, limits: ReadingLimits | None = None) -> str:
    """Plain text of an uploaded contract, chosen by the file extension: .txt and .md in this process, .docx and
    .pdf in a child process that is killed past EXTRACTION_TIMEOUT_SECONDS or EXTRACTION_MEMORY_MB.

    Raises ExtractionError (unsupported extension, unreadable file, no text), DocumentTooLargeError (bytes),
    OverReadingLimit (text, pages, unzipped size, time, memory) or ReaderUnavailable (no child process).
    """
    limits = limits or ReadingLimits.from_settings()
    ext = _extension(filename)
    _check_bytes(filename, content)
    if ext in PLAIN_EXTENSIONS:
        return read_document(filename, content, limits)
    from shared.text.sandbox import read_in_child

    return limits.check_text(filename, read_in_child(filename, content, limits))


def check_text_length(text: str, limits: ReadingLimits | None = None) -> str:
    """A contract sent as text (not a file), normalised, within MAX_EXTRACTED_CHARS."""
    limits = limits or ReadingLimits.from_settings()
    normalised = normalize_text(text)
    if len(normalised) > limits.max_chars:
        raise OverReadingLimit(
            f"the contract text is {len(normalised):,} characters, over the {limits.max_chars:,} character limit",
            "MAX_EXTRACTED_CHARS",
        )
    return normalised


__all__ = [
    "MAX_DOCUMENT_BYTES",
    "SUPPORTED_EXTENSIONS",
    "DocumentTooLargeError",
    "ExtractionError",
    "OverReadingLimit",
    "ReaderUnavailable",
    "ReadingLimits",
    "check_text_length",
    "decode_base64_strict",
    "extract_text",
    "normalize_text",
    "read_document",
]
