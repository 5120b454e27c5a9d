"""Mutating requests are JSON only and refused when a browser marks them cross-site (api/http.py), on every route
that mutates, before anything is read or created; bodiless actions and same-site requests still work."""

from __future__ import annotations

import re

import pytest

from api.openapi import openapi_document
from tests.api.conftest import CONTRACT_TEXT, Api, FakeDurableClient, upload

MUTATING = ("POST", "PUT", "PATCH", "DELETE")
BODY = b'{"title": "t", "text": "x"}'


def mutating_routes(api: Api) -> list[tuple[str, str]]:
    """(method, path) of every mutating route of the app, its path parameters filled in."""
    routes = []
    for function in api.functions:
        path = re.sub(r"\{[^}]+\}", "x", "/" + function.template.template)
        routes += [(method, path) for method in sorted(function.methods & set(MUTATING))]
    return routes


async def nothing_created(api: Api, durable: FakeDurableClient) -> None:
    assert durable.started == [] and durable.events == []
    assert (await api.call("GET", "/api/contracts")).json["contracts"] == []
    assert (await api.call("GET", "/api/batches")).json["batches"] == []
    assert (await api.call("GET", "/api/folders")).json["folders"] == []
    assert (await api.call("GET", "/api/jobs")).json["jobs"] == []


def test_the_app_has_mutating_routes_to_check(api: Api) -> None:
    routes = mutating_routes(api)
    assert ("POST", "/api/jobs/comparison") in routes and ("DELETE", "/api/contracts/x") in routes
    assert len(routes) >= 15


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
async def test_a_body_that_is_not_declared_json_is_415_on_every_mutating_route(
    api: Api, durable: FakeDurableClient, content_type: str
) -> None:
    for method, path in mutating_routes(api):
        reply = await api.call(method, path, raw=BODY, headers={"content-type": content_type})
        assert (reply.status, reply.error_code) == (415, "unsupported_media_type"), (method, path)
        assert reply.json["error"]["details"]["expected"] == "application/json"
    await nothing_created(api, durable)


async def test_a_body_without_a_content_type_is_415(api: Api) -> None:
    reply = await api.call("POST", "/api/contracts", raw=BODY, headers={"content-type": ""})
    assert (reply.status, reply.error_code) == (415, "unsupported_media_type")


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON;charset=UTF-8",
        'application/json; charset="utf-8"',
    ],
)
async def test_json_with_or_without_a_utf8_charset_is_accepted(api: Api, content_type: str) -> None:
    reply = await api.call(
        "POST",
        "/api/contracts",
        json_body={"title": "t", "text": CONTRACT_TEXT},
        headers={"content-type": content_type},
    )
    assert reply.status == 201, reply.body


@pytest.mark.parametrize("content_type", ["application/json; charset=latin-1", "application/jsonp", "text/json"])
async def test_other_json_lookalikes_are_415(api: Api, content_type: str) -> None:
    reply = await api.call("POST", "/api/contracts", json_body={"title": "t"}, headers={"content-type": content_type})
    assert reply.status == 415


async def test_a_cross_site_mutation_is_403_on_every_mutating_route(api: Api, durable: FakeDurableClient) -> None:
    for method, path in mutating_routes(api):
        for body in (BODY, b""):
            reply = await api.call(method, path, raw=body, headers={"sec-fetch-site": "cross-site"})
            assert (reply.status, reply.error_code) == (403, "cross_site_request"), (method, path)
    await nothing_created(api, durable)


async def test_another_origin_is_403_when_the_browser_sends_no_fetch_metadata(api: Api) -> None:
    for origin in ("https://evil.example", "null", "http://localhost:7072"):
        reply = await api.call(
            "POST", "/api/contracts", json_body={"title": "t", "text": "x"}, headers={"origin": origin}
        )
        assert (reply.status, reply.error_code) == (403, "cross_site_request"), origin
    reply = await api.call(
        "POST",
        "/api/contracts",
        json_body={"title": "t", "text": CONTRACT_TEXT},
        headers={"origin": "http://localhost:7071"},
    )
    assert reply.status == 201


@pytest.mark.parametrize("site", ["same-origin", "same-site", "none"])
async def test_same_origin_same_site_and_user_initiated_requests_are_served(
    api: Api, durable: FakeDurableClient, site: str
) -> None:
    reply = await api.call(
        "POST", "/api/contracts", json_body={"title": "t", "text": CONTRACT_TEXT}, headers={"sec-fetch-site": site}
    )
    assert reply.status == 201


async def test_reads_are_not_refused_cross_site(api: Api) -> None:
    # A cross-site GET cannot change anything, and its answer is not readable by the other site (no CORS).
    reply = await api.call("GET", "/api/contracts", headers={"sec-fetch-site": "cross-site"})
    assert reply.status == 200


async def test_bodiless_actions_need_no_content_type(api: Api, durable: FakeDurableClient) -> None:
    contract_id = await upload(api)
    reply = await api.call("DELETE", f"/api/contracts/{contract_id}", headers={"content-type": "text/plain"})
    assert reply.status == 204
    std, other = await upload(api, "A"), await upload(api, "B")
    body = {"request": {"standardContractId": std, "compareContractIds": [other]}}
    job = (await api.call("POST", "/api/jobs/comparison", json_body=body)).json
    reply = await api.call("POST", f"/api/jobs/{job['job_id']}/cancel")  # no body, no content type
    assert reply.status == 202


def test_the_description_lists_both_refusals_on_every_mutating_operation() -> None:
    paths = openapi_document()["paths"]
    mutating = [(m, p, op) for p, ops in paths.items() for m, op in ops.items() if m.upper() in MUTATING]
    assert len(mutating) >= 15
    for method, path, op in mutating:
        assert {"403", "415"} <= set(op["responses"]), (method, path)
        assert "cross_site_request" in op["responses"]["403"]["description"], (method, path)
