"""The key store: generated keys are kept in the state dir and reused, so URLs carrying them survive a restart."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from devhost.host import DevHost
from devhost.keys import (
    FUNCTION_KEY_SETTING,
    KEY_SETTINGS,
    MASTER_KEY_SETTING,
    SYSTEM_KEY_SETTING,
    HostKeys,
    KeyStoreError,
    keys_file,
    load_host_keys,
)
from tests.devhost.helpers import APPS


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that would make new files world-readable: the key file must be 0600 regardless."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keys_are_generated_once_and_reused(tmp_path: Path) -> None:
    first = load_host_keys(tmp_path / "state", {})
    again = load_host_keys(tmp_path / "state", {})
    assert (again.function_key, again.master_key, again.system_key) == (
        first.function_key,
        first.master_key,
        first.system_key,
    )
    assert len({first.function_key, first.master_key, first.system_key}) == 3
    assert first.generated == again.generated == set(KEY_SETTINGS)
    # A URL carrying the first start's system key still opens the Durable webhooks.
    assert again.allows_system(first.system_key)


def test_each_state_dir_has_its_own_keys(tmp_path: Path) -> None:
    assert load_host_keys(tmp_path / "a", {}).system_key != load_host_keys(tmp_path / "b", {}).system_key


def test_key_file_is_readable_only_by_the_user(tmp_path: Path, open_umask: None) -> None:
    load_host_keys(tmp_path / "state", {})
    path = keys_file(tmp_path / "state")
    assert _mode(path) == 0o600
    # Written in one step: nothing but the key file is left behind in the state dir.
    assert [p.name for p in (tmp_path / "state").iterdir()] == [path.name]


def test_a_loosened_key_file_is_tightened(tmp_path: Path) -> None:
    first = load_host_keys(tmp_path, {})
    keys_file(tmp_path).chmod(0o644)
    assert load_host_keys(tmp_path, {}).master_key == first.master_key
    assert _mode(keys_file(tmp_path)) == 0o600


def test_settings_win_over_stored_keys(tmp_path: Path) -> None:
    stored = load_host_keys(tmp_path, {})
    configured = load_host_keys(tmp_path, {SYSTEM_KEY_SETTING: "from-settings", FUNCTION_KEY_SETTING: "fk"})
    assert configured.system_key == "from-settings" and configured.function_key == "fk"
    assert configured.master_key == stored.master_key
    assert configured.generated == {MASTER_KEY_SETTING}
    assert not configured.allows_system(stored.system_key)
    # The stored key is kept, not overwritten: unset the setting and the earlier URLs work again.
    assert load_host_keys(tmp_path, {}).system_key == stored.system_key


def test_empty_setting_counts_as_unset(tmp_path: Path) -> None:
    stored = load_host_keys(tmp_path, {})
    assert load_host_keys(tmp_path, {SYSTEM_KEY_SETTING: ""}).system_key == stored.system_key


def test_only_unset_keys_are_generated_and_stored(tmp_path: Path) -> None:
    load_host_keys(tmp_path, {FUNCTION_KEY_SETTING: "fk", MASTER_KEY_SETTING: "mk"})
    stored = json.loads(keys_file(tmp_path).read_text(encoding="utf-8"))
    assert set(stored) == {SYSTEM_KEY_SETTING}  # configured secrets are not copied to disk


def test_all_keys_configured_writes_no_file(tmp_path: Path) -> None:
    keys = load_host_keys(tmp_path, {name: f"v-{name}" for name in KEY_SETTINGS})
    assert keys.generated == frozenset()
    assert not keys_file(tmp_path).exists()


def test_a_key_missing_from_the_file_is_added(tmp_path: Path) -> None:
    tmp_path.joinpath("host-keys.json").write_text(json.dumps({MASTER_KEY_SETTING: "kept"}), encoding="utf-8")
    keys = load_host_keys(tmp_path, {})
    assert keys.master_key == "kept"
    assert load_host_keys(tmp_path, {}).system_key == keys.system_key


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"DEVHOST_SYSTEM_KEY": "abc"', "is not valid JSON"),
        ('["abc"]', "must hold a JSON object, not list"),
        ('{"DEVHOST_SYSTEM_KEY": ""}', "DEVHOST_SYSTEM_KEY must be a non-empty string"),
        ('{"DEVHOST_MASTER_KEY": 42}', "DEVHOST_MASTER_KEY must be a non-empty string"),
    ],
)
def test_a_corrupt_key_file_is_refused_clearly_and_left_alone(tmp_path: Path, content: str, problem: str) -> None:
    path = keys_file(tmp_path)
    path.write_text(content, encoding="utf-8")
    with pytest.raises(KeyStoreError) as info:
        load_host_keys(tmp_path, {})
    message = str(info.value)
    assert str(path) in message and problem in message
    assert "delete it to generate new keys" in message
    # Silently replacing the keys would break every URL handed out with them: the file is not touched.
    assert path.read_text(encoding="utf-8") == content


def test_a_corrupt_key_file_does_not_matter_when_every_key_is_configured(tmp_path: Path) -> None:
    keys_file(tmp_path).write_text("not json", encoding="utf-8")
    assert load_host_keys(tmp_path, {name: "set" for name in KEY_SETTINGS}).system_key == "set"


def test_a_failed_write_keeps_the_previous_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_host_keys(tmp_path, {FUNCTION_KEY_SETTING: "fk"})
    before = keys_file(tmp_path).read_text(encoding="utf-8")

    def fail(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        load_host_keys(tmp_path, {})  # needs to add the function key: a write
    assert keys_file(tmp_path).read_text(encoding="utf-8") == before
    assert [p.name for p in tmp_path.iterdir()] == ["host-keys.json"]


# --- through the host ---------------------------------------------------------------------------------------------


@pytest.fixture
def no_keys_in_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in KEY_SETTINGS:
        monkeypatch.delenv(name, raising=False)


async def test_devhost_reuses_generated_keys_and_says_where_they_are(tmp_path: Path, no_keys_in_shell: None) -> None:
    lines: list[str] = []
    # The durable test app sets its function and system keys; the master key is generated.
    async with DevHost(APPS / "durable", tmp_path / "state", port=0, echo=lines.append) as first:
        assert first.keys is not None
        master_key = first.keys.master_key
    async with DevHost(APPS / "durable", tmp_path / "state", port=0, echo=lines.append) as second:
        assert second.keys is not None and second.keys.master_key == master_key
        assert second.keys.function_key == "fk"  # from local.settings.json
    assert f"Master key (generated; set DEVHOST_MASTER_KEY to fix it): {master_key}" in lines
    kept = f"Generated keys are kept in {keys_file(tmp_path / 'state')} and reused at the next start"
    assert lines.count(kept) == 2


async def test_devhost_refuses_to_start_on_a_corrupt_key_file(tmp_path: Path, no_keys_in_shell: None) -> None:
    (tmp_path / "state").mkdir()
    keys_file(tmp_path / "state").write_text("{not json", encoding="utf-8")
    with pytest.raises(KeyStoreError, match="delete it to generate new keys"):
        await DevHost(APPS / "durable", tmp_path / "state", port=0, echo=lambda _: None).start()


def test_keys_levels() -> None:
    keys = HostKeys.from_settings({"DEVHOST_FUNCTION_KEY": "f", "DEVHOST_MASTER_KEY": "m"})
    assert keys.generated == {"DEVHOST_SYSTEM_KEY"}
    assert keys.allows("anonymous", None)
    assert keys.allows("function", "f") and keys.allows("function", "m")
    assert not keys.allows("function", "x") and not keys.allows("function", None)
    assert keys.allows("admin", "m") and not keys.allows("admin", "f")
    assert keys.allows_system(keys.system_key) and keys.allows_system("m") and not keys.allows_system("f")


def test_generated_keys_differ() -> None:
    keys = HostKeys.from_settings({})
    assert len({keys.function_key, keys.master_key, keys.system_key}) == 3
