"""Documents uploaded into folders (the batch workflow's inputs) and their extracted text.

A document's bytes are in Blob Storage under `blob_name`; the store holds this metadata (container
`documents`, partition key /user_id) and, after staging, a DocumentText (container `document_texts`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.jobs.models import utcnow

DocumentFormat = Literal["txt", "md", "pdf", "docx"]
MAX_FOLDER_CHARS = 200
MAX_FILENAME_CHARS = 255
# A folder is a name or a path of names ("Vendors/2025"): letters, digits, space and . _ - ( ) & , ' between slashes.
_FOLDER = re.compile(r"^[\w .()&,'-]+(/[\w .()&,'-]+)*$")


def check_folder(folder: str) -> str:
    folder = folder.strip().strip("/")
    if not folder or not _FOLDER.fullmatch(folder) or any(part.strip() in (".", "..") for part in folder.split("/")):
        raise ValueError(
            f"folder {folder!r} must be one or more names separated by '/', "
            "of letters, digits, spaces and . _ - ( ) & , '"
        )
    return folder


class Document(BaseModel):
    document_id: str
    user_id: str
    folder: str
    filename: str
    format: DocumentFormat
    bytes: int = Field(ge=0)
    sha256: str
    blob_name: str
    created_at: datetime = Field(default_factory=utcnow)


class DocumentText(BaseModel):
    """What staging extracted from a document, kept with it: every batch that stages it again reuses it."""

    document_id: str
    user_id: str
    sha256: str  # of the bytes the text was extracted from
    text: str
    token_count: int
    created_at: datetime = Field(default_factory=utcnow)


class DocumentUpload(BaseModel):
    """Body of POST /api/documents."""

    model_config = ConfigDict(extra="forbid")

    folder: str = Field(min_length=1, max_length=MAX_FOLDER_CHARS)
    filename: str = Field(min_length=1, max_length=MAX_FILENAME_CHARS)
    content_base64: str = Field(min_length=1)

    @field_validator("folder")
    @classmethod
    def _folder(cls, folder: str) -> str:
        return check_folder(folder)


class DocumentCreated(BaseModel):
    """201 body of POST /api/documents."""

    document_id: str
    folder: str
    filename: str
    bytes: int
    sha256: str


class DocumentView(Document):
    """A document as the API shows it (GET /api/documents/{id}, folder listings): not its owner (the caller) nor
    where its bytes are kept."""

    user_id: str = Field(exclude=True)
    blob_name: str = Field(exclude=True)


class FolderSummary(BaseModel):
    folder: str
    document_count: int


class FolderList(BaseModel):
    """200 body of GET /api/folders: every folder of the caller's documents with its document count."""

    folders: list[FolderSummary]


class FolderDocuments(BaseModel):
    """200 body of GET /api/folders/{folder}/documents: one page of the folder's documents."""

    folder: str
    documents: list[DocumentView]
    continuation: str | None = None


def view(document: Document) -> DocumentView:
    return DocumentView.model_validate(dict(document))
