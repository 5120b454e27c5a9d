"""Identity from App Service Authentication headers; DEV_USER_ID only off Azure."""

from __future__ import annotations

import base64
import json

import pytest

from shared.identity import (
    AuthenticationRequired,
    Forbidden,
    require_same_user,
    resolve_caller,
)
from shared.settings import Settings

OID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
NAMEID = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"


def principal(*claims: tuple[str, str]) -> str:
    body = {"auth_typ": "aad", "claims": [{"typ": t, "val": v} for t, v in claims], "name_typ": "name"}
    return base64.b64encode(json.dumps(body).encode()).decode()


def test_principal_id_header_is_the_user() -> None:
    caller = resolve_caller({"X-MS-CLIENT-PRINCIPAL-ID": "oid-123"}, Settings())
    assert caller.user_id == "oid-123"


def test_object_id_claim_wins_over_name_identifier() -> None:
    encoded = principal((NAMEID, "name-id"), (OID, "object-id"))
    assert resolve_caller({"x-ms-client-principal": encoded}, Settings()).user_id == "object-id"


def test_name_identifier_claim_when_no_object_id() -> None:
    encoded = principal(("name", "Ada"), (NAMEID, "github|42")).rstrip("=")  # EasyAuth may drop padding
    assert resolve_caller({"x-ms-client-principal": encoded}, Settings()).user_id == "github|42"


def test_principal_without_user_claim_is_401() -> None:
    with pytest.raises(AuthenticationRequired, match="no user id claim"):
        resolve_caller({"x-ms-client-principal": principal(("name", "Ada"))}, Settings())


def test_garbage_principal_is_401_not_500() -> None:
    with pytest.raises(AuthenticationRequired):
        resolve_caller({"x-ms-client-principal": "%%%not-base64"}, Settings())


def test_dev_user_only_when_not_in_azure() -> None:
    assert resolve_caller({}, Settings(dev_user_id="dev-user")).user_id == "dev-user"
    with pytest.raises(AuthenticationRequired):
        resolve_caller({}, Settings(dev_user_id="dev-user", running_in_azure=True))
    with pytest.raises(AuthenticationRequired):
        resolve_caller({}, Settings())


def test_principal_beats_dev_user() -> None:
    caller = resolve_caller({"x-ms-client-principal-id": "real"}, Settings(dev_user_id="dev-user"))
    assert caller.user_id == "real"


def test_blank_principal_header_counts_as_absent() -> None:
    with pytest.raises(AuthenticationRequired):
        resolve_caller({"x-ms-client-principal-id": "  "}, Settings())


def test_path_user_must_be_caller() -> None:
    caller = resolve_caller({"x-ms-client-principal-id": "alice"}, Settings())
    require_same_user(caller, "alice")
    with pytest.raises(Forbidden):
        require_same_user(caller, "bob")


def test_in_azure_principal_headers_count_only_behind_easy_auth() -> None:
    headers = {"X-MS-CLIENT-PRINCIPAL-ID": "oid-123"}
    with pytest.raises(AuthenticationRequired, match="WEBSITE_AUTH_ENABLED"):
        resolve_caller(headers, Settings(running_in_azure=True, easy_auth_enabled=False))
    caller = resolve_caller(headers, Settings(running_in_azure=True, easy_auth_enabled=True))
    assert caller.user_id == "oid-123"
