"""The import report (script/imports.py): its three views and its exit code."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).parents[1] / "script" / "imports.py"


def _report() -> ModuleType:
    """Load script/imports.py (the scripts are not a package)."""
    spec = importlib.util.spec_from_file_location("imports_report", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _package(root: Path, files: dict[str, str]) -> Path:
    """Write a small package: file path -> source."""
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return root


def test_three_views(tmp_path: Path) -> None:
    """The library folds into one node on floor 1; inside it, its own floors."""
    report = _report()
    package = _package(
        tmp_path / "pkg",
        {
            "__init__.py": "from .platform import setup\n",
            "const.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from .platform import setup\n"
            ),
            "api/__init__.py": "from .client import Client\n",
            "api/client.py": "from .errors import Error\n",
            "api/errors.py": "class Error(Exception): ...\n",
            "helpers.py": "from .api import Client\nfrom .const import X\n",
            "platform.py": "def setup():\n    from .helpers import X\n",
        },
    )
    graph = report.imports(package)
    assert report.floors(graph) == {
        "__init__": 6,
        "api": 3,
        "api.client": 2,
        "api.errors": 1,
        "const": 1,  # the TYPE_CHECKING import does not count
        "helpers": 4,
        "platform": 5,  # the import inside a function does
    }
    assert report.floors(report.library_as_one(graph)) == {
        "__init__": 4,
        "api": 1,
        "const": 1,
        "helpers": 2,
        "platform": 3,
    }
    assert report.floors(report.library_only(graph)) == {
        "api": 3,
        "api.client": 2,
        "api.errors": 1,
    }


def test_a_cycle_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 1 and name the modules of a cycle."""
    report = _report()
    package = _package(
        tmp_path / "pkg",
        {"__init__.py": "", "a.py": "from .b import x\n", "b.py": "from .a import y\n"},
    )
    monkeypatch.setattr("sys.argv", ["imports.py", str(package)])
    assert report.main() == 1
    assert "cycle: a <-> b" in capsys.readouterr().out


def test_the_integration_has_no_cycle(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The integration's imports make no cycle; the library is one node on floor 1."""
    report = _report()
    package = SCRIPT.parents[1] / "custom_components" / "immich_bridge"
    monkeypatch.setattr("sys.argv", ["imports.py", str(package)])
    assert report.main() == 0
    assert "  floor 1: api, const" in capsys.readouterr().out
