"""Plain text of a PDF's pages, with pypdf, within the reading limits: at most MAX_PDF_PAGES pages, the text
stopped once it passes the character limit, and pypdf's own limits (decompressed stream sizes, parsing work) turned
into a refusal that says which. This runs in a child process with a time and memory limit
(shared/text/sandbox.py): what these checks miss is refused there."""

from __future__ import annotations

import io

from pypdf import PdfReader
from pypdf.errors import LimitReachedError, PdfReadError, PyPdfError

from shared.text.errors import ExtractionError, OverReadingLimit
from shared.text.limits import ReadingLimits


def read_pdf(filename: str, content: bytes, limits: ReadingLimits | None = None) -> str:
    limits = limits or ReadingLimits()
    pages: list[str] = []
    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractionError(f"{filename!r}: PDF is password-protected")
        count = len(reader.pages)
        if count > limits.max_pdf_pages:
            raise OverReadingLimit(
                f"{filename!r}: has {count:,} pages, over the {limits.max_pdf_pages:,} page limit", "MAX_PDF_PAGES"
            )
        gathered = 0
        for page in reader.pages:
            text = page.extract_text() or ""
            pages.append(text)
            gathered += len(text) + 2
            limits.stop_early(filename, gathered)
    except ExtractionError:
        raise
    except LimitReachedError as exc:
        # A stream that inflates past pypdf's limit (a PDF zip bomb), or too much parsing work in one page.
        raise OverReadingLimit(f"{filename!r}: over the PDF reader's limits ({exc})") from exc
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ExtractionError(f"{filename!r}: not a readable PDF ({exc})") from exc
    return "\n\n".join(pages)
