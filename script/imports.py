"""Report the import graph of the integration: cycles and floors, in three views.

A module's floor is one more than the highest floor of the modules it imports
(a module importing nothing of the package is on floor 1). Imports under
`if TYPE_CHECKING:` are left out: they never run. Imports inside functions are
counted: they still tie the modules together. A cycle is reported as the modules
of one strongly connected component; its members share one floor.

Three views, because the package holds two things:
- modules: every module of the package on its own (the whole graph);
- glue, with `api/` as one node: `api/` is the Immich client library (no Home
  Assistant import; it could be published as it is). HA core's integrations get
  their client from PyPI and count it as nothing: elgato reads "const,
  coordinator, entity, platforms, `__init__`" over python-elgato. Folding every
  `api.*` module into one `api` node gives the same measure for our glue;
- inside `api/`: the library's own modules, as its own package would be measured.

Usage: python script/imports.py [package folder]; exits 1 when any view has a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path
import sys

DEFAULT_PACKAGE = Path("custom_components/immich_bridge")
LIBRARY = "api"  # the client library's subpackage


def _module_name(package: Path, path: Path) -> str:
    """Name a file by its dotted path inside the package (`api.client`)."""
    parts = list(path.relative_to(package).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or "__init__"


def _is_type_checking(node: ast.If) -> bool:
    """Tell whether an `if` is `if TYPE_CHECKING:`."""
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Return every node outside `if TYPE_CHECKING:` blocks."""
    found: list[ast.AST] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        found.append(node)
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))
    return found


def _resolve(current: str, node: ast.ImportFrom, *, is_package: bool) -> str:
    """Return the dotted module a relative `from … import` names."""
    base = current.split(".") if current != "__init__" else []
    if not is_package:
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    if node.module:
        base = [*base, *node.module.split(".")]
    return ".".join(base) or "__init__"


def imports(package: Path) -> dict[str, set[str]]:
    """Return, for each module, the modules of the package it imports at run time."""
    files = {_module_name(package, path): path for path in package.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _runtime_nodes(tree):
            if not isinstance(node, ast.ImportFrom) or node.level == 0:
                continue
            target = _resolve(name, node, is_package=path.name == "__init__.py")
            for alias in node.names:
                sub = f"{target}.{alias.name}" if target != "__init__" else alias.name
                if sub in files:
                    graph[name].add(sub)
                elif target in files:
                    graph[name].add(target)
        graph[name].discard(name)
    return graph


def components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected components (Tarjan), dependencies first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def floors(graph: dict[str, set[str]]) -> dict[str, int]:
    """Return each module's floor; the members of a cycle share one."""
    floor: dict[str, int] = {}
    for group in components(graph):  # dependencies come first
        members = set(group)
        below = [
            floor[dep] for node in group for dep in graph[node] if dep not in members
        ]
        for node in group:
            floor[node] = 1 + max(below, default=0)
    return floor


def _in_library(name: str) -> bool:
    """Tell whether a module belongs to the client library (`api`, `api.x`)."""
    return name == LIBRARY or name.startswith(f"{LIBRARY}.")


def library_as_one(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Return the graph with every module of the library folded into one node."""

    def node(name: str) -> str:
        return LIBRARY if _in_library(name) else name

    folded: dict[str, set[str]] = {}
    for name, deps in graph.items():
        folded.setdefault(node(name), set()).update(node(dep) for dep in deps)
    for name, deps in folded.items():
        deps.discard(name)
    return folded


def library_only(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Return the graph of the library's modules among themselves."""
    return {
        name: {dep for dep in deps if _in_library(dep)}
        for name, deps in graph.items()
        if _in_library(name)
    }


def report(title: str, graph: dict[str, set[str]]) -> int:
    """Print one view's floors and cycles; return its number of cycles."""
    floor = floors(graph)
    cycles = [group for group in components(graph) if len(group) > 1]
    top = max(floor.values(), default=0)
    print(f"{title}:")  # noqa: T201
    for level in range(1, top + 1):
        names = sorted(name for name, at in floor.items() if at == level)
        print(f"  floor {level}: {', '.join(names)}")  # noqa: T201
    print(f"  {len(graph)} modules on {top} floors, {len(cycles)} cycles")  # noqa: T201
    for group in cycles:
        print(f"  cycle: {' <-> '.join(group)}")  # noqa: T201
    return len(cycles)


def main() -> int:
    """Print the three views' floors and cycles; return 1 when there is a cycle."""
    package = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PACKAGE
    graph = imports(package)
    cycles = report("modules", graph)
    cycles += report(f"glue ({LIBRARY}/ as one node)", library_as_one(graph))
    cycles += report(f"inside {LIBRARY}/", library_only(graph))
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main())
