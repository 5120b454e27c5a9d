"""Identity from App Service Authentication headers; DEV_USER_ID only on a local host.

The truth table at the end is the whole rule: the platform's variables (none, WEBSITE_SITE_NAME,
WEBSITE_INSTANCE_ID, WEBSITE_AUTH_ENABLED true/false, any other WEBSITE_* variable) x the request's headers (none, a
forged principal) x DEV_USER_ID / DEV_OPS set or not give a caller (with its roles) or a 401."""

from __future__ import annotations

import base64
import json

import pytest

from shared.hosting import Hosting, is_loopback
from shared.identity import (
    AuthenticationRequired,
    Caller,
    Forbidden,
    require_same_user,
    resolve_caller,
)
from shared.roles import OPS_ROLE, caller_roles
from shared.settings import Settings

LOCAL = Hosting.from_environ({})

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


def test_dev_user_only_on_a_local_host() -> None:
    assert resolve_caller({}, Settings(dev_user_id="dev-user"), LOCAL).user_id == "dev-user"
    with pytest.raises(AuthenticationRequired):
        resolve_caller({}, Settings(dev_user_id="dev-user"), Hosting.azure(easy_auth=True))
    with pytest.raises(AuthenticationRequired):
        resolve_caller({}, Settings(), LOCAL)


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
        resolve_caller(headers, Settings(), Hosting.azure(easy_auth=False))
    caller = resolve_caller(headers, Settings(), Hosting.azure(easy_auth=True))
    assert caller.user_id == "oid-123"


# --- the platform decides, and nothing else -----------------------------------------------------------------

FORGED = {"X-MS-CLIENT-PRINCIPAL-ID": "mallory", "X-MS-CLIENT-PRINCIPAL": principal((OID, "mallory"))}
DEV = Settings(dev_user_id="dev-user", dev_ops=True)
NO_DEV = Settings()

# (environment, trusts the principal headers, assumes the development user)
ENVIRONMENTS: dict[str, tuple[dict[str, str], bool, bool]] = {
    "none": ({}, True, True),
    "devhost or Core Tools (loopback WEBSITE_HOSTNAME)": ({"WEBSITE_HOSTNAME": "localhost:7071"}, True, True),
    "devhost on 127.0.0.1": ({"WEBSITE_HOSTNAME": "127.0.0.1:40123"}, True, True),
    "WEBSITE_SITE_NAME": ({"WEBSITE_SITE_NAME": "contract-jobs"}, False, False),
    "WEBSITE_INSTANCE_ID": ({"WEBSITE_INSTANCE_ID": "a1b2c3"}, False, False),
    "Azure, WEBSITE_AUTH_ENABLED=True": (
        {"WEBSITE_SITE_NAME": "contract-jobs", "WEBSITE_INSTANCE_ID": "a1b2", "WEBSITE_AUTH_ENABLED": "True"},
        True,
        False,
    ),
    "Azure (instance id only), WEBSITE_AUTH_ENABLED=true": (
        {"WEBSITE_INSTANCE_ID": "a1b2", "WEBSITE_AUTH_ENABLED": "true"},
        True,
        False,
    ),
    "Azure, WEBSITE_AUTH_ENABLED=False": (
        {"WEBSITE_SITE_NAME": "contract-jobs", "WEBSITE_AUTH_ENABLED": "False"},
        False,
        False,
    ),
    "Azure, WEBSITE_AUTH_ENABLED=1 (not what App Service sets)": (
        {"WEBSITE_SITE_NAME": "contract-jobs", "WEBSITE_AUTH_ENABLED": "1"},
        False,
        False,
    ),
    "WEBSITE_AUTH_ENABLED=true outside Azure": ({"WEBSITE_AUTH_ENABLED": "true"}, False, False),
    "WEBSITE_AUTH_ENABLED=false outside Azure": ({"WEBSITE_AUTH_ENABLED": "false"}, False, False),
    "another WEBSITE_* variable": ({"WEBSITE_TIME_ZONE": "Europe/Paris"}, False, False),
    "an empty WEBSITE_* variable": ({"WEBSITE_SITE_NAME": ""}, False, False),
    "a public WEBSITE_HOSTNAME": ({"WEBSITE_HOSTNAME": "contract-jobs.azurewebsites.net"}, False, False),
    # The settings that used to override the platform are ordinary variables now: they change nothing.
    "Azure with RUNNING_IN_AZURE=false": (
        {"WEBSITE_SITE_NAME": "contract-jobs", "RUNNING_IN_AZURE": "false"},
        False,
        False,
    ),
    "Azure with EASY_AUTH_ENABLED=true": (
        {"WEBSITE_SITE_NAME": "contract-jobs", "EASY_AUTH_ENABLED": "true"},
        False,
        False,
    ),
}


def expected(trusts: bool, dev: bool, forged: bool, dev_set: bool) -> tuple[str, frozenset[str]] | None:
    """The caller (user, roles) the truth table gives, or None for 401."""
    if not trusts:
        return None
    if forged:
        return ("mallory", frozenset())  # the headers are the platform's own here: their principal is the caller
    if dev and dev_set:
        return ("dev-user", frozenset({OPS_ROLE}))
    return None


@pytest.mark.parametrize("environment", list(ENVIRONMENTS))
@pytest.mark.parametrize("forged", [False, True], ids=["no headers", "forged principal"])
@pytest.mark.parametrize("dev_set", [False, True], ids=["no DEV_*", "DEV_USER_ID+DEV_OPS"])
def test_truth_table(environment: str, forged: bool, dev_set: bool) -> None:
    environ, trusts, dev = ENVIRONMENTS[environment]
    hosting = Hosting.from_environ(environ)
    settings = DEV if dev_set else NO_DEV
    headers = FORGED if forged else {}
    want = expected(trusts, dev, forged, dev_set)
    if want is None:
        with pytest.raises(AuthenticationRequired):
            resolve_caller(headers, settings, hosting)
        return
    caller = resolve_caller(headers, settings, hosting)
    assert (caller.user_id, caller_roles(headers, caller, settings, hosting)) == want


def test_the_truth_table_has_both_answers_where_a_caller_is_possible() -> None:
    # A table whose expectations were all 401 (or all callers) could not tell a broken rule from a right one.
    for forged, dev_set in [(True, False), (True, True), (False, True)]:
        refused = {expected(trusts, dev, forged, dev_set) is None for _, trusts, dev in ENVIRONMENTS.values()}
        assert refused == {True, False}, (forged, dev_set)


def test_dev_ops_never_reaches_a_caller_that_is_not_the_development_user() -> None:
    caller = Caller("dev-user", "principal_id")  # the same name, but from a principal header
    assert caller_roles({"X-MS-CLIENT-PRINCIPAL-ID": "dev-user"}, caller, DEV, LOCAL) == frozenset()


def test_why_a_caller_is_refused_names_the_platform_state() -> None:
    with pytest.raises(AuthenticationRequired, match="WEBSITE_TIME_ZONE"):
        resolve_caller({}, DEV, Hosting.from_environ({"WEBSITE_TIME_ZONE": "UTC"}))


@pytest.mark.parametrize(
    ("hostname", "loopback"),
    [
        ("localhost:7071", True),
        ("LOCALHOST", True),
        ("127.0.0.1:8080", True),
        ("127.1.2.3", True),
        ("[::1]:7071", True),
        ("::1", True),
        ("", True),
        ("contract-jobs.azurewebsites.net", False),
        ("10.0.0.4:80", False),
        ("localhost.evil.example", False),
        ("[::2]:7071", False),
    ],
)
def test_loopback_hostnames(hostname: str, loopback: bool) -> None:
    assert is_loopback(hostname) is loopback
