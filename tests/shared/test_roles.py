"""App roles from the EasyAuth principal's claims (Entra ID app roles), and DEV_OPS for the local development caller
only: never in Azure, never for a principal."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from shared.hosting import Hosting
from shared.identity import Caller, Forbidden, resolve_caller
from shared.roles import OPS_ROLE, RoleRequired, caller_roles, require_role, roles_in_principal
from shared.settings import Settings

OID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
LONG_ROLE = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"


def principal(*claims: tuple[str, str], **fields: Any) -> str:
    body = {"auth_typ": "aad", "claims": [{"typ": t, "val": v} for t, v in claims], "name_typ": "name", **fields}
    return base64.b64encode(json.dumps(body).encode()).decode()


LOCAL = Hosting.from_environ({})
AZURE = Hosting.azure(easy_auth=True)


def roles_of(headers: dict[str, str], settings: Settings | None = None, hosting: Hosting = LOCAL) -> frozenset[str]:
    settings = settings or Settings()
    return caller_roles(headers, resolve_caller(headers, settings, hosting), settings, hosting)


@pytest.mark.parametrize("claim_type", ["roles", LONG_ROLE])
def test_an_app_role_claim_gives_the_role(claim_type: str) -> None:
    headers = {"X-MS-CLIENT-PRINCIPAL": principal((OID, "oid-1"), (claim_type, "ops"))}
    assert roles_of(headers) == {OPS_ROLE}


def test_the_principals_own_role_claim_type_counts_too() -> None:
    custom = "https://example.com/claims/app-role"
    assert roles_in_principal(json.loads(base64.b64decode(principal((custom, "ops"), role_typ=custom)))) == {"ops"}


def test_other_roles_and_other_claims_give_nothing() -> None:
    headers = {
        "x-ms-client-principal": principal((OID, "oid-1"), ("roles", "reader"), ("name", "ops"), ("roles", "Ops"))
    }
    assert roles_of(headers) == frozenset()


def test_a_principal_id_alone_or_an_unreadable_principal_has_no_role() -> None:
    assert roles_of({"x-ms-client-principal-id": "oid-1"}) == frozenset()
    headers = {"x-ms-client-principal-id": "oid-1", "x-ms-client-principal": "%%%not-base64"}
    assert roles_of(headers) == frozenset()


def test_dev_ops_gives_the_role_to_the_local_development_caller_only() -> None:
    local = Settings(dev_user_id="dev", dev_ops=True)
    assert roles_of({}, local) == {OPS_ROLE}
    assert roles_of({}, Settings(dev_user_id="dev")) == frozenset()  # DEV_OPS unset
    # A signed-in principal is not the development caller: its own claims decide.
    assert roles_of({"x-ms-client-principal-id": "someone"}, local) == frozenset()


def test_dev_ops_is_ignored_in_azure() -> None:
    dev = Settings(dev_user_id="dev", dev_ops=True)
    assert caller_roles({}, Caller("dev", "dev_user"), dev, AZURE) == frozenset()
    assert roles_of({"x-ms-client-principal-id": "oid-1"}, dev, AZURE) == frozenset()
    headers = {"x-ms-client-principal": principal((OID, "oid-1"), ("roles", "ops"))}
    assert roles_of(headers, dev, AZURE) == {OPS_ROLE}  # the real role works there


def test_require_role_is_a_403_naming_the_role() -> None:
    require_role(frozenset({OPS_ROLE}), OPS_ROLE)
    with pytest.raises(RoleRequired, match="'ops'") as refused:
        require_role(frozenset(), OPS_ROLE)
    assert isinstance(refused.value, Forbidden) and refused.value.details == {"role": "ops"}
