"""Shared plumbing of the HTTP functions: one error shape, bounded JSON bodies, identity, URLs we hand out.

Every HTTP function is a thin shell: `return await handle(req, _impl)` where `_impl(req, caller)` raises
DomainErrors and returns a response. Errors become `{"error": {"code", "message", "details"}}` here, so
every endpoint fails the same way.

Cross-site requests: before anything else, a mutating request (POST, PUT, PATCH, DELETE) that its browser marks
`Sec-Fetch-Site: cross-site` is 403 `cross_site_request` (from a browser too old to send that mark, an `Origin`
that is not this app's is refused the same way), and one that carries a body must say it is JSON (`Content-Type:
application/json`, optionally `; charset=utf-8`) or it is 415 `unsupported_media_type`. Another site's page can send
only "simple" requests without a CORS preflight (which this app never grants), and those are text/plain,
form-encoded or multipart: none gets past this, none reaches an endpoint's code, and nothing is created. A request
without a body (cancel, retry, stage, DELETE) needs no content type: what stops another site's page from sending
one is the browser's mark.
"""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

from azurefunctions.extensions.http.fastapi import JSONResponse, Request, Response
from pydantic import BaseModel

from shared import telemetry
from shared.errors import (
    ConflictError,
    DomainError,
    ErrorBody,
    ErrorInfo,
    InvalidContinuation,
    LimitReached,
    NotFoundError,
    PayloadTooLarge,
    ServiceUnavailable,
    ValidationFailed,
)
from shared.identity import AuthenticationRequired, Caller, Forbidden, resolve_caller
from shared.settings import get_settings
from shared.storage.unavailable import RETRY_AFTER_S, is_unavailable, unavailable
from shared.validation import parse_model

logger = logging.getLogger(__name__)

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

# host.json extensions.http.routePrefix: the URLs we hand out must match the routes the host serves.
ROUTE_PREFIX = "/api"


class MalformedJson(DomainError):
    code = "malformed_json"


class UnsupportedMediaType(DomainError):
    """A mutating request whose body is not declared JSON (415)."""

    code = "unsupported_media_type"


class CrossSiteRequest(Forbidden):
    """A mutating request a browser sent on behalf of another site's page (403)."""

    code = "cross_site_request"


class BadRequest(DomainError):
    """A query string or path that cannot be understood (400); bodies that parse but are invalid are 422."""

    code = "bad_request"


# Most specific first: ValidationFailed subclasses may choose 400 by code (malformed) vs 422 (invalid).
STATUS_BY_ERROR: tuple[tuple[type[DomainError], int], ...] = (
    (MalformedJson, 400),
    (BadRequest, 400),
    (InvalidContinuation, 400),  # a query parameter: not ours, or from another list
    (AuthenticationRequired, 401),
    (Forbidden, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (PayloadTooLarge, 413),
    (UnsupportedMediaType, 415),
    (ValidationFailed, 422),
    (LimitReached, 429),
    (ServiceUnavailable, 503),
)


def status_for(error: DomainError) -> int:
    return next((status for kind, status in STATUS_BY_ERROR if isinstance(error, kind)), 400)


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = ErrorBody(error=ErrorInfo(code=code, message=message, details=details))
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def domain_error_response(error: DomainError) -> JSONResponse:
    status = status_for(error)
    headers = {"WWW-Authenticate": 'Bearer realm="App Service Authentication"'} if status == 401 else None
    if isinstance(error, LimitReached):
        headers = {"Retry-After": str(error.retry_after)}  # what the caller holds ends by itself: ask again then
    return error_response(status, error.code, error.message, error.details, headers)


def json_response(
    body: BaseModel | dict[str, Any] | list[Any], status: int = 200, headers: dict[str, str] | None = None
) -> JSONResponse:
    content = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
    return JSONResponse(content, status_code=status, headers=headers)


MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON_MEDIA_TYPE = "application/json"


def is_json_content_type(value: str | None) -> bool:
    """`application/json`, with no parameter but an optional UTF-8 charset (JSON is UTF-8: RFC 8259)."""
    if not value:
        return False
    media_type, *parameters = (part.strip().lower() for part in value.split(";"))
    if media_type != JSON_MEDIA_TYPE:
        return False
    return all(p.replace(" ", "") in ("charset=utf-8", 'charset="utf-8"', "") for p in parameters)


def declares_body(headers: Mapping[str, str]) -> bool:
    length = (headers.get("content-length") or "").strip()
    return bool(headers.get("transfer-encoding")) or (length not in ("", "0"))


def refuse_cross_site(req: Request) -> None:
    """The CSRF rules above, from the headers alone: checked before the caller is resolved or anything is read."""
    if req.method.upper() not in MUTATING_METHODS:
        return
    site = (req.headers.get("sec-fetch-site") or "").strip().lower()
    if site == "cross-site":
        raise CrossSiteRequest(
            f"{req.method} from another site's page is refused (Sec-Fetch-Site: cross-site)",
            {"sec_fetch_site": site},
        )
    origin = (req.headers.get("origin") or "").strip()
    if not site and origin and not _same_origin(req, origin):
        raise CrossSiteRequest(
            f"{req.method} from another site's page is refused (Origin: {origin})", {"origin": origin}
        )
    if declares_body(req.headers):
        require_json_content_type(req)


def _same_origin(req: Request, origin: str) -> bool:
    """`origin` names this app: its host is the request's own (or the forwarded one, or PUBLIC_BASE_URL's)."""
    host = urlsplit(origin).netloc.lower()
    if not host:  # "null" (a sandboxed frame, a file) or garbage
        return False
    ours = {req.headers.get("host"), req.headers.get("x-forwarded-host"), urlsplit(base_url(req)).netloc}
    return host in {h.split(",")[0].strip().lower() for h in ours if h}


def require_json_content_type(req: Request) -> None:
    declared = req.headers.get("content-type")
    if not is_json_content_type(declared):
        raise UnsupportedMediaType(
            f"{req.method} bodies must be JSON: send Content-Type: {JSON_MEDIA_TYPE}, got {declared or 'none'!r}",
            {"content_type": declared, "expected": JSON_MEDIA_TYPE},
        )


async def handle(req: Request, impl: Callable[[Request, Caller], Awaitable[Response]]) -> Response:
    """Refuse cross-site mutations, resolve the caller, run `impl`, and turn every failure into the one error
    shape."""

    async def run() -> Response:
        refuse_cross_site(req)
        caller = resolve_caller(req.headers)
        telemetry.caller_seen(caller.user_id)
        return await impl(req, caller)

    return await _answer(req, run())


async def handle_anonymous(req: Request, impl: Callable[[Request], Awaitable[Response]]) -> Response:
    async def run() -> Response:
        refuse_cross_site(req)
        return await impl(req)

    return await _answer(req, run())


async def _answer(req: Request, work: Awaitable[Response]) -> Response:
    with telemetry.http_span(req) as span:  # one span per request (shared/telemetry/spans.py)
        response = await _respond(req, work)
        span.answered(response.status_code)
        return response


async def _respond(req: Request, work: Awaitable[Response]) -> Response:
    try:
        return await work
    except DomainError as exc:
        return domain_error_response(exc)
    except Exception as exc:
        if is_unavailable(exc):  # the store or storage did not answer after its SDK's retries: "try again"
            logger.warning("%s %s: the store is unavailable: %s", req.method, req.url.path, type(exc).__name__)
            error = unavailable(exc)
            headers = {"Retry-After": str(RETRY_AFTER_S)}
            return error_response(status_for(error), error.code, error.message, error.details, headers)
        # The message of an unexpected error may carry internals (paths, keys): log it, return a generic 500.
        logger.exception("unhandled error in %s %s", req.method, req.url.path)
        return error_response(500, "internal_error", "the server failed to handle the request")


async def read_body(req: Request, max_bytes: int | None = None) -> bytes:
    """The raw body; one over the limit is 413, but only once it has been read to its end (and dropped).

    Answering while the client is still sending loses the answer: a server that then closes the connection with
    unread data in it (the client sent `Connection: close`) makes the kernel reset it, and a client that sends its
    whole body before reading (urllib, requests) sees "connection reset" instead of the 413. The Functions host
    bounds what there is to read (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT); no more than `max_bytes` is ever kept.
    """
    limit = get_settings().max_request_bytes if max_bytes is None else max_bytes
    chunks: list[bytes] = []
    size = 0
    async for chunk in req.stream():
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        elif chunks:
            chunks.clear()  # over the limit: none of it will be used
    if size > limit:
        raise PayloadTooLarge(f"request body is {size} bytes, over the {limit} byte limit", {"max_bytes": limit})
    body = b"".join(chunks)
    if body and req.method.upper() in MUTATING_METHODS:
        require_json_content_type(req)  # a body its headers did not announce (no length): the same rule
    return body


async def read_json(req: Request, max_bytes: int | None = None) -> Any:
    body = await read_body(req, max_bytes)
    if not body.strip():
        raise MalformedJson("request body is empty; a JSON object is expected")
    try:
        return json.loads(body)
    except UnicodeDecodeError as exc:
        raise MalformedJson("request body is not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise MalformedJson(
            f"request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            {"line": exc.lineno, "column": exc.colno},
        ) from exc


async def read_model(req: Request, model: type[M], max_bytes: int | None = None) -> M:
    return parse_model(model, await read_json(req, max_bytes))


async def blocking(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking repository/SDK call off the event loop (the worker serves many requests on one loop)."""
    return await asyncio.to_thread(fn, *args, **kwargs)


def path_param(req: Request, name: str) -> str:
    """An id from the path. A blank one (`/api/jobs/%20`) names nothing: 404, like any unknown id."""
    value = req.path_params.get(name)
    if not isinstance(value, str) or not value.strip():
        raise NotFoundError(f"no {name.removesuffix('_id')} has the id {value!r}", {name: value})
    return value


def path_user(req: Request) -> str:
    """The `{user_id}` of the seed's per-user paths, as sent: anything but the caller's own id is 403."""
    value = req.path_params.get("user_id")
    return value if isinstance(value, str) else ""


def page_size(req: Request, default: int, maximum: int) -> int:
    """The `limit` query parameter of a list endpoint: 1 to `maximum`, `default` when absent or empty."""
    raw = req.query_params.get("limit")
    if raw is None or raw == "":
        return default
    # isascii: str.isdigit() is also true of superscripts, which int() refuses ("²"), and of other scripts' digits.
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= maximum:
        raise BadRequest(f"limit must be an integer from 1 to {maximum}, got {raw!r}", {"limit": raw})
    return int(raw)


def base_url(req: Request) -> str:
    """Public origin for the URLs we return: PUBLIC_BASE_URL, else the forwarded or direct host of the request."""
    configured = get_settings().public_base_url
    if configured:
        return configured.rstrip("/")
    host = req.headers.get("x-forwarded-host") or req.headers.get("host") or req.url.netloc
    scheme = req.headers.get("x-forwarded-proto") or req.url.scheme
    return f"{scheme.split(',')[0].strip()}://{host.split(',')[0].strip()}"


def api_url(req: Request, path: str) -> str:
    return f"{base_url(req)}{ROUTE_PREFIX}/{path.lstrip('/')}"
