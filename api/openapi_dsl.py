"""The vocabulary the OpenAPI description is written in: an operation per HTTP function, its parameters, request
body and replies, each body a pydantic model (or a media type with a plain schema). api/openapi.py turns a list of
these into the document; api/openapi_operations.py and api/openapi_batch_operations.py hold the list."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

JSON = "application/json"

# The error statuses every endpoint may answer with the one error shape, with what they mean here.
ERROR_MEANINGS: dict[int, str] = {
    400: "Malformed: a body that is not JSON (`malformed_json`) or a query parameter or path that cannot be "
    "understood (`bad_request`).",
    401: "No App Service Authentication principal (`unauthenticated`).",
    403: "The path names another user (`forbidden`); for POST, PUT, PATCH and DELETE also a request a browser "
    "sent for another site's page (`Sec-Fetch-Site: cross-site`, or an `Origin` that is not this app: "
    "`cross_site_request`), refused before anything is read.",
    404: "Unknown id; another user's object is just as unknown (`not_found`).",
    409: "The object's state does not allow this now (`conflict`, `invalid_transition`).",
    413: "The body is over MAX_REQUEST_BYTES, or a document over MAX_CONTRACT_BYTES (`payload_too_large`).",
    415: "A body that is not declared JSON: POST, PUT, PATCH and DELETE bodies need `Content-Type: "
    "application/json` (optionally `; charset=utf-8`); a request without a body needs none "
    "(`unsupported_media_type`). Nothing is read or created.",
    422: "Well-formed but invalid: `details` lists the fields (`invalid_request` and more specific codes).",
    429: "The caller already holds as much as one user may at once (see the operation); nothing was created. "
    "`Retry-After` says when to ask again.",
    500: "The request did not do what it asked (see the operation).",
    503: "A service the request needs is not available (see the operation).",
}


@dataclass(frozen=True)
class Param:
    name: str
    location: Literal["path", "query", "header"]
    schema: dict[str, Any]
    description: str
    required: bool = False
    comma_separated: bool = False  # an array sent as `a,b,c` (style form, explode false)
    empty_is_absent: bool = False  # `?name=` means the same as no `name` (allowEmptyValue)


@dataclass(frozen=True)
class Content:
    """One media type of a body: a pydantic model or type (JSON), a plain schema (`schema`), or Server-Sent Events
    (`events`: event name -> the model of its JSON data)."""

    media_type: str = JSON
    model: Any = None
    schema: dict[str, Any] | None = None
    events: dict[str, Any] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)  # x-... keys; a model as value becomes its $ref


@dataclass(frozen=True)
class Link:
    """Where a reply leads: `operation` (a function name) with its parameters from the reply (runtime
    expressions such as `$response.body#/job_id`)."""

    name: str
    operation: str
    parameters: dict[str, str]


@dataclass(frozen=True)
class Reply:
    status: int
    description: str
    content: tuple[Content, ...] = ()
    headers: tuple[str, ...] = ()  # names in components/headers
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Operation:
    """One HTTP function: `function` is its name in the app (the operationId), `path` its route under /api."""

    function: str
    method: str
    path: str
    tag: str
    summary: str
    replies: tuple[Reply, ...]
    errors: tuple[int, ...] = ()
    error_notes: dict[int, str] = field(default_factory=dict)  # what an error status means for this operation
    params: tuple[Param, ...] = ()
    body: Any = None  # the request body's model, read with api.http.read_model (400, 413, 422)
    body_required: bool = True
    anonymous: bool = False
    description: str = ""


def json_reply(
    status: int, model: Any, description: str, headers: tuple[str, ...] = (), links: tuple[Link, ...] = ()
) -> Reply:
    return Reply(status, description, (Content(JSON, model),), headers, links)


def links_to(parameter: str, field_name: str, **operations: str) -> tuple[Link, ...]:
    """Links named by `operations` (link name -> function) passing the reply's `field_name` as `parameter`."""
    expression = f"$response.body#/{field_name}"
    return tuple(Link(name, function, {parameter: expression}) for name, function in operations.items())


def path_id(name: str, what: str) -> Param:
    return Param(name, "path", {"type": "string", "minLength": 1}, f"The {what}'s id.", required=True)


def limit(default: int, maximum: int) -> Param:
    schema = {"type": "integer", "minimum": 1, "maximum": maximum, "default": default}
    return Param("limit", "query", schema, f"Page size, 1 to {maximum} (default {default}).", empty_is_absent=True)


CONTINUATION = Param(
    "continuation",
    "query",
    {"type": "string"},
    "The `continuation` of the previous page; absent for the first page.",
    empty_is_absent=True,
)


def comma_list(name: str, item_ref: dict[str, Any], description: str) -> Param:
    schema = {"type": "array", "items": item_ref}
    return Param(name, "query", schema, description, comma_separated=True, empty_is_absent=True)


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


STARTED = ("Location", "Retry-After")  # a job starter's 202: where to poll, and how often
JOB_LINKS = links_to(
    "job_id",
    "job_id",
    GetJob="get_job",
    GetJobStatus="get_job_status",
    StreamJob="stream_job",
    CancelJob="cancel_job",
    RetryJob="retry_job",
)
JOB_ID = path_id("job_id", "job")
USER_ID = Param(
    "user_id", "path", {"type": "string", "minLength": 1}, "Must be the caller's own user id (403 otherwise).", True
)
START_FAILED = "The job was created but its orchestration could not start: it is marked failed (`start_failed`)."
TOO_MANY_JOBS = (
    "The caller already has MAX_ACTIVE_JOBS_PER_USER jobs queued or running (`too_many_active_jobs`, `details.limit`); "
    "nothing was created. `Retry-After` says when to ask again."
)
TOO_MANY_STREAMS = (
    "The caller already has MAX_STREAMS_PER_USER streams open on this instance (`too_many_streams`, "
    "`details.limit`). `Retry-After` says when the oldest ends by itself; poll `GET /api/jobs` meanwhile."
)
TOO_MANY_RECORDS = (
    "More records (documents in the folders x prompts) than MAX_RECORDS_PER_BATCH (`too_many_batch_records`, "
    "`details.limit`, `details.records`)"
)
