"""Contract library: upload (text or a base64 .txt/.md/.docx/.pdf file), list, read with clauses, delete.

An upload is read within the reading limits (shared/text/limits.py): text over MAX_EXTRACTED_CHARS, a PDF over
MAX_PDF_PAGES, a .docx that unzips past MAX_DOCX_UNZIPPED_MB or looks like a zip bomb, and a file that takes longer
than EXTRACTION_TIMEOUT_SECONDS or more than EXTRACTION_MEMORY_MB to read are 413 `document_too_large` with the
reason; a file that cannot be read is 422 `invalid_document`.
"""

import asyncio
import functools
import uuid
from concurrent.futures import ThreadPoolExecutor

import azure.durable_functions as df
from azurefunctions.extensions.http.fastapi import Request, Response

from api.http import (
    api_url,
    blocking,
    handle,
    json_response,
    page_size,
    path_param,
    read_model,
)
from shared.contracts.models import ClauseRecord, Contract, ContractCreated, ContractList, ContractUpload, detail
from shared.errors import PayloadTooLarge, ServiceUnavailable, ValidationFailed
from shared.identity import Caller
from shared.settings import get_settings
from shared.storage.factory import get_repositories
from shared.text.extraction import (
    DocumentTooLargeError,
    ExtractionError,
    OverReadingLimit,
    ReaderUnavailable,
    ReadingLimits,
    check_text_length,
    decode_base64_strict,
    extract_text,
)
from shared.text.segmentation import segment
from shared.text.tokens import count_tokens

bp = df.Blueprint()

MAX_PAGE_SIZE = 100


# Uploads are read on threads of their own: a .docx or .pdf waits up to EXTRACTION_TIMEOUT_SECONDS for its reader
# process, and those waits must not take the threads every other request's storage calls run on (`blocking`).
_READERS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="contract-upload")


class InvalidDocument(ValidationFailed):
    code = "invalid_document"


class DocumentTooLarge(PayloadTooLarge):
    """Over a reading limit: its text, pages, unzipped size, or the time or memory reading it takes (413)."""

    code = "document_too_large"


class ReadersBusy(ServiceUnavailable):
    code = "document_readers_unavailable"


def _source_format(upload: ContractUpload) -> str:
    if upload.filename is None:
        return "text"
    return upload.filename.rsplit(".", 1)[-1].lower()


def build_contract(
    user_id: str, upload: ContractUpload, max_bytes: int, limits: ReadingLimits | None = None
) -> Contract:
    """Decode, extract, segment and count: CPU-bound, so callers run it off the event loop. Segmentation and
    token counting are linear in the text, which the reading limits cap."""
    limits = limits or ReadingLimits.from_settings()
    try:
        if upload.text is not None:
            size = len(upload.text.encode("utf-8"))
            if size > max_bytes:
                raise DocumentTooLargeError(size, max_bytes, "contract text")
            text = check_text_length(upload.text, limits)
        else:
            # ContractUpload guarantees both are set when text is not.
            content = decode_base64_strict(upload.content_base64 or "", max_bytes=max_bytes)
            text = extract_text(upload.filename or "", content, limits)
    except DocumentTooLargeError as exc:
        raise PayloadTooLarge(str(exc), {"max_bytes": max_bytes}) from exc
    except OverReadingLimit as exc:
        raise DocumentTooLarge(str(exc), {"setting": exc.setting} if exc.setting else None) from exc
    except ExtractionError as exc:
        raise InvalidDocument(str(exc)) from exc
    except ReaderUnavailable as exc:
        raise ReadersBusy(str(exc)) from exc
    if not text.strip():
        raise InvalidDocument("the contract has no text")
    clauses = [
        ClauseRecord(
            index=c.index, number=c.number, title=c.title, text=c.text, start=c.start, end=c.end, level=c.level
        )
        for c in segment(text)
    ]
    return Contract(
        contract_id=f"contract_{uuid.uuid4().hex}",
        user_id=user_id,
        title=upload.title.strip(),
        filename=upload.filename,
        source_format=_source_format(upload),
        text=text,
        clauses=clauses,
        token_count=count_tokens(text),
    )


@bp.route(route="contracts", methods=["POST"])
async def create_contract(req: Request) -> Response:
    return await handle(req, _create_contract)


async def _create_contract(req: Request, caller: Caller) -> Response:
    settings = get_settings()
    upload = await read_model(req, ContractUpload)
    build = functools.partial(build_contract, caller.user_id, upload, settings.max_contract_bytes)
    contract = await asyncio.get_running_loop().run_in_executor(_READERS, build)
    await blocking(get_repositories().contracts.add, contract)
    created = ContractCreated(
        contract_id=contract.contract_id,
        title=contract.title,
        clause_count=len(contract.clauses),
        token_count=contract.token_count,
    )
    return json_response(created, 201, {"Location": api_url(req, f"contracts/{contract.contract_id}")})


@bp.route(route="contracts", methods=["GET"])
async def list_contracts(req: Request) -> Response:
    return await handle(req, _list_contracts)


async def _list_contracts(req: Request, caller: Caller) -> Response:
    limit = page_size(req, default=MAX_PAGE_SIZE, maximum=MAX_PAGE_SIZE)
    continuation = req.query_params.get("continuation") or None
    page = await blocking(get_repositories().contracts.list, caller.user_id, limit=limit, continuation=continuation)
    return json_response(ContractList(contracts=page.items, continuation=page.continuation))


@bp.route(route="contracts/{contract_id}", methods=["GET"])
async def get_contract(req: Request) -> Response:
    return await handle(req, _get_contract)


async def _get_contract(req: Request, caller: Caller) -> Response:
    contract_id = path_param(req, "contract_id")
    contract = await blocking(get_repositories().contracts.get, caller.user_id, contract_id)
    return json_response(detail(contract))


@bp.route(route="contracts/{contract_id}", methods=["DELETE"])
async def delete_contract(req: Request) -> Response:
    return await handle(req, _delete_contract)


async def _delete_contract(req: Request, caller: Caller) -> Response:
    contract_id = path_param(req, "contract_id")
    await blocking(get_repositories().contracts.delete, caller.user_id, contract_id)
    return Response(status_code=204)
