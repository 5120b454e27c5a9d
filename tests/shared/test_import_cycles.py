"""No import cycles through shared/llm, shared/text or shared/telemetry, counting every import: at module level,
inside functions and under TYPE_CHECKING (a deferred import only hides a cycle, it does not break it)."""

from __future__ import annotations

import ast
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
GUARDED = ("shared.llm", "shared.text", "shared.telemetry")


def modules() -> dict[str, Path]:
    found = {}
    for path in SHARED.rglob("*.py"):
        parts = list(path.relative_to(SHARED.parent).with_suffix("").parts)
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def import_graph(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the modules of shared/ it imports. `from pkg import submodule` is an edge to the submodule only
    (that the package's __init__ runs first is true of every submodule import, and not a dependency)."""

    def within(name: str) -> str | None:
        parts = name.split(".")
        return next((".".join(parts[:i]) for i in range(len(parts), 0, -1) if ".".join(parts[:i]) in mods), None)

    graph: dict[str, set[str]] = {}
    for module, path in mods.items():
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        targets: list[str | None] = []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets += [within(alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                source = ".".join([*base, *([node.module] if node.module else [])])
                for alias in node.names:
                    full = f"{source}.{alias.name}"
                    targets.append(full if full in mods else within(source))
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while (top := stack.pop()) != node:
                component.append(top)
            component.append(node)
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_deferred_and_type_checking_imports() -> None:
    graph = import_graph(modules())
    assert "shared.text.docx_reader" in graph["shared.text.extraction"]  # imported inside extract_text
    assert "shared.analysis.base" in graph["shared.llm.framing"]  # imported under TYPE_CHECKING


def test_no_import_cycle_goes_through_llm_text_or_telemetry() -> None:
    through = [c for c in cycles(import_graph(modules())) if any(m.startswith(GUARDED) for m in c)]
    assert not through, f"import cycles: {through}"
