"""Function keys: what FUNCTION/ADMIN-level functions and the Durable webhooks accept.

Settings read (local.settings.json `Values` or the environment):
  DEVHOST_FUNCTION_KEY  the default function key (FUNCTION level)
  DEVHOST_MASTER_KEY    the host master key (ADMIN level; also accepted everywhere else)
  DEVHOST_SYSTEM_KEY    the durabletask_extension system key (Durable webhooks)
A key that is not set is generated at start and printed.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

FUNCTION_KEY_SETTING = "DEVHOST_FUNCTION_KEY"
MASTER_KEY_SETTING = "DEVHOST_MASTER_KEY"
SYSTEM_KEY_SETTING = "DEVHOST_SYSTEM_KEY"


def _new_key() -> str:
    # Azure keys are 56 base64url-ish characters; the exact shape does not matter, unguessability does.
    return secrets.token_urlsafe(42)


@dataclass(frozen=True)
class HostKeys:
    function_key: str
    master_key: str
    system_key: str
    generated: frozenset[str] = field(default_factory=frozenset)
    """Setting names whose key was generated rather than configured (printed at start)."""

    @classmethod
    def from_settings(cls, environ: Mapping[str, str] | None = None) -> HostKeys:
        env = os.environ if environ is None else environ
        values: dict[str, str] = {}
        generated: set[str] = set()
        for name in (FUNCTION_KEY_SETTING, MASTER_KEY_SETTING, SYSTEM_KEY_SETTING):
            value = env.get(name)
            if not value:
                value = _new_key()
                generated.add(name)
            values[name] = value
        return cls(
            function_key=values[FUNCTION_KEY_SETTING],
            master_key=values[MASTER_KEY_SETTING],
            system_key=values[SYSTEM_KEY_SETTING],
            generated=frozenset(generated),
        )

    def allows(self, auth_level: str, presented: str | None) -> bool:
        """Whether `presented` (from x-functions-key or ?code=) opens a function of `auth_level`."""
        level = auth_level.lower()
        if level == "anonymous":
            return True
        if not presented:
            return False
        accepted = [self.master_key] if level == "admin" else [self.function_key, self.master_key]
        return any(_same(presented, key) for key in accepted)

    def allows_system(self, presented: str | None) -> bool:
        return bool(presented) and any(_same(presented or "", k) for k in (self.system_key, self.master_key))


def _same(a: str, b: str) -> bool:
    # Constant-time comparison: keys are secrets even on a dev box.
    return hmac.compare_digest(a.encode(), b.encode())
