"""Function keys: what FUNCTION/ADMIN-level functions and the Durable webhooks accept.

Settings read (local.settings.json `Values` or the environment):
  DEVHOST_FUNCTION_KEY  the default function key (FUNCTION level)
  DEVHOST_MASTER_KEY    the host master key (ADMIN level; also accepted everywhere else)
  DEVHOST_SYSTEM_KEY    the durabletask_extension system key (Durable webhooks)
A key that is not set is generated once, printed, and kept in `<state dir>/host-keys.json` (mode 0600), so the
URLs that carry it (`statusQueryGetUri` and the other management URLs hold `code=<system key>`) keep working after
a restart or a crash, as they do in Azure, where the host keeps its keys in the storage account. A key set in
settings always wins over the stored one.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import os
import secrets
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger("devhost")

FUNCTION_KEY_SETTING = "DEVHOST_FUNCTION_KEY"
MASTER_KEY_SETTING = "DEVHOST_MASTER_KEY"
SYSTEM_KEY_SETTING = "DEVHOST_SYSTEM_KEY"
KEY_SETTINGS = (FUNCTION_KEY_SETTING, MASTER_KEY_SETTING, SYSTEM_KEY_SETTING)
KEYS_FILE_NAME = "host-keys.json"


def _new_key() -> str:
    # Azure keys are 56 base64url-ish characters; the exact shape does not matter, unguessability does.
    return secrets.token_urlsafe(42)


class KeyStoreError(Exception):
    """The key file in the state dir cannot be used (unreadable or not what devhost wrote)."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(
            f"{path}: {problem}. Fix the file, or delete it to generate new keys "
            "(URLs that carry the old keys then answer 401)"
        )
        self.path = path


@dataclass(frozen=True)
class HostKeys:
    function_key: str
    master_key: str
    system_key: str
    generated: frozenset[str] = field(default_factory=frozenset)
    """Setting names whose key was generated (now or at an earlier start) rather than configured."""

    @classmethod
    def from_settings(
        cls, environ: Mapping[str, str] | None = None, stored: Mapping[str, str] | None = None
    ) -> HostKeys:
        """Keys from settings; an unset (or empty) one comes from `stored`, else is generated."""
        env = os.environ if environ is None else environ
        kept = stored or {}
        values: dict[str, str] = {}
        generated: set[str] = set()
        for name in KEY_SETTINGS:
            value = env.get(name)
            if not value:
                value = kept.get(name) or _new_key()
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


def keys_file(state_dir: Path) -> Path:
    return Path(state_dir) / KEYS_FILE_NAME


def load_host_keys(state_dir: Path, environ: Mapping[str, str] | None = None) -> HostKeys:
    """The host's keys: settings first, then the keys generated at an earlier start, then new ones (stored)."""
    env = os.environ if environ is None else environ
    if all(env.get(name) for name in KEY_SETTINGS):
        return HostKeys.from_settings(env)  # every key configured: the stored ones do not matter
    path = keys_file(state_dir)
    stored = read_stored_keys(path)
    missing = [name for name in KEY_SETTINGS if not env.get(name) and name not in stored]
    if missing:
        stored = {**stored, **{name: _new_key() for name in missing}}
        _write_atomically(path, stored)
    return HostKeys.from_settings(env, stored)


def read_stored_keys(path: Path) -> dict[str, str]:
    """The generated keys kept in `path` ({} when there is no file yet)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyStoreError(path, f"cannot be read ({exc})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KeyStoreError(path, f"is not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise KeyStoreError(path, f"must hold a JSON object, not {type(data).__name__}")
    for name in KEY_SETTINGS:
        if name in data and not (isinstance(data[name], str) and data[name]):
            raise KeyStoreError(path, f"{name} must be a non-empty string")
    _restrict_to_owner(path)
    return {name: data[name] for name in KEY_SETTINGS if name in data}


def _restrict_to_owner(path: Path) -> None:
    # The file holds secrets: someone who copied it around with a loose mode gets it tightened, with a warning.
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        logger.warning("%s was readable by others (mode %o); set to 0600", path, mode)
        path.chmod(0o600)


def _write_atomically(path: Path, keys: Mapping[str, str]) -> None:
    """Replace `path` in one step: a crash leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file 0600 whatever the umask, so the keys are never readable by others, not even briefly.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(dict(keys), fh, indent=2, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not possible on every platform (Windows), where it is skipped.
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
