"""The error of an upload that cannot be turned into contract text, raised by every reader (extraction.py and the
.docx reader it calls), so the readers need not import each other for it."""

from __future__ import annotations


class ExtractionError(ValueError):
    """The upload cannot be turned into contract text; the message names the file or value and the reason."""
