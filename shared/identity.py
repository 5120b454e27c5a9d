"""Who is calling: the App Service Authentication (EasyAuth) principal, and nothing the client can forge.

App Service strips client-sent `X-MS-CLIENT-PRINCIPAL*` headers and sets its own after signing the user in, so
these headers are the only identity source. A `user_id` in a query string is never read; a `user_id` in a path
must be the caller's own (403 otherwise). Without a principal the caller is 401, except on a local host (no
`WEBSITE_*` platform variable: shared/hosting.py) with `DEV_USER_ID` set: then that user is assumed, for
development. Whether principal headers are trusted at all is the platform's to say, never an app setting's: in Azure
only with App Service Authentication on (`WEBSITE_AUTH_ENABLED`); on no known platform nobody is (401).
"""

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from shared.errors import DomainError
from shared.hosting import Hosting, get_hosting
from shared.settings import Settings, get_settings

PRINCIPAL_ID_HEADER = "x-ms-client-principal-id"
PRINCIPAL_HEADER = "x-ms-client-principal"

# Claims that carry a stable user id, most specific first (Entra ID object id, then the generic name id).
USER_ID_CLAIMS = (
    "http://schemas.microsoft.com/identity/claims/objectidentifier",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier",
)

IdentitySource = Literal["principal_id", "principal", "dev_user"]


class AuthenticationRequired(DomainError):
    """No usable principal (401)."""

    code = "unauthenticated"


class Forbidden(DomainError):
    """An authenticated caller asked for another user's collection by path (403)."""

    code = "forbidden"


@dataclass(frozen=True)
class Caller:
    user_id: str
    source: IdentitySource


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value, stripped (None when absent or blank)."""
    # Starlette's Headers are case-insensitive; plain dicts (tests, queue paths) may not be.
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    value = value.strip() if value else None
    return value or None


def decode_principal(encoded: str) -> dict[str, Any]:
    """The JSON object inside `X-MS-CLIENT-PRINCIPAL`; AuthenticationRequired when it is not one."""
    try:
        padded = encoded + "=" * (-len(encoded) % 4)
        principal = json.loads(base64.b64decode(padded, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise AuthenticationRequired(f"{PRINCIPAL_HEADER} is not base64-encoded JSON") from exc
    if not isinstance(principal, dict):
        raise AuthenticationRequired(f"{PRINCIPAL_HEADER} does not hold a JSON object")
    return principal


def user_id_from_principal(principal: Mapping[str, Any]) -> str | None:
    claims = principal.get("claims")
    if not isinstance(claims, list):
        return None
    by_type: dict[str, str] = {}
    for claim in claims:
        if isinstance(claim, dict) and isinstance(claim.get("typ"), str) and isinstance(claim.get("val"), str):
            by_type.setdefault(claim["typ"], claim["val"].strip())
    return next((by_type[t] for t in USER_ID_CLAIMS if by_type.get(t)), None)


def resolve_caller(
    headers: Mapping[str, str], settings: Settings | None = None, hosting: Hosting | None = None
) -> Caller:
    """The calling user, from the EasyAuth headers (or DEV_USER_ID on a local host); AuthenticationRequired if
    none."""
    settings = settings or get_settings()
    hosting = hosting or get_hosting()
    if not hosting.trusts_principal_headers:
        # Without EasyAuth in front, App Service passes client-sent principal headers through: anyone could
        # claim to be anyone. Refuse every caller rather than trust a forgeable header.
        raise AuthenticationRequired(hosting.refusal())
    principal_id = header_value(headers, PRINCIPAL_ID_HEADER)
    if principal_id:
        return Caller(principal_id, "principal_id")
    encoded = header_value(headers, PRINCIPAL_HEADER)
    if encoded:
        user_id = user_id_from_principal(decode_principal(encoded))
        if user_id:
            return Caller(user_id, "principal")
        raise AuthenticationRequired(f"{PRINCIPAL_HEADER} has no user id claim (expected one of {USER_ID_CLAIMS})")
    if hosting.allows_dev_user and settings.dev_user_id:
        return Caller(settings.dev_user_id, "dev_user")
    raise AuthenticationRequired("sign in required: no App Service Authentication principal on the request")


def require_same_user(caller: Caller, path_user_id: str) -> None:
    """A path that names a user must name the caller: listing someone else's jobs is forbidden, not empty."""
    if path_user_id != caller.user_id:
        raise Forbidden(f"user {path_user_id!r} is not the signed-in user", details={"user_id": path_user_id})
