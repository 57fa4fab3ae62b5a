"""The permission tables of the READMEs say what permissions.py says."""

from __future__ import annotations

from pathlib import Path
import re

import pytest

from custom_components.immich_bridge.permissions import ESSENTIAL, FEATURES

ROOT = Path(__file__).parent.parent


def _table(text: str, heading: str) -> list[tuple[set[str], bool]]:
    """Return (permissions, admin) of each row of the table under a heading."""
    section = text.split(heading, 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:]
    table = []
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        table.append(
            (set(re.findall(r"`([^`]+)`", cells[1])), cells[2] in {"yes", "是"})
        )
    return table


@pytest.mark.parametrize(
    ("readme", "heading"),
    [
        ("README.md", "### API key permissions"),
        ("README.zh-Hans.md", "### API 密钥权限"),
    ],
)
def test_readme_permission_table_matches_map(readme: str, heading: str) -> None:
    """One row per feature, in the map's order, with its permissions and role."""
    text = (ROOT / readme).read_text(encoding="utf-8")
    expected = [
        (set(requirement.permissions), requirement.admin)
        for requirement in FEATURES.values()
    ]
    assert _table(text, heading) == expected
    section = text.split(heading, 1)[1].split("|", 1)[0]
    assert all(f"`{p}`" in section for p in ESSENTIAL.permissions)
