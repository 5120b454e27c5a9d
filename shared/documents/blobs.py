"""The original bytes of uploaded documents, in Blob Storage: container `documents`, one blob per document named
`{user_id}/{document_id}/{filename}`, with its content type and, as metadata, the sha256 of its bytes.

The account is DOCUMENTS_STORAGE, else AzureWebJobsStorage (Azurite locally), each a connection string or, in Azure, an
identity-based connection (`<name>__blobServiceUri`, `__credential`, `__clientId`: shared/azure_connections.py).
Without either, document storage
is unavailable (DocumentStorageNotConfigured, a 503 at the API) and nothing else of the app is affected: the
client is built on first use, not at import.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from urllib.parse import quote

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient, ContainerClient, ContentSettings

from shared.azure_connections import Connection, blob_service_client, documents_storage
from shared.errors import DomainError, NotFoundError
from shared.settings import Settings, get_settings
from shared.singletons import ProcessSingleton

log = logging.getLogger(__name__)

CONTAINER = "documents"
SHA256_METADATA = "sha256"
NOT_CONFIGURED = "document storage is not configured: set DOCUMENTS_STORAGE or AzureWebJobsStorage"

CONTENT_TYPES = {
    "txt": "text/plain",
    "md": "text/markdown",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


class DocumentStorageNotConfigured(DomainError):
    """Neither DOCUMENTS_STORAGE nor AzureWebJobsStorage is set (the API answers 503)."""

    code = "document_storage_not_configured"


class DocumentBlobMissing(NotFoundError):
    """The metadata names a blob that is not in the container (deleted behind the app's back)."""

    code = "document_blob_missing"


def _segment(value: str) -> str:
    # A user id is whatever the identity provider says: keep it one path segment (anything but letters, digits and
    # "_.-~" percent-encoded; GUIDs and plain names are unchanged), and never a dot segment, which HTTP clients
    # resolve ("a/../b" is "b") into another prefix.
    escaped = quote(value, safe="")
    return escaped.replace(".", "%2E") if escaped in (".", "..") else escaped


def blob_name(user_id: str, document_id: str, filename: str) -> str:
    """`{user_id}/{document_id}/{filename}`; the filename must be a plain name (the API checks it first)."""
    if not filename or "/" in filename or "\\" in filename or filename in (".", ".."):
        raise ValueError(f"filename {filename!r} is not a plain file name")
    return f"{_segment(user_id)}/{_segment(document_id)}/{filename}"


def content_type(document_format: str) -> str:
    return CONTENT_TYPES.get(document_format, "application/octet-stream")


class DocumentBlobs:
    """The `documents` container of one storage account. Thread-safe: the API calls it from worker threads."""

    def __init__(self, service: BlobServiceClient, container: str = CONTAINER) -> None:
        self._container = service.get_container_client(container)
        self._ready = False
        self._lock = threading.Lock()

    @classmethod
    def from_connection_string(cls, connection: str, container: str = CONTAINER) -> DocumentBlobs:
        return cls(BlobServiceClient.from_connection_string(connection), container)

    @property
    def container_name(self) -> str:
        return self._container.container_name

    def container(self) -> ContainerClient:
        """The container, created on first use in this process (a failed attempt is tried again next time)."""
        if not self._ready:
            with self._lock:
                if not self._ready:
                    with contextlib.suppress(ResourceExistsError):  # the usual case after the first start
                        self._container.create_container()
                    self._ready = True
        return self._container

    def put(self, name: str, content: bytes, *, content_type: str, sha256: str) -> None:
        """Upload (overwriting: a retried upload of the same document id writes the same bytes)."""
        self.container().upload_blob(
            name,
            content,
            overwrite=True,
            content_settings=ContentSettings(content_type=content_type),
            metadata={SHA256_METADATA: sha256},
        )

    def get(self, name: str) -> bytes:
        """The blob's bytes; DocumentBlobMissing when there is no such blob."""
        try:
            return self.container().download_blob(name).readall()
        except ResourceNotFoundError as exc:
            raise DocumentBlobMissing(
                f"document bytes not found in blob storage: {self.container_name}/{name}", {"blob_name": name}
            ) from exc

    def delete(self, name: str) -> bool:
        """Delete the blob (and its snapshots); False when it was already gone, which is fine."""
        try:
            self.container().delete_blob(name, delete_snapshots="include")
        except ResourceNotFoundError:
            return False
        return True


def documents_connection(settings: Settings) -> Connection | None:
    """DOCUMENTS_STORAGE when set apart, else the app's own storage account (AzureWebJobsStorage)."""
    return documents_storage(settings)


def _build() -> DocumentBlobs | None:
    connection = documents_connection(get_settings())
    # One client per process: it keeps the HTTP connection pool.
    return DocumentBlobs(blob_service_client(connection)) if connection else None


_blobs: ProcessSingleton[DocumentBlobs | None] = ProcessSingleton(_build)


def document_blobs() -> DocumentBlobs:
    """The process-wide document blob store; DocumentStorageNotConfigured when no account is configured."""
    blobs = _blobs.get()
    if blobs is None:
        raise DocumentStorageNotConfigured(NOT_CONFIGURED)
    return blobs


def reset_document_blobs() -> None:
    """Forget the cached client (tests switch storage accounts)."""
    _blobs.reset()
