"""The README's architecture block names every module of the app and devhost, in the entry of its package, and
every folder it names exists: a module added, moved or renamed without the README saying so fails here."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CODE = ("api", "orchestrators", "activities", "shared", "devhost")


def architecture_entries() -> dict[str, str]:
    """The block's entries: the name at the start of a line (`shared/query/`, `shared/*.py`) -> its whole text."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Architecture") :]
    block = section[section.index("```\n") + 4 :]
    block = block[: block.index("```")]
    entries: dict[str, str] = {}
    name = ""
    for line in block.splitlines():
        if line and not line.startswith(" "):
            name, _, text = line.partition(" ")
            entries[name] = text
        elif name:
            entries[name] += " " + line.strip()
    return entries


def entry_for(module: Path) -> str:
    """The entry a module belongs in: its top folder, shared's package, or `shared/*.py` for shared's own modules."""
    parts = module.relative_to(REPO).parts
    if parts[0] != "shared":
        return f"{parts[0]}/"
    return "shared/*.py" if len(parts) == 2 else f"shared/{parts[1]}/"


def modules() -> list[Path]:
    found = []
    for top in CODE:
        for path in sorted((REPO / top).rglob("*.py")):
            if path.name != "__init__.py" and "__pycache__" not in path.parts:
                found.append(path)
    return found


def test_every_module_is_named_in_its_packages_entry() -> None:
    entries = architecture_entries()
    missing = []
    for module in modules():
        entry = entries.get(entry_for(module))
        if entry is None or not re.search(rf"(?<![\w/]){re.escape(module.stem)}(?!\w)", entry):
            missing.append(f"{module.relative_to(REPO)} (entry {entry_for(module)!r})")
    assert missing == [], "modules the README's architecture does not name:\n" + "\n".join(missing)


def test_every_folder_the_block_names_exists() -> None:
    for name in architecture_entries():
        if name.endswith("/"):
            assert (REPO / name).is_dir(), name
        elif "*" not in name:
            assert (REPO / name).is_file(), name


def test_the_checker_sees_a_missing_module(tmp_path: Path) -> None:
    entries = architecture_entries()
    assert "shared/query/" in entries and re.search(r"(?<![\w/])retrieval(?!\w)", entries["shared/query/"])
    assert not re.search(r"(?<![\w/])no_such_module(?!\w)", entries["shared/query/"])
