"""Where the app runs, decided by the platform's own variables and by nothing an app setting can say.

Identity hangs on this (shared/identity.py, shared/roles.py): whether `X-MS-CLIENT-PRINCIPAL*` headers can be
trusted and whether the development caller (`DEV_USER_ID`, `DEV_OPS`) may be assumed. So no app setting of ours
takes part; only variables App Service and the Functions hosts set themselves:

- **In Azure**: `WEBSITE_SITE_NAME` or `WEBSITE_INSTANCE_ID` is set (App Service sets both on every worker).
- **EasyAuth on**: `WEBSITE_AUTH_ENABLED` is `true` (App Service sets `True` when App Service Authentication is on;
  only then does it strip client-sent principal headers and set its own).
- **A local host** (devhost or Core Tools): no `WEBSITE_*` variable at all, except a `WEBSITE_HOSTNAME` that names
  a loopback host — both local hosts set it to their own address (`localhost:7071`, `127.0.0.1:<port>`), the way
  App Service sets it to the site's public name.

Everything else — a `WEBSITE_*` variable on a machine that is not in Azure, Azure without EasyAuth — is no known
platform, and identity fails closed (every caller 401).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass

from shared.singletons import ProcessSingleton

WEBSITE_PREFIX = "WEBSITE_"
SITE_NAME = "WEBSITE_SITE_NAME"
INSTANCE_ID = "WEBSITE_INSTANCE_ID"
AUTH_ENABLED = "WEBSITE_AUTH_ENABLED"
HOSTNAME = "WEBSITE_HOSTNAME"  # set by App Service (the site's name) and by the local hosts (their address)


@dataclass(frozen=True)
class Hosting:
    """What the platform says about where the app runs."""

    in_azure: bool = False  # WEBSITE_SITE_NAME or WEBSITE_INSTANCE_ID
    easy_auth: bool = False  # WEBSITE_AUTH_ENABLED=true
    local: bool = True  # no WEBSITE_* variable but a loopback WEBSITE_HOSTNAME
    website_variables: tuple[str, ...] = ()  # the WEBSITE_* names that were set (for messages)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Hosting:
        present = {name: value for name, value in environ.items() if name.upper().startswith(WEBSITE_PREFIX)}
        upper = {name.upper(): value.strip() for name, value in present.items()}
        in_azure = bool(upper.get(SITE_NAME) or upper.get(INSTANCE_ID))
        # Present at all, even empty, counts: a local host sets none of them, so any doubt is "not local".
        foreign = [name for name in present if name.upper() != HOSTNAME or not is_loopback(upper[HOSTNAME])]
        return cls(
            in_azure=in_azure,
            easy_auth=upper.get(AUTH_ENABLED, "").lower() == "true",
            local=not foreign,
            website_variables=tuple(sorted(present)),
        )

    @classmethod
    def azure(cls, *, easy_auth: bool) -> Hosting:
        """App Service as it is (tests): its name, instance and, with Authentication on, WEBSITE_AUTH_ENABLED."""
        environ = {SITE_NAME: "contract-jobs", INSTANCE_ID: "0" * 16, HOSTNAME: "contract-jobs.azurewebsites.net"}
        return cls.from_environ({**environ, **({AUTH_ENABLED: "True"} if easy_auth else {})})

    @property
    def trusts_principal_headers(self) -> bool:
        """Client principal headers are the platform's own: EasyAuth in front in Azure, or a local host (devhost
        strips client-sent ones unless told to simulate EasyAuth; Core Tools listens on this machine only)."""
        return (self.in_azure and self.easy_auth) or self.local

    @property
    def allows_dev_user(self) -> bool:
        """DEV_USER_ID and DEV_OPS apply: only on a local host (which is never in Azure)."""
        return self.local

    def refusal(self) -> str:
        """Why no caller is accepted here (when trusts_principal_headers is false)."""
        if self.in_azure:
            return (
                "App Service Authentication is not enabled on this app (WEBSITE_AUTH_ENABLED is not true); "
                "principal headers cannot be trusted"
            )
        return (
            f"the app runs on no known platform ({', '.join(self.website_variables)} set outside Azure): "
            "principal headers cannot be trusted and no development user is assumed"
        )


def is_loopback(hostname: str) -> bool:
    """`localhost[:port]`, `127.x.x.x[:port]` or `[::1][:port]` (an empty value names no public host either)."""
    host = hostname.strip().lower()
    if not host:
        return True
    if host.startswith("["):  # [::1]:7071
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:  # localhost:7071, 127.0.0.1:7071
        host = host.split(":", 1)[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_hosting = ProcessSingleton(lambda: Hosting.from_environ(os.environ))


def get_hosting() -> Hosting:
    """Where this process runs, read once from its environment (tests may install their own)."""
    return _hosting.get()


def use_hosting(hosting: Hosting | None) -> None:
    """Install `hosting` for this process (tests), or None to read the environment again on next use."""
    if hosting is None:
        _hosting.reset()
    else:
        _hosting.set(hosting)
