"""Batch documents: upload into folders, list folders and a folder's documents, read and delete one.

An upload is checked whole (file name and type, strict base64, size) before anything is stored; then its bytes
go to Blob Storage and its metadata to the store, in that order, so no metadata ever names bytes that were not
written. Text extraction is not done here: staging a batch does it, in the background.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import unicodedata
import uuid
from typing import cast
from urllib.parse import unquote

import azure.durable_functions as df
from azurefunctions.extensions.http.fastapi import Request, Response

from api.http import (
    BadRequest,
    api_url,
    blocking,
    handle,
    json_response,
    page_size,
    path_param,
    read_model,
)
from shared.documents.blobs import (
    DocumentBlobs,
    DocumentStorageNotConfigured,
    blob_name,
    content_type,
    document_blobs,
)
from shared.documents.in_use import ensure_not_in_use
from shared.documents.models import (
    Document,
    DocumentCreated,
    DocumentFormat,
    DocumentUpload,
    FolderDocuments,
    FolderList,
    check_folder,
    view,
)
from shared.errors import NotFoundError, PayloadTooLarge, ServiceUnavailable, ValidationFailed
from shared.identity import Caller
from shared.limits import ensure_room_in_folder
from shared.settings import get_settings
from shared.storage.factory import get_repositories
from shared.text.extraction import DocumentTooLargeError, ExtractionError, decode_base64_strict

log = logging.getLogger(__name__)

bp = df.Blueprint()

MAX_PAGE_SIZE = 100
FORMATS: dict[str, DocumentFormat] = {".txt": "txt", ".md": "md", ".pdf": "pdf", ".docx": "docx"}
# GET /api/folders/{folder}/documents: a folder may hold "/", and a catch-all parameter must be the route's last
# segment, so the route is `folders/{*path}` and the path must end with this.
DOCUMENTS_SUFFIX = "/documents"


class InvalidDocument(ValidationFailed):
    code = "invalid_document"


class InvalidFilename(ValidationFailed):
    code = "invalid_filename"


class UnsupportedFileType(ValidationFailed):
    code = "unsupported_file_type"


class DocumentStorageUnavailable(ServiceUnavailable):
    code = "document_storage_not_configured"


def check_filename(filename: str) -> str:
    """A plain file name: it becomes the last segment of the blob name, so no path, no control characters."""
    name = filename.strip()
    if (
        not name
        or "/" in name
        or "\\" in name
        or name in (".", "..")
        or any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name)
    ):
        raise InvalidFilename(
            f"filename {filename!r} must be a plain file name, without folders or control characters",
            {"field": "filename"},
        )
    return name


def document_format(filename: str) -> DocumentFormat:
    dot = filename.rfind(".")
    ext = filename[dot:].lower() if dot > 0 else ""
    if ext not in FORMATS:
        raise UnsupportedFileType(
            f"{filename!r}: unsupported file type {ext or '(no extension)'!r}; supported: {', '.join(FORMATS)}",
            {"field": "filename", "supported": list(FORMATS)},
        )
    return FORMATS[ext]


def decode_upload(upload: DocumentUpload, max_bytes: int) -> bytes:
    """The file's bytes: strict base64 (padding repaired), at most `max_bytes` (413), never empty."""
    try:
        content = decode_base64_strict(upload.content_base64, max_bytes=max_bytes)
    except DocumentTooLargeError as exc:
        raise PayloadTooLarge(str(exc), {"max_bytes": max_bytes}) from exc
    except ExtractionError as exc:
        raise InvalidDocument(f"content_base64: {exc}", {"field": "content_base64"}) from exc
    if len(content) > max_bytes:  # the decoder's estimate is exact, but the limit must hold whatever it says
        raise PayloadTooLarge(
            f"document is {len(content)} bytes, over the {max_bytes} byte limit", {"max_bytes": max_bytes}
        )
    return content


def storage() -> DocumentBlobs:
    try:
        return document_blobs()
    except DocumentStorageNotConfigured as exc:
        raise DocumentStorageUnavailable(exc.message) from exc


@bp.route(route="documents", methods=["POST"])
async def upload_document(req: Request) -> Response:
    return await handle(req, _upload_document)


async def _upload_document(req: Request, caller: Caller) -> Response:
    settings = get_settings()
    upload = await read_model(req, DocumentUpload)
    filename = check_filename(upload.filename)
    await blocking(ensure_room_in_folder, get_repositories(), caller.user_id, upload.folder)  # 422 when full
    file_format = document_format(filename)
    content = await blocking(decode_upload, upload, settings.max_contract_bytes)
    blobs = storage()

    document_id = f"doc_{uuid.uuid4().hex}"
    sha256 = hashlib.sha256(content).hexdigest()
    document = Document(
        document_id=document_id,
        user_id=caller.user_id,
        folder=upload.folder,
        filename=filename,
        format=file_format,
        bytes=len(content),
        sha256=sha256,
        blob_name=blob_name(caller.user_id, document_id, filename),
    )
    await blocking(blobs.put, document.blob_name, content, content_type=content_type(file_format), sha256=sha256)
    try:
        await blocking(get_repositories().documents.add, document)
    except Exception:
        # No metadata, no bytes: an upload that fails leaves nothing behind (the client may simply retry).
        try:
            await blocking(blobs.delete, document.blob_name)
        except Exception:
            log.exception("could not remove blob %s after its metadata write failed", document.blob_name)
        raise
    created = DocumentCreated(
        document_id=document_id, folder=document.folder, filename=filename, bytes=document.bytes, sha256=sha256
    )
    return json_response(created, 201, {"Location": api_url(req, f"documents/{document_id}")})


@bp.route(route="documents/{document_id}", methods=["GET"])
async def get_document(req: Request) -> Response:
    return await handle(req, _get_document)


async def _get_document(req: Request, caller: Caller) -> Response:
    document_id = path_param(req, "document_id")
    document = await blocking(get_repositories().documents.get, caller.user_id, document_id)
    return json_response(view(document))


@bp.route(route="documents/{document_id}", methods=["DELETE"])
async def delete_document(req: Request) -> Response:
    return await handle(req, _delete_document)


async def _delete_document(req: Request, caller: Caller) -> Response:
    document_id = path_param(req, "document_id")
    repos = get_repositories()
    document = await blocking(repos.documents.get, caller.user_id, document_id)
    await blocking(ensure_not_in_use, repos, caller.user_id, document_id)
    blobs = storage()
    # Bytes first: if removing the metadata then fails, the document is still listed and a retried DELETE
    # finishes (a missing blob is fine); the other order could leave bytes that nothing points to.
    await blocking(blobs.delete, document.blob_name)
    # Its extracted text goes too. NotFound: a concurrent DELETE removed it first, the outcome asked for.
    with contextlib.suppress(NotFoundError):
        await blocking(repos.documents.delete, caller.user_id, document_id)
    return Response(status_code=204)


@bp.route(route="folders", methods=["GET"])
async def list_folders(req: Request) -> Response:
    return await handle(req, _list_folders)


async def _list_folders(req: Request, caller: Caller) -> Response:
    folders = await blocking(get_repositories().documents.folders, caller.user_id)
    return json_response(FolderList(folders=folders))


@bp.route(route="folders/{*path}", methods=["GET"])
async def list_folder_documents(req: Request) -> Response:
    return await handle(req, _list_folder_documents)


def folder_of(path: str) -> str:
    """The folder of `{folder}/documents` (URL-decoded: a client may send `Vendors%2F2025` or `Vendors/2025`)."""
    decoded = unquote(path).strip("/")
    if not decoded.endswith(DOCUMENTS_SUFFIX):
        raise NotFoundError(
            f"no such endpoint: /api/folders/{path}; a folder's documents are at /api/folders/{{folder}}/documents",
            {"path": path},
        )
    try:
        return check_folder(decoded.removesuffix(DOCUMENTS_SUFFIX))
    except ValueError as exc:
        raise BadRequest(str(exc), {"folder": decoded.removesuffix(DOCUMENTS_SUFFIX)}) from exc


async def _list_folder_documents(req: Request, caller: Caller) -> Response:
    folder = folder_of(cast(str, req.path_params.get("path") or ""))
    limit = page_size(req, default=MAX_PAGE_SIZE, maximum=MAX_PAGE_SIZE)
    continuation = req.query_params.get("continuation") or None
    page = await blocking(
        get_repositories().documents.list_folder, caller.user_id, folder, limit=limit, continuation=continuation
    )
    return json_response(
        FolderDocuments(folder=folder, documents=[view(d) for d in page.items], continuation=page.continuation)
    )
