"""The caller's app roles: Entra ID app roles, which App Service Authentication (EasyAuth) passes as claims of the
principal in `X-MS-CLIENT-PRINCIPAL`.

The one role the app knows is `ops`: it opens the operations summary. Role claims are trusted exactly as far as the
caller's identity is (shared/identity.py: in Azure only with EasyAuth in front, which strips client-sent principal
headers). On a local host (shared/hosting.py: no WEBSITE_* platform variable), DEV_OPS=true gives the role to the
development caller, the DEV_USER_ID user; anywhere else the setting is ignored.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from shared.hosting import Hosting, get_hosting
from shared.identity import (
    PRINCIPAL_HEADER,
    AuthenticationRequired,
    Caller,
    Forbidden,
    decode_principal,
    header_value,
)
from shared.settings import Settings

OPS_ROLE = "ops"
KNOWN_ROLES = (OPS_ROLE,)
ROLE_CLAIM_TYPES = (
    "roles",  # Entra ID app roles as EasyAuth names them
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",  # the long form some providers send
)


class RoleRequired(Forbidden):
    """The caller is signed in but lacks the app role the endpoint needs (403)."""

    code = "role_required"


def roles_in_principal(principal: Mapping[str, Any]) -> frozenset[str]:
    """Every role claim's value: claims of type `roles`, the long role claim type, or the principal's own
    `role_typ` (EasyAuth states which claim type carries roles)."""
    types = set(ROLE_CLAIM_TYPES)
    if isinstance(principal.get("role_typ"), str):
        types.add(principal["role_typ"])
    claims = principal.get("claims")
    if not isinstance(claims, list):
        return frozenset()
    return frozenset(
        claim["val"].strip()
        for claim in claims
        if isinstance(claim, dict) and claim.get("typ") in types and isinstance(claim.get("val"), str)
    )


def caller_roles(
    headers: Mapping[str, str], caller: Caller, settings: Settings, hosting: Hosting | None = None
) -> frozenset[str]:
    """The app roles (of KNOWN_ROLES) the caller has."""
    hosting = hosting or get_hosting()
    roles: set[str] = set()
    if caller.source == "dev_user":
        # Only ever on a local host (resolve_caller assumes DEV_USER_ID nowhere else); checked again all the same.
        if settings.dev_ops and hosting.allows_dev_user:
            roles.add(OPS_ROLE)
    else:
        encoded = header_value(headers, PRINCIPAL_HEADER)
        if encoded:
            with contextlib.suppress(AuthenticationRequired):  # a principal that cannot be read has no role
                roles |= roles_in_principal(decode_principal(encoded))
    return frozenset(role for role in KNOWN_ROLES if role in roles)


def require_role(roles: frozenset[str], role: str) -> None:
    if role not in roles:
        raise RoleRequired(
            f"this needs the app role {role!r}: assign it to the user in the app's Entra ID registration"
            + (" (locally: DEV_OPS=true for the DEV_USER_ID user)" if role == OPS_ROLE else ""),
            details={"role": role},
        )
