"""The layout DESIGN.md promises, checked on the source: no module of the app or devhost takes part in an import
cycle (imports inside functions and under TYPE_CHECKING count: a deferred import only hides a cycle), and the layers
import only what they may (api/ never activities/ or orchestrators/; shared/ nothing above it; orchestrators/ only
the messages, names and models of shared/; devhost/ nothing of the app)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
APP_AND_DEVHOST = ("function_app.py", "api", "activities", "orchestrators", "shared", "devhost")
ORCHESTRATOR_MAY_IMPORT = ("messages", "names", "models")

Graph = dict[str, set[str]]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files(roots: tuple[str, ...]) -> Iterator[Path]:
    for root in roots:
        path = REPO / root
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def imported_names(module: str, path: Path) -> Iterator[str]:
    """Every dotted name the module imports, wherever the import statement is (module level, function, if-block)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, base] if base else package)
            # `from a import b` imports module a.b when b is a module, else a name of a: both resolve below.
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph(roots: tuple[str, ...] = APP_AND_DEVHOST) -> Graph:
    files = {module_name(p): p for p in source_files(roots)}

    def resolve(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph: Graph = {}
    for module, path in files.items():
        targets = (resolve(name) for name in imported_names(module, path))
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(graph[succ]))))
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_cycle_finder_finds_a_deferred_cycle_and_nothing_else(tmp_path: Path) -> None:
    graph: Graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_deferred_relative_and_type_checking_imports_count(tmp_path: Path) -> None:
    source = tmp_path / "client.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from pkg.framing import Frame\n"
        "def call():\n    from . import replies\n    import pkg.sizing\n",
        encoding="utf-8",
    )
    names = set(imported_names("pkg.client", source))
    assert {"pkg.framing.Frame", "pkg.replies", "pkg.sizing"} <= names


def test_no_module_of_the_app_or_devhost_is_in_an_import_cycle() -> None:
    found = cycles(import_graph())
    assert found == [], "import cycles (deferred imports included):\n" + "\n".join(" <-> ".join(c) for c in found)


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("api", ("activities", "orchestrators", "devhost")),
        ("activities", ("api", "orchestrators", "devhost")),
        ("shared", ("api", "activities", "orchestrators", "devhost", "function_app")),
        ("orchestrators", ("api", "activities", "devhost")),
    ],
)
def test_layers_import_only_what_they_may(layer: str, forbidden: tuple[str, ...]) -> None:
    graph = import_graph()
    wrong = sorted(
        f"{module} -> {dep}"
        for module, deps in graph.items()
        if module.split(".")[0] == layer
        for dep in deps
        if dep.split(".")[0] in forbidden
    )
    assert wrong == []


def test_orchestrators_import_only_messages_names_and_models_from_shared() -> None:
    graph = import_graph()
    wrong = sorted(
        f"{module} -> {dep}"
        for module, deps in graph.items()
        if module.startswith("orchestrators.")
        for dep in deps
        if dep.startswith("shared.") and dep.rpartition(".")[2] not in ORCHESTRATOR_MAY_IMPORT
    )
    assert wrong == []


def test_devhost_imports_nothing_of_the_app() -> None:
    graph = import_graph()
    wrong = sorted(
        f"{module} -> {dep}"
        for module, deps in graph.items()
        if module.startswith("devhost")
        for dep in deps
        if not dep.startswith("devhost")
    )
    assert wrong == []
