"""Why an uploaded document could not be turned into text. Every message names the file (or value) and the
reason, so the API can hand it to the user as it is: 422 `invalid_document`, 413 for the size limits."""

from __future__ import annotations


class ExtractionError(ValueError):
    """The upload cannot be turned into contract text; the message names the file or value and the reason."""


class DocumentTooLargeError(ExtractionError):
    """Decoded document exceeds the byte size limit (the API maps this to 413 `payload_too_large`)."""

    def __init__(self, size: int, max_bytes: int, what: str = "document") -> None:
        super().__init__(f"{what} is {size} bytes, over the {max_bytes} byte limit")
        self.size = size
        self.max_bytes = max_bytes


class OverReadingLimit(ExtractionError):
    """The document is over one of the reading limits: its text, pages, unzipped size, the time or the memory
    reading it takes (the API maps this to 413 `document_too_large`). `setting` names the app setting of the
    limit, when there is one."""

    def __init__(self, message: str, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting


class ReaderUnavailable(RuntimeError):
    """No child process could be started to read documents in (not the document's fault: 503, try again)."""
