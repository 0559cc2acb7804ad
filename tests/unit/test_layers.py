"""The layer's shape: no import cycles, thin functions, and every lazy import with its reason.

The layer contracts themselves (which package may import which) are import-linter's, in
pyproject.toml, run by ``make lint``; these are the rules it cannot state.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "common" / "astca"
FUNCTIONS = sorted((ROOT / "functions").glob("*/app.py"))
# What a function may import of the layer: the edges (web, consumers), the use cases and the API models.
FUNCTION_IMPORTS = re.compile(r"astca(\.(web|consumers|services|api)(\..+)?)?")
LAZY = re.compile(r"noqa: PLC0415")


def _cycles(graph: grimp.ImportGraph) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(component)

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_the_layer_has_no_import_cycles() -> None:
    graph = grimp.build_graph("astca", include_external_packages=False)
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for module in ("a", "a.x", "a.y", "a.z"):
        graph.add_module(module)
    graph.add_import(importer="a.x", imported="a.y")
    graph.add_import(importer="a.y", imported="a.x")
    graph.add_import(importer="a.z", imported="a.x")
    assert _cycles(graph) == [{"a.x", "a.y"}]


@pytest.mark.parametrize("app", FUNCTIONS, ids=lambda path: path.parent.name)
def test_a_function_imports_only_the_edges_services_and_api(app: Path) -> None:
    imported = []
    for node in ast.walk(ast.parse(app.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.append(node.module)
        elif isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
    layer = [name for name in imported if name == "astca" or name.startswith("astca.")]
    assert [name for name in layer if not FUNCTION_IMPORTS.fullmatch(name)] == []


def test_every_lazy_import_in_the_layer_says_why() -> None:
    unexplained = []
    for path in sorted(LAYER.rglob("*.py")):
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines):
            if not LAZY.search(line):
                continue
            reason = re.search(r"PLC0415\s*-\s*\S", line)
            previous = [text.strip() for text in lines[:number] if text.strip()]
            above = previous[-1] if previous else ""
            block_reason = above.startswith("#") or LAZY.search(above) is not None
            if not reason and not block_reason:
                unexplained.append(f"{path.relative_to(LAYER)}:{number + 1}")
    assert unexplained == []
