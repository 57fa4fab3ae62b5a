"""Test that the client package stays free of Home Assistant."""

from __future__ import annotations

import ast
from pathlib import Path
import sys

import custom_components.immich_bridge.api as api_package

API_DIR = Path(api_package.__file__).parent


def _imported_modules(tree: ast.AST) -> set[str]:
    """Return every module an AST imports."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_no_homeassistant_import() -> None:
    """No module under api/ imports anything but the stdlib and aiohttp."""
    files = sorted(API_DIR.glob("*.py"))
    assert files
    for path in files:
        modules = _imported_modules(ast.parse(path.read_text(), filename=str(path)))
        for module in modules:
            top = module.split(".")[0]
            assert top != "homeassistant", f"{path.name} imports {module}"
            assert top in sys.stdlib_module_names or top == "aiohttp", (
                f"{path.name} imports {module}"
            )


def test_every_module_has_future_annotations() -> None:
    """Every module starts with `from __future__ import annotations`."""
    for path in sorted(API_DIR.glob("*.py")):
        tree = ast.parse(path.read_text())
        assert any(
            isinstance(node, ast.ImportFrom)
            and node.module == "__future__"
            and any(alias.name == "annotations" for alias in node.names)
            for node in tree.body
        ), path.name
