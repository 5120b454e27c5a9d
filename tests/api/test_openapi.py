"""GET /api/openapi.json: valid OpenAPI 3.1, one operation per HTTP function the app registers, request and response
schemas that are the models' own, the error shape on every error, and real replies of the functions that match it
(the schemathesis run, tests/e2e/test_schemathesis.py, does the same at scale against the app under devhost)."""

from __future__ import annotations

import json
import re
from typing import Any

from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator

from api.openapi import SCHEMA_REF, openapi_document
from shared.contracts.models import ContractCreated, ContractUpload
from shared.documents.models import DocumentUpload
from shared.jobs.document import JobSubmitted
from tests.api.conftest import Api, Reply, upload
from tests.api.test_batches_api import run, staged_batch

ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}
SAMPLE_VALUES = {"folder": "Vendors/2025", "path": "app.js"}  # catch-all routes: a value with a slash, a web file


def document() -> dict[str, Any]:
    return openapi_document("http://localhost:7071")


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method.upper(), op) for path, methods in doc["paths"].items() for method, op in methods.items()]


def assert_described(doc: dict[str, Any], method: str, template: str, reply: Reply) -> None:
    """The reply's status, content type, documented headers and JSON body are as the description says."""
    described = doc["paths"][template][method.lower()]["responses"].get(str(reply.status))
    assert described is not None, f"{method} {template}: {reply.status} is not described"
    for header in described.get("headers", {}):
        assert header.lower() in reply.headers, f"{method} {template} {reply.status}: no {header} header"
    if "content" not in described:
        assert not reply.body, f"{method} {template} {reply.status}: a body that is not described"
        return
    media_type = reply.headers["content-type"].split(";")[0].strip()
    assert media_type in described["content"], f"{method} {template}: {media_type} is not described"
    if media_type != "application/json":  # a file (a report, an export): a string of bytes, described as such
        assert described["content"][media_type]["schema"]["type"] == "string" and reply.body
        return
    schema = {**described["content"][media_type]["schema"], "components": doc["components"]}
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in Draft202012Validator(schema).iter_errors(reply.json)
    ]
    assert not errors, f"{method} {template} {reply.status}: {errors[:5]}"


async def test_the_description_is_valid_openapi_3_1_and_anonymous(api: Api) -> None:
    reply = await api.call("GET", "/api/openapi.json", user=None)
    assert reply.status == 200 and reply.headers["content-type"].startswith("application/json")
    doc = reply.json
    assert doc["openapi"] == "3.1.0"
    assert [e.message for e in OpenAPIV31SpecValidator(doc).iter_errors()] == []
    assert doc["servers"] == [{"url": "http://localhost:7071"}]  # paths start with /api
    assert doc["paths"]["/api/openapi.json"]["get"]["security"] == []


def test_every_http_function_is_described_once_and_routes_to_it(api: Api) -> None:
    """Adding an HTTP function without its operation (or removing one) fails here."""
    doc = document()
    registered = {(f.info.name, method) for f in api.functions for method in f.methods}
    described = [(op["operationId"], method) for _, method, op in operations(doc)]
    assert len(described) == len(set(described))
    assert set(described) == registered
    for template, method, op in operations(doc):
        concrete = re.sub(r"\{(\w+)\}", lambda m: SAMPLE_VALUES.get(m.group(1), f"x-{m.group(1)}"), template)
        function, _ = api.resolve(method, concrete)
        assert function.info.name == op["operationId"], f"{method} {concrete} reaches {function.info.name}"


def test_request_and_response_schemas_are_the_models_own() -> None:
    doc = document()
    schemas = doc["components"]["schemas"]
    body = doc["paths"]["/api/contracts"]["post"]["requestBody"]
    assert body == {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": SCHEMA_REF.format(model="ContractUpload")}}},
    }
    # Request models as pydantic validates them (the upload's "text or a file" rule included).
    assert schemas["ContractUpload"] == ContractUpload.model_json_schema(ref_template=SCHEMA_REF)
    assert schemas["DocumentUpload"] == DocumentUpload.model_json_schema(ref_template=SCHEMA_REF)
    assert "oneOf" in schemas["ContractUpload"]
    # Responses: every field of the model, each one always there; what the API leaves out is not described.
    for model in (ContractCreated, JobSubmitted):
        assert set(schemas[model.__name__]["properties"]) == set(model.model_fields)
        assert set(schemas[model.__name__]["required"]) == set(model.model_fields)
    assert "user_id" not in schemas["ContractDetail"]["properties"]
    assert not {"user_id", "blob_name"} & set(schemas["DocumentView"]["properties"])
    assert "name" in schemas["BatchDetail"]["properties"] and "user_id" not in schemas["BatchDetail"]["properties"]
    # A comparison's findings may be not_assessed (a clause the model left out), and its result says so.
    finding_status = schemas["ClauseFinding"]["properties"]["status"]
    assert finding_status["enum"][-1] == "not_assessed" and "not_assessed" in finding_status["description"]
    assert all("warnings" in schemas[name]["required"] for name in ("ComparisonResult", "ContractComparison"))
    # A query says what a model is sent of each contract: ranked clauses by default, or every clause.
    for name in ("QueryJobRequest-Input", "LegacyQueryRequest"):
        retrieval = schemas[name]["properties"]["retrieval"]
        assert (retrieval["enum"], retrieval["default"]) == (["ranked", "all"], "ranked"), name
        assert "retrieval" not in schemas[name].get("required", []) and "every clause" in retrieval["description"]
    # The body of a run is optional; the status of a running job is a 202 with where and when to poll again.
    assert doc["paths"]["/api/batches/{batch_id}/run"]["post"]["requestBody"]["required"] is False
    status = doc["paths"]["/api/jobs/{job_id}/status"]["get"]["responses"]
    assert set(status["202"]["headers"]) == {"Location", "Retry-After"} and "headers" not in status["200"]


def test_every_error_is_the_error_shape_and_every_caller_may_be_refused() -> None:
    doc = document()
    info = doc["components"]["schemas"]["ErrorInfo"]
    assert set(info["required"]) == {"code", "message", "details"}
    for template, method, op in operations(doc):
        responses = op["responses"]
        for status, response in responses.items():
            if int(status) >= 400 and op["operationId"] != "jobs_health":
                assert response["content"] == {"application/json": {"schema": ERROR_BODY}}, (method, template, status)
        if op.get("security") != []:
            assert "401" in responses and "WWW-Authenticate" in responses["401"]["headers"], (method, template)
        if "requestBody" in op:
            assert {"400", "413", "422"} <= set(responses), (method, template)
    schemes = doc["components"]["securitySchemes"]
    assert schemes["appServicePrincipalId"] == {
        **schemes["appServicePrincipalId"],
        "in": "header",
        "name": "X-MS-CLIENT-PRINCIPAL-ID",
    }


def test_streams_and_exports_are_described_with_their_media_types() -> None:
    paths = document()["paths"]
    job_stream = paths["/api/jobs/{job_id}/stream"]["get"]["responses"]
    events = job_stream["200"]["content"]["text/event-stream"]["schema"]["oneOf"]
    assert [e["properties"]["event"]["const"] for e in events] == ["job_update", "heartbeat", "error"]
    assert events[0]["properties"]["data"]["contentSchema"]["oneOf"]  # the job, typed by job_type
    assert "204" in job_stream
    user_stream = paths["/api/jobs/stream"]["get"]["responses"]["200"]["content"]["text/event-stream"]["schema"]
    assert [e["properties"]["event"]["const"] for e in user_stream["oneOf"]] == ["jobs_update", "heartbeat", "error"]
    csv = paths["/api/batches/{batch_id}/export.csv"]["get"]["responses"]["200"]
    jsonl = paths["/api/batches/{batch_id}/export.jsonl"]["get"]["responses"]["200"]
    assert list(csv["content"]) == ["text/csv"] and list(jsonl["content"]) == ["application/x-ndjson"]
    assert "Content-Disposition" in csv["headers"] and "Content-Disposition" in jsonl["headers"]


async def test_replies_of_the_contract_and_job_functions_match_the_description(api: Api) -> None:
    doc = document()
    created = await api.call("POST", "/api/contracts", json_body={"title": "MSA", "text": "1. Term. One year."})
    assert_described(doc, "POST", "/api/contracts", created)
    contract_id = created.json["contract_id"]
    other = await upload(api, title="Other")
    checks: list[tuple[str, str, Reply]] = [
        ("GET", "/api/contracts", await api.call("GET", "/api/contracts")),
        ("GET", "/api/contracts/{contract_id}", await api.call("GET", f"/api/contracts/{contract_id}")),
        ("GET", "/api/contracts/{contract_id}", await api.call("GET", "/api/contracts/nope")),
        ("POST", "/api/contracts", await api.call("POST", "/api/contracts", json_body={"title": "x"})),
        ("POST", "/api/contracts", await api.call("POST", "/api/contracts", raw=b"{oops")),
        ("GET", "/api/contracts", await api.call("GET", "/api/contracts", query="limit=0")),
        ("GET", "/api/contracts", await api.call("GET", "/api/contracts", user=None)),
        ("GET", "/api/jobs/health", await api.call("GET", "/api/jobs/health", user=None)),
        ("GET", "/api/folders", await api.call("GET", "/api/folders")),
        (
            "POST",
            "/api/documents",
            await api.call(
                "POST", "/api/documents", json_body={"folder": "A", "filename": "a.txt", "content_base64": "QQ=="}
            ),
        ),
    ]
    body = {"request": {"standardContractId": contract_id, "compareContractIds": [other]}}
    submitted = await api.call("POST", "/api/jobs/comparison", json_body=body)
    job_id = submitted.json["job_id"]
    checks += [
        ("POST", "/api/jobs/comparison", submitted),
        ("GET", "/api/jobs", await api.call("GET", "/api/jobs")),
        ("GET", "/api/jobs/{job_id}", await api.call("GET", f"/api/jobs/{job_id}")),
        ("GET", "/api/jobs/{job_id}/status", await api.call("GET", f"/api/jobs/{job_id}/status")),
        ("POST", "/api/jobs/{job_id}/cancel", await api.call("POST", f"/api/jobs/{job_id}/cancel")),
        ("POST", "/api/jobs/{job_id}/cancel", await api.call("POST", f"/api/jobs/{job_id}/cancel")),
        ("GET", "/api/jobs/user/{user_id}", await api.call("GET", "/api/jobs/user/bob")),
        ("POST", "/api/compare-contracts", await api.call("POST", "/api/compare-contracts", json_body=body["request"])),
    ]
    for method, template, reply in checks:
        assert_described(doc, method, template, reply)
    assert [reply.status for *_, reply in checks] == [
        200,
        200,
        404,
        422,
        400,
        400,
        401,
        200,
        200,
        503,
        202,
        200,
        200,
        202,
        202,
        409,
        403,
        200,
    ]


async def test_replies_of_the_batch_functions_match_the_description(api: Api, repos: Any) -> None:
    doc = document()
    batch_id = await staged_batch(api, repos)
    await run(api, repos, batch_id)
    base = "/api/batches/{batch_id}"
    checks = [
        ("GET", "/api/batches", await api.call("GET", "/api/batches")),
        ("GET", base, await api.call("GET", f"/api/batches/{batch_id}")),
        ("GET", f"{base}/responses", await api.call("GET", f"/api/batches/{batch_id}/responses")),
        ("POST", f"{base}/cancel", await api.call("POST", f"/api/batches/{batch_id}/cancel")),
        ("POST", f"{base}/run", await api.call("POST", f"/api/batches/{batch_id}/run", json_body={"mode": "economy"})),
        ("POST", f"{base}/stage", await api.call("POST", f"/api/batches/{batch_id}/stage")),
    ]
    for method, template, reply in checks:
        assert_described(doc, method, template, reply)
    assert [reply.status for *_, reply in checks] == [200, 200, 200, 409, 422, 409]
    detail = checks[1][2].json
    assert detail["summary"] is not None and detail["actions"]


async def test_what_schemathesis_found_is_answered_as_described(api: Api) -> None:
    """The findings of the schemathesis run (tests/e2e/test_schemathesis.py), each answered as described now, and one
    found while describing the query parameters (digits int() cannot read)."""
    doc = document()
    contract_id = await upload(api)
    # A blank id names nothing: 404 (it was a 422 "missing path parameter"); a blank user is not the caller: 403.
    assert_described(doc, "GET", "/api/contracts/{contract_id}", blank := await api.call("GET", "/api/contracts/ "))
    assert blank.status == 404
    assert (await api.call("GET", "/api/jobs/user/ ")).status == 403
    # A continuation that is not one of ours is a bad query parameter: 400 (it was a 422).
    garbage = await api.call("GET", "/api/contracts", query="continuation=garbage!")
    assert_described(doc, "GET", "/api/contracts", garbage)
    assert garbage.status == 400 and garbage.error_code == "invalid_continuation"
    # JSON true is not a number (pydantic's lax mode took it for 0.0 / 1).
    config = {"name": "B", "folders": ["F"], "prompts": [{"name": "P", "text": "T"}], "model": {"temperature": False}}
    assert (await api.call("POST", "/api/batches", json_body=config)).status == 422
    job = {"request": {"standardContractId": contract_id, "compareContractIds": ["c2"]}, "priority": True}
    assert (await api.call("POST", "/api/jobs/comparison", json_body=job)).status == 422
    # Digits int() cannot read are not a page size (they were a 500), nor a stream's Last-Event-ID.
    odd = await api.call("GET", "/api/contracts", query="limit=%C2%B2")
    assert odd.status == 400
    status, _, _ = await api.open_stream("/api/jobs/nope/stream", headers={"Last-Event-ID": "²"})
    assert status == 200
    # An empty query parameter is the same as none (allowEmptyValue in the description).
    empty = await api.call("GET", "/api/contracts", query="limit=&continuation=")
    assert empty.status == 200
    assert doc["paths"]["/api/contracts"]["get"]["parameters"][0]["allowEmptyValue"] is True


def test_the_description_is_json_and_the_same_each_time() -> None:
    first, second = document(), document()
    assert first == second and json.loads(json.dumps(first)) == first
