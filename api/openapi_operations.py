"""The OpenAPI description of the contracts, documents, page and description endpoints (jobs:
api/openapi_job_operations.py; batches and streams: api/openapi_batch_operations.py). One Operation per HTTP function,
named by the function, with the models the function validates its input with and builds its answer from."""

from __future__ import annotations

from typing import Any

from api.openapi_dsl import CONTINUATION, Content, Operation, Param, Reply, json_reply, limit, links_to, path_id
from api.ui import CONTENT_TYPES
from shared.contracts.models import ContractCreated, ContractDetail, ContractList, ContractUpload
from shared.documents.models import DocumentCreated, DocumentUpload, DocumentView, FolderDocuments, FolderList

CONTRACTS: tuple[Operation, ...] = (
    Operation(
        "create_contract",
        "POST",
        "/contracts",
        "Contracts",
        "Upload a contract: text, or a base64 .txt/.md/.docx/.pdf file",
        (
            json_reply(
                201,
                ContractCreated,
                "Stored, segmented into clauses and counted.",
                ("Location",),
                links_to("contract_id", "contract_id", GetContract="get_contract", DeleteContract="delete_contract"),
            ),
        ),
        errors=(503,),
        body=ContractUpload,
        error_notes={
            413: "The body is over MAX_REQUEST_BYTES or the document over MAX_CONTRACT_BYTES (`payload_too_large`), "
            "or the document is over a reading limit: its text (MAX_EXTRACTED_CHARS), pages (MAX_PDF_PAGES), "
            "unzipped size (MAX_DOCX_UNZIPPED_MB), or the time or memory reading it takes "
            "(EXTRACTION_TIMEOUT_SECONDS, EXTRACTION_MEMORY_MB): `document_too_large`, the setting in "
            "`details.setting`.",
            422: "Invalid body, or a file that cannot be read (`invalid_document`).",
            503: "Every document reader was busy for too long (`document_readers_unavailable`): try again.",
        },
    ),
    Operation(
        "list_contracts",
        "GET",
        "/contracts",
        "Contracts",
        "The caller's contracts, a page at a time",
        (json_reply(200, ContractList, "One page of summaries."),),
        errors=(400,),
        params=(limit(100, 100), CONTINUATION),
    ),
    Operation(
        "get_contract",
        "GET",
        "/contracts/{contract_id}",
        "Contracts",
        "A contract with its text and clauses",
        (json_reply(200, ContractDetail, "The contract."),),
        errors=(404,),
        params=(path_id("contract_id", "contract"),),
    ),
    Operation(
        "delete_contract",
        "DELETE",
        "/contracts/{contract_id}",
        "Contracts",
        "Delete a contract",
        (Reply(204, "Deleted."),),
        errors=(404,),
        params=(path_id("contract_id", "contract"),),
    ),
)

DOCUMENTS: tuple[Operation, ...] = (
    Operation(
        "upload_document",
        "POST",
        "/documents",
        "Documents",
        "Upload a document (base64 .txt/.md/.pdf/.docx) into a folder",
        (
            json_reply(
                201,
                DocumentCreated,
                "Bytes in Blob Storage, metadata in the store.",
                ("Location",),
                links_to("document_id", "document_id", GetDocument="get_document", DeleteDocument="delete_document"),
            ),
        ),
        errors=(503,),
        body=DocumentUpload,
        error_notes={
            422: "Invalid body (`invalid_request`), base64 (`invalid_document`), file name (`invalid_filename`) or "
            "type (`unsupported_file_type`), or the folder already holds MAX_DOCUMENTS_PER_FOLDER documents "
            "(`too_many_documents_in_folder`, `details.limit`).",
            503: "No document storage is configured (`document_storage_not_configured`).",
        },
    ),
    Operation(
        "get_document",
        "GET",
        "/documents/{document_id}",
        "Documents",
        "A document's metadata",
        (json_reply(200, DocumentView, "The document."),),
        errors=(404,),
        params=(path_id("document_id", "document"),),
    ),
    Operation(
        "delete_document",
        "DELETE",
        "/documents/{document_id}",
        "Documents",
        "Delete a document: its bytes, metadata and extracted text",
        (Reply(204, "Deleted."),),
        errors=(404, 409, 503),
        params=(path_id("document_id", "document"),),
        error_notes={
            409: "A staged batch that has not finished uses the document.",
            503: "No document storage is configured (`document_storage_not_configured`).",
        },
    ),
    Operation(
        "list_folders",
        "GET",
        "/folders",
        "Documents",
        "The caller's folders with their document counts",
        (json_reply(200, FolderList, "Every folder."),),
    ),
    Operation(
        "list_folder_documents",
        "GET",
        "/folders/{folder}/documents",
        "Documents",
        "A folder's documents, a page at a time",
        (json_reply(200, FolderDocuments, "One page of the folder's documents."),),
        errors=(400, 404),
        params=(
            Param(
                "folder",
                "path",
                {"type": "string", "minLength": 1},
                "The folder: names of letters, digits, spaces and . _ - ( ) & , ' separated by `/` (sent as is or "
                "as %2F).",
                required=True,
            ),
            limit(100, 100),
            CONTINUATION,
        ),
        error_notes={400: "Not a valid folder name (`bad_request`)."},
    ),
)

_TEXT = {"type": "string"}


def _file_schema(content_type: str) -> dict[str, Any]:
    return {} if content_type.startswith("application/json") else _TEXT


PAGE: tuple[Operation, ...] = (
    Operation(
        "ui_page",
        "GET",
        "/ui",
        "Page",
        "The web page (job monitor, contracts, results, batches)",
        (
            Reply(200, "The page.", (Content(CONTENT_TYPES[".html"].split(";")[0], schema=_TEXT),), ("ETag",)),
            Reply(304, "Unchanged since the ETag sent in If-None-Match.", headers=("ETag",)),
        ),
        params=(Param("If-None-Match", "header", _TEXT, "An ETag of the page the browser has."),),
        anonymous=True,
    ),
    Operation(
        "ui_asset",
        "GET",
        "/ui/{path}",
        "Page",
        "A file of the web page",
        (
            Reply(
                200,
                "The file.",
                tuple(Content(t.split(";")[0], schema=_file_schema(t)) for t in dict.fromkeys(CONTENT_TYPES.values())),
                ("ETag",),
            ),
            Reply(304, "Unchanged since the ETag sent in If-None-Match.", headers=("ETag",)),
        ),
        errors=(404,),
        params=(
            Param("path", "path", _TEXT, "The file's path under web/ (segments separated by `/`).", required=True),
            Param("If-None-Match", "header", _TEXT, "An ETag of the file the browser has."),
        ),
        anonymous=True,
        error_notes={404: "No such file (`asset_not_found`)."},
    ),
    Operation(
        "openapi_json",
        "GET",
        "/openapi.json",
        "Operations",
        "This description",
        (json_reply(200, None, "OpenAPI 3.1."),),
        anonymous=True,
    ),
)
