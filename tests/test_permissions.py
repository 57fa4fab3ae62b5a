"""The permission tables of the READMEs say what permissions.py says."""

from __future__ import annotations

import json
from pathlib import Path
import re

import pytest

from custom_components.immich_bridge.permissions import ESSENTIAL, FEATURES
from tests.key_recipes import RECIPES

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
    assert ESSENTIAL.permissions == ()  # any key sets up, as the READMEs say


@pytest.mark.parametrize(
    ("readme", "heading"),
    [
        ("README.md", "### Which key should I make"),
        ("README.zh-Hans.md", "### 应该创建哪种密钥"),
    ],
)
def test_readme_key_recipes_match(readme: str, heading: str) -> None:
    """The "which key" table is the recipes the real-server tier checks."""
    text = (ROOT / readme).read_text(encoding="utf-8")
    expected = [(set(recipe.permissions), recipe.admin) for recipe in RECIPES]
    assert _table(text, heading) == expected


def test_recipes_unlock_what_the_map_says() -> None:
    """Each recipe's key unlocks exactly its features by the map (no server needed)."""
    for recipe in RECIPES:
        granted = frozenset(recipe.permissions)
        unlocked = {
            feature
            for feature, requirement in FEATURES.items()
            if "all" in granted or set(requirement.permissions) <= granted
        }
        assert unlocked == recipe.unlocks, recipe.use


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_feature_labels_have_no_colon(lang: str) -> None:
    """The setup summary lists "- feature: permissions": labels hold no colon."""
    path = ROOT / "custom_components/immich_bridge/translations" / f"{lang}.json"
    labels = json.loads(path.read_text(encoding="utf-8"))["selector"]["feature"]
    assert set(FEATURES) <= set(labels["options"])
    assert [label for label in labels["options"].values() if ":" in label] == []
