"""Cross-cutting HTTP behaviour: the principal header end to end, and no internals leak from a crash."""

from __future__ import annotations

import base64
import json
import sqlite3

import pytest
from azure.core.exceptions import ServiceResponseError
from azure.cosmos.exceptions import CosmosHttpResponseError

from tests.api.conftest import Api, upload

OID = "http://schemas.microsoft.com/identity/claims/objectidentifier"


async def test_encoded_principal_identifies_the_owner(api: Api) -> None:
    contract_id = await upload(api, user="oid-alice")
    principal = {"auth_typ": "aad", "claims": [{"typ": OID, "val": "oid-alice"}]}
    header = base64.b64encode(json.dumps(principal).encode()).decode()
    reply = await api.call("GET", f"/api/contracts/{contract_id}", user=None, headers={"x-ms-client-principal": header})
    assert reply.status == 200


async def test_unexpected_errors_are_500_without_internals(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> object:
        raise RuntimeError("cannot open /secret/path with key=abc123")

    monkeypatch.setattr("api.contracts.get_repositories", broken)
    reply = await api.call("GET", "/api/contracts")
    assert reply.status == 500
    assert reply.error_code == "internal_error"
    assert "secret" not in reply.body.decode() and "abc123" not in reply.body.decode()


@pytest.mark.parametrize(
    "failure",
    [
        CosmosHttpResponseError(status_code=503, message="Service is currently unavailable. ActivityId: 1f2e"),
        CosmosHttpResponseError(status_code=429, message="Request rate is large"),
        ServiceResponseError("('Connection aborted.', RemoteDisconnected('https://acct.documents.azure.com:443'))"),
        sqlite3.OperationalError("database is locked"),
    ],
)
async def test_a_store_that_is_not_answering_is_503_with_a_plain_message(
    api: Api, monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    def down(*args: object, **kwargs: object) -> object:
        raise failure

    monkeypatch.setattr("api.contracts.get_repositories", down)
    reply = await api.call("GET", "/api/contracts")
    assert reply.status == 503
    assert reply.error_code == "store_unavailable"
    assert reply.headers["retry-after"] == "5"
    body = reply.body.decode()
    for internal in ("ActivityId", "azure", "Remote", "443", "locked", "sqlite", "Error"):
        assert internal not in body, body
