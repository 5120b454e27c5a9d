"""GET /api/openapi.json: the OpenAPI 3.1 description of every HTTP endpoint of the app.

The operations are listed in api/openapi_operations.py, api/openapi_job_operations.py, api/openapi_batch_operations.py
and api/openapi_operator_operations.py, one per HTTP function (a test compares them with the functions function_app.py
registers); every request and response schema is generated from the pydantic model the endpoint validates its
input with or builds its answer from, so the description follows the code. Anonymous, like the page: it describes
the API, not anyone's data.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable
from typing import Any

import azure.durable_functions as df
from azurefunctions.extensions.http.fastapi import Request, Response
from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import core_schema

from api.http import MUTATING_METHODS, ROUTE_PREFIX, base_url, handle_anonymous, json_response
from api.openapi_batch_operations import BATCHES, STREAMS
from api.openapi_dsl import ERROR_MEANINGS, JSON, Content, Operation, Param, Reply
from api.openapi_job_operations import JOBS, LEGACY
from api.openapi_operations import CONTRACTS, DOCUMENTS, PAGE
from api.openapi_operator_operations import OPERATOR
from shared.batches.models import RecordStatus, StagingResult
from shared.batches.running import RunResult
from shared.comparison.models import ComparisonResult
from shared.errors import ErrorBody
from shared.jobs.models import JobStatus, JobType
from shared.jobs.results import ResultView
from shared.query.models import QueryResult

bp = df.Blueprint()

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
OPERATIONS: tuple[Operation, ...] = (*CONTRACTS, *DOCUMENTS, *JOBS, *STREAMS, *BATCHES, *LEGACY, *OPERATOR, *PAGE)
SCHEMA_REF = "#/components/schemas/{model}"
# Always in components: the query filters refer to these enums, and ResultView.result to these results.
EXTRA_SCHEMAS: tuple[Any, ...] = (JobStatus, JobType, RecordStatus, ComparisonResult, QueryResult, StagingResult)
RESULTS = (ComparisonResult, QueryResult, StagingResult, RunResult)

HEADERS: dict[str, dict[str, Any]] = {
    "Location": {"description": "The URL of what was created, or where to poll.", "schema": {"type": "string"}},
    "Retry-After": {
        "description": "Seconds to wait before polling (or, on a 429, asking) again.",
        "schema": {"type": "integer"},
    },
    "ETag": {"description": "The file's version, for If-None-Match.", "schema": {"type": "string"}},
    "Content-Disposition": {"description": "`attachment; filename=...`", "schema": {"type": "string"}},
    "WWW-Authenticate": {"description": "How to authenticate.", "schema": {"type": "string"}},
}
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "appServicePrincipalId": {
        "type": "apiKey",
        "in": "header",
        "name": "X-MS-CLIENT-PRINCIPAL-ID",
        "description": "The signed-in user's id, set by App Service Authentication (EasyAuth) in front of the app; "
        "App Service drops this header when a client sends it; without App Service Authentication in Azure "
        "(WEBSITE_AUTH_ENABLED not true) every request is 401. On a local host (no WEBSITE_* platform variable) "
        "with DEV_USER_ID set, a request without it acts as that user.",
    },
    "appServicePrincipal": {
        "type": "apiKey",
        "in": "header",
        "name": "X-MS-CLIENT-PRINCIPAL",
        "description": "Base64 JSON of the principal's claims, set by App Service Authentication; the user id is "
        "the objectidentifier or nameidentifier claim.",
    },
    "easyAuthSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": "AppServiceAuthSession",
        "description": "How a browser on the app's own origin signs in: App Service Authentication's session "
        "cookie (/.auth/login/<provider>); App Service turns it into the principal headers.",
    },
    "easyAuthBearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An access token of the app's identity provider, validated by App Service Authentication.",
    },
}
DESCRIPTION = (
    "Long LLM work over legal contracts, run in the background on Azure Durable Functions: comparisons, queries, "
    "document batches; live progress by polling or Server-Sent Events. The caller is the App Service "
    "Authentication principal; another user's objects are 404. Every error has one shape: "
    '`{"error": {"code", "message", "details"}}`. POST, PUT, PATCH and DELETE bodies are JSON only (415 otherwise) '
    "and a request a browser marks cross-site is 403; a user holding too many jobs or streams at once gets 429 "
    "with Retry-After."
)


class ApiSchemas(GenerateJsonSchema):
    """In responses every field is present (bodies are dumped whole: no exclude_unset, no exclude_none), so the
    serialization schemas mark every field required; a field left out of a body is not in its schema at all."""

    def field_is_required(
        self,
        field: core_schema.ModelField | core_schema.DataclassField | core_schema.TypedDictField,
        total: bool,
    ) -> bool:
        return True if self.mode == "serialization" else super().field_is_required(field, total)


def _name(kind: Any) -> str:
    return getattr(kind, "__name__", None) or repr(kind)


class Schemas:
    """Collects the types the operations name, then generates their schemas at once (shared definitions)."""

    def __init__(self) -> None:
        self._inputs: dict[tuple[str, str], Any] = {}
        self.refs: dict[tuple[str, str], dict[str, Any]] = {}

    def want(self, kind: Any, mode: str) -> None:
        self._inputs[(_name(kind), mode)] = kind

    def generate(self) -> dict[str, Any]:
        inputs = [(key, key[1], TypeAdapter(kind)) for key, kind in self._inputs.items()]
        refs, definitions = TypeAdapter.json_schemas(
            inputs,  # type: ignore[arg-type]
            ref_template=SCHEMA_REF,
            schema_generator=ApiSchemas,
        )
        self.refs = {key: value for (key, _mode), value in refs.items()}
        return dict(definitions.get("$defs", {}))

    def of(self, kind: Any, mode: str = "serialization") -> dict[str, Any]:
        return self.refs[(_name(kind), mode)]


def _models(operations: Iterable[Operation]) -> Iterable[tuple[Any, str]]:
    for op in operations:
        if op.body is not None:
            yield op.body, "validation"
        for reply in op.replies:
            for content in reply.content:
                if content.model is not None:
                    yield content.model, "serialization"
                yield from ((kind, "serialization") for kind in content.events.values())
                for value in content.extensions.values():
                    kinds = value.values() if isinstance(value, dict) else [value]
                    yield from ((kind, "serialization") for kind in kinds)


def _event(name: str, data: dict[str, Any]) -> dict[str, Any]:
    """One Server-Sent Event as a client's parser sees it: its name, its JSON data, the id and retry fields."""
    return {
        "type": "object",
        "title": name,
        "properties": {
            "event": {"const": name},
            "data": {"type": "string", "contentMediaType": JSON, "contentSchema": data},
            "id": {"type": "string"},
            "retry": {"type": "integer"},
        },
        "required": ["event", "data"],
    }


def _content(content: Content, schemas: Schemas) -> dict[str, Any]:
    if content.model is not None:
        schema = schemas.of(content.model)
    elif content.events:
        # Each event, as before OpenAPI 3.2's itemSchema (the convention schemathesis reads for event streams).
        schema = {"oneOf": [_event(name, schemas.of(kind)) for name, kind in content.events.items()]}
    else:
        schema = content.schema if content.schema is not None else {"type": "object"}
    media: dict[str, Any] = {"schema": schema}
    for key, value in content.extensions.items():
        if isinstance(value, dict):
            media[key] = {name: schemas.of(kind) for name, kind in value.items()}
        else:
            media[key] = schemas.of(value)
    return media


def _reply(reply: Reply, schemas: Schemas) -> dict[str, Any]:
    body: dict[str, Any] = {"description": reply.description}
    if reply.headers:
        body["headers"] = {name: {"$ref": f"#/components/headers/{name}"} for name in reply.headers}
    if reply.content:
        body["content"] = {c.media_type: _content(c, schemas) for c in reply.content}
    if reply.links:
        body["links"] = {
            link.name: {"operationId": link.operation, "parameters": link.parameters} for link in reply.links
        }
    return body


def _error(status: int, note: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "description": note or ERROR_MEANINGS[status],
        "content": {JSON: {"schema": {"$ref": SCHEMA_REF.format(model="ErrorBody")}}},
    }
    if status == 401:
        body["headers"] = {"WWW-Authenticate": {"$ref": "#/components/headers/WWW-Authenticate"}}
    if status == 429:
        body["headers"] = {"Retry-After": {"$ref": "#/components/headers/Retry-After"}}
    return body


def _param(param: Param) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": param.name,
        "in": param.location,
        "required": param.required or param.location == "path",
        "description": param.description,
        "schema": param.schema,
    }
    if param.comma_separated:
        body |= {"style": "form", "explode": False}
    if param.empty_is_absent:
        body["allowEmptyValue"] = True
    return body


def error_statuses(op: Operation) -> list[int]:
    statuses = set(op.errors) | set(op.error_notes)
    if op.method.upper() in MUTATING_METHODS:
        statuses |= {403, 415}  # api.http.refuse_cross_site: another site's page, a body that is not JSON
    if op.body is not None:
        statuses |= {400, 413, 422}  # api.http.read_model: malformed, oversized, invalid
    if not op.anonymous:
        statuses.add(401)
    return sorted(statuses)


def _operation(op: Operation, schemas: Schemas) -> dict[str, Any]:
    body: dict[str, Any] = {"operationId": op.function, "tags": [op.tag], "summary": op.summary}
    if op.description:
        body["description"] = op.description
    if op.params:
        body["parameters"] = [_param(p) for p in op.params]
    if op.body is not None:
        body["requestBody"] = {
            "required": op.body_required,
            "content": {JSON: {"schema": schemas.of(op.body, "validation")}},
        }
    responses = {str(r.status): _reply(r, schemas) for r in op.replies}
    responses |= {str(s): _error(s, op.error_notes.get(s)) for s in error_statuses(op)}
    body["responses"] = responses
    if op.anonymous:
        body["security"] = []
    return body


@functools.cache
def _document() -> dict[str, Any]:
    schemas = Schemas()
    for kind, mode in _models(OPERATIONS):
        schemas.want(kind, mode)
    for kind in (ErrorBody, *EXTRA_SCHEMAS, *RESULTS):
        schemas.want(kind, "serialization")
    definitions = schemas.generate()
    # A stored result is the workflow's own result model (kept as a plain object in ResultView).
    result = definitions[ResultView.__name__]["properties"]["result"]
    result.clear()
    result["anyOf"] = [schemas.of(kind) for kind in RESULTS]
    result["description"] = "By job_type: " + ", ".join(map(_name, RESULTS))
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(ROUTE_PREFIX + op.path, {})[op.method.lower()] = _operation(op, schemas)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "Contract Jobs API", "version": API_VERSION, "description": DESCRIPTION},
        "tags": [{"name": name} for name in dict.fromkeys(op.tag for op in OPERATIONS)],
        "paths": paths,
        "components": {"schemas": definitions, "headers": HEADERS, "securitySchemes": SECURITY_SCHEMES},
        "security": [{name: []} for name in SECURITY_SCHEMES],
    }


def openapi_document(server: str | None = None) -> dict[str, Any]:
    """The description; `server` is the origin the app is reached at (paths start with /api)."""
    document = copy.deepcopy(_document())
    if server:
        document["servers"] = [{"url": server}]
    return document


@bp.route(route="openapi.json", methods=["GET"])
async def openapi_json(req: Request) -> Response:
    async def impl(req: Request) -> Response:
        return json_response(openapi_document(base_url(req)))

    return await handle_anonymous(req, impl)
