"""The bounds every uploaded document is read within (the settings MAX_EXTRACTED_CHARS, MAX_PDF_PAGES,
MAX_DOCX_UNZIPPED_MB, EXTRACTION_TIMEOUT_SECONDS, EXTRACTION_MEMORY_MB, EXTRACTION_WORKERS), as one value that can
cross into the child process that reads .docx and .pdf files."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from shared.text.errors import OverReadingLimit

if TYPE_CHECKING:
    from shared.settings import Settings

# A .docx is a zip archive; python-docx unzips every member into memory before reading any. Word writes 10 to 40
# members (a few hundred with many images); deflate compresses XML 5-20 times, never legitimately near its
# ~1,000x maximum, which is what zip bombs use. The ratio is checked on members over a mebibyte unzipped (small
# ones cannot hurt, and tiny highly repetitive parts exist).
DOCX_MAX_MEMBERS = 1_000
DOCX_MAX_RATIO = 100
DOCX_RATIO_CHECKED_FROM = 1 << 20
# List numbers past this are rendered as plain digits: Word's roman numerals and letters grow with the number
# (10^10 in lowerRoman is 10 million "m"s), digits only with its logarithm.
MAX_LIST_COUNTER = 10_000


@dataclass(frozen=True)
class ReadingLimits:
    max_chars: int = 2_000_000
    max_pdf_pages: int = 1_000
    max_docx_unzipped_bytes: int = 64 << 20
    timeout_seconds: float = 10.0
    memory_mb: int = 256
    workers: int = 2

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> ReadingLimits:
        # Imported here: the reader child process builds its limits from the parent's, never from settings.
        from shared.settings import get_settings

        s = settings or get_settings()
        return cls(
            max_chars=s.max_extracted_chars,
            max_pdf_pages=s.max_pdf_pages,
            max_docx_unzipped_bytes=s.max_docx_unzipped_mb << 20,
            timeout_seconds=s.extraction_timeout_seconds,
            memory_mb=s.extraction_memory_mb,
            workers=s.extraction_workers,
        )

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def early_stop_chars(self) -> int:
        """Raw text a reader may gather before it stops: the exact limit applies to the normalised text (trailing
        spaces and blank edges removed), this bounds the work before that."""
        return 2 * self.max_chars

    def check_text(self, filename: str, text: str) -> str:
        if len(text) > self.max_chars:
            raise OverReadingLimit(
                f"{filename!r}: its text is {len(text):,} characters, over the {self.max_chars:,} character limit",
                "MAX_EXTRACTED_CHARS",
            )
        return text

    def stop_early(self, filename: str, gathered: int) -> None:
        """Raise once a reader has gathered more raw text than any document within the limit can have."""
        if gathered > self.early_stop_chars:
            raise OverReadingLimit(
                f"{filename!r}: its text is over {self.max_chars:,} characters, the character limit",
                "MAX_EXTRACTED_CHARS",
            )
