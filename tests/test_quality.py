"""Checks of the package as a whole: translations, icons, quality scale, manifest."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path
import re
import subprocess
from typing import Any

from homeassistant.core import HomeAssistant, SupportsResponse
from homeassistant.setup import async_setup_component
from PIL import Image
import pytest
import yaml

from custom_components.immich_bridge.api import (
    ImmichAuthenticationError,
    ImmichConnectionError,
    ImmichError,
    ImmichPermissionError,
    ImmichRateLimitError,
    ImmichResponseError,
    ImmichSSLError,
    ImmichUnsupportedVersionError,
)
from custom_components.immich_bridge.config_flow import error_key
from custom_components.immich_bridge.const import DOMAIN
from custom_components.immich_bridge.services import ACTIONS

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "custom_components" / DOMAIN

# Every rule of the Integration Quality Scale (hassfest's ALL_RULES).
RULES = {
    "bronze": [
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ],
    "silver": [
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ],
    "gold": [
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ],
    "platinum": ["async-dependency", "inject-websession", "strict-typing"],
}
ALL_RULES = [rule for rules in RULES.values() for rule in rules]
PLATFORM_MODULES = [
    "binary_sensor",
    "button",
    "event",
    "image",
    "sensor",
    "update",
]


def _load_json(path: Path) -> dict[str, Any]:
    """Read a JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Flatten nested translation dicts into dotted keys."""
    flat: dict[str, str] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{dotted}."))
        else:
            flat[dotted] = value
    return flat


def _translation_keys_in_code() -> tuple[set[str], set[tuple[str, str]]]:
    """Return literal translation keys and (prefix, suffix) f-string patterns."""
    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in PACKAGE.rglob("*.py")]
    constants = {
        target.id: node.value.value
        for tree in trees
        for node in tree.body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }
    literals: set[str] = {v for k, v in constants.items() if k.startswith("ISSUE_")}
    patterns: set[tuple[str, str]] = set()

    def collect(value: ast.expr) -> None:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            literals.add(value.value)
        elif isinstance(value, ast.Name) and value.id in constants:
            literals.add(constants[value.id])
        elif isinstance(value, ast.JoinedStr):
            parts = value.values
            prefix = parts[0].value if isinstance(parts[0], ast.Constant) else ""
            suffix = parts[-1].value if isinstance(parts[-1], ast.Constant) else ""
            patterns.add((str(prefix), str(suffix)))

    for tree in trees:
        for node in ast.walk(tree):
            # The actions build their errors with _invalid(key=...) / _failed(key=...).
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in {"_invalid", "_failed"}
            ):
                for keyword in node.keywords:
                    if keyword.arg == "key":
                        collect(keyword.value)
            if isinstance(node, ast.keyword) and node.arg == "translation_key":
                collect(node.value)
    return literals, patterns


def test_quality_scale_lists_every_rule() -> None:
    """List each of the 54 rules once, done or exempt with a reason."""
    data = yaml.safe_load((PACKAGE / "quality_scale.yaml").read_text())
    rules: dict[str, Any] = data["rules"]
    assert len(ALL_RULES) == 54
    assert sorted(rules) == sorted(ALL_RULES)
    for name, value in rules.items():
        if isinstance(value, str):
            assert value == "done", name
        else:
            assert value["status"] in {"done", "exempt"}, name
            assert value.get("comment"), name
    todo = [
        n for n, v in rules.items() if not isinstance(v, str) and v["status"] == "todo"
    ]
    assert not todo


def _status(rule: str) -> str:
    """Return a rule's status in quality_scale.yaml."""
    value = yaml.safe_load((PACKAGE / "quality_scale.yaml").read_text())["rules"][rule]
    return value if isinstance(value, str) else value["status"]


def _source(module: str) -> str:
    """Return a module of the package as text."""
    return (PACKAGE / f"{module}.py").read_text(encoding="utf-8")


def _brand_sizes_ok() -> bool:
    """Return True when the brand icons have Home Assistant's sizes."""
    with (
        Image.open(PACKAGE / "brand" / "icon.png") as icon,
        Image.open(PACKAGE / "brand" / "icon@2x.png") as icon2x,
    ):
        return icon.size == (256, 256) and icon2x.size == (512, 512)


CLAIMS: dict[str, Any] = {
    "diagnostics": lambda: (
        "async_get_config_entry_diagnostics" in _source("diagnostics")
    ),
    "reauthentication-flow": lambda: "async_step_reauth" in _source("config_flow"),
    "reconfiguration-flow": lambda: "async_step_reconfigure" in _source("config_flow"),
    "repair-issues": lambda: "async_create_issue" in _source("issues"),
    "parallel-updates": lambda: all(
        "PARALLEL_UPDATES = " in _source(m)
        for m in PLATFORM_MODULES
        if (PACKAGE / f"{m}.py").is_file()
    ),
    "has-entity-name": lambda: "_attr_has_entity_name = True" in _source("entity"),
    "runtime-data": lambda: all(
        "hass.data[DOMAIN]" not in p.read_text() for p in PACKAGE.rglob("*.py")
    ),
    "inject-websession": lambda: "async_get_clientsession" in _source("account"),
    "strict-typing": lambda: "strict = true" in (ROOT / "pyproject.toml").read_text(),
    "brands": _brand_sizes_ok,
    "docs-removal-instructions": lambda: (
        "## Removal" in (ROOT / "README.md").read_text()
    ),
    "integration-owner": lambda: bool(
        _load_json(PACKAGE / "manifest.json")["codeowners"]
    ),
    "action-setup": lambda: "async_setup_services(hass)" in _source("__init__"),
}


@pytest.mark.parametrize("rule", sorted(CLAIMS))
def test_quality_scale_claims_are_backed(rule: str) -> None:
    """Back each rule we claim as done with what the code has."""
    if _status(rule) == "done":
        assert CLAIMS[rule]()


def test_manifest_and_hacs() -> None:
    """Keep the manifest and hacs.json as HACS and hassfest want them."""
    manifest = _load_json(PACKAGE / "manifest.json")
    assert manifest["domain"] == DOMAIN
    assert manifest["name"] == "Immich Bridge"
    assert manifest["requirements"] == []
    assert manifest["config_flow"] is True
    assert manifest["iot_class"] == "local_polling"
    assert manifest["integration_type"] == "service"
    assert manifest["version"].count(".") == 2
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    hacs = _load_json(ROOT / "hacs.json")
    assert hacs["name"] == "Immich Bridge"
    assert hacs["homeassistant"] == "2026.2.0"


def test_english_translation_is_strings() -> None:
    """Ship strings.json unchanged as translations/en.json."""
    assert _load_json(PACKAGE / "strings.json") == _load_json(
        PACKAGE / "translations" / "en.json"
    )


def test_chinese_translation_has_the_same_keys() -> None:
    """Translate every string into Simplified Chinese, and nothing else."""
    english = _flatten(_load_json(PACKAGE / "strings.json"))
    chinese = _flatten(_load_json(PACKAGE / "translations" / "zh-Hans.json"))
    assert sorted(set(english) - set(chinese)) == []
    assert sorted(set(chinese) - set(english)) == []
    for key, text in english.items():
        # Placeholders must survive translation.
        for part in text.split("{")[1:]:
            placeholder = part.split("}")[0]
            if placeholder.isidentifier():
                assert f"{{{placeholder}}}" in chinese[key], (key, placeholder)


def test_translation_keys_exist_and_are_used() -> None:
    """Translate every key the code uses, and use every entity and exception key."""
    strings = _load_json(PACKAGE / "strings.json")
    literals, patterns = _translation_keys_in_code()
    known = set(strings.get("exceptions", {})) | set(strings.get("issues", {}))
    for platform in strings.get("entity", {}).values():
        known |= set(platform)
    missing = sorted(key for key in literals if key not in known)
    assert missing == []
    unused = sorted(
        key
        for key in known
        if key not in literals
        and not any(
            key.startswith(prefix) and key.endswith(suffix)
            for prefix, suffix in patterns
        )
    )
    assert unused == []


@pytest.mark.parametrize(
    ("error", "options"),
    [
        (ImmichAuthenticationError("x"), True),
        (ImmichPermissionError("x", permission="user.read"), False),
        (ImmichSSLError("x", certificate=True), True),
        (ImmichUnsupportedVersionError("1.0.0", "2.0.0"), False),
        (ImmichConnectionError("x"), True),
        (ImmichRateLimitError("x", retry_after=1.0), True),
        (ImmichResponseError("x", status=500), True),
    ],
)
def test_flow_errors_are_translated(error: ImmichError, *, options: bool) -> None:
    """Translate each error the config flow shows, and those the options flow shows.

    The options flow lists albums: a refusal (403) just leaves them out, and the
    version is checked only at setup.
    """
    strings = _load_json(PACKAGE / "strings.json")
    assert error_key(error) in strings["config"]["error"]
    if options:
        assert error_key(error) in strings["options"]["error"]


def test_icons_match_translations() -> None:
    """Give every entity an icon, and every action."""
    strings = _load_json(PACKAGE / "strings.json")
    icons = _load_json(PACKAGE / "icons.json")
    for platform, entities in strings.get("entity", {}).items():
        for key in entities:
            assert key in icons["entity"].get(platform, {}), (platform, key)
    for service in strings.get("services", {}):
        assert service in icons["services"], service


def test_services_are_described() -> None:
    """Describe and translate every action and its fields."""
    services = yaml.safe_load((PACKAGE / "services.yaml").read_text()) or {}
    strings = _load_json(PACKAGE / "strings.json").get("services", {})
    assert sorted(services) == sorted(strings)
    for name, service in services.items():
        assert strings[name]["name"]
        assert strings[name]["description"]
        for field in (service or {}).get("fields", {}):
            if field.startswith("_"):
                continue
            assert field in strings[name].get("fields", {}) or field in strings[
                name
            ].get("sections", {}), (name, field)


@pytest.mark.parametrize("doc", ["actions.md", "actions.zh-Hans.md"])
def test_docs_say_which_actions_return_nothing(doc: str) -> None:
    """Mark in the docs' action table exactly the actions that return nothing.

    Each row names one or more actions; its "Returns" cell gives one answer for all of
    them or one per action, separated by " / "; an en dash means nothing.
    """
    returns: dict[str, str] = {}
    for line in (ROOT / "docs" / doc).read_text().splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        names = re.findall(r"\[`(\w+)`\]", cells[0]) if len(cells) == 3 else []
        if not names:
            continue
        answers = cells[1].split(" / ")
        if len(answers) == 1:
            answers *= len(names)
        assert len(answers) == len(names), line
        returns.update(zip(names, answers, strict=True))
    assert sorted(returns) == sorted(ACTIONS)
    assert {name for name, answer in returns.items() if answer == "\u2013"} == {
        name
        for name, action in ACTIONS.items()
        if action.response is SupportsResponse.NONE
    }


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_translation_files_are_valid_json(lang: str) -> None:
    """Parse each translation file."""
    assert _load_json(PACKAGE / "translations" / f"{lang}.json")


async def test_actions_registered_without_entries(hass: HomeAssistant) -> None:
    """Register the actions once, in async_setup, before any entry exists."""
    assert await async_setup_component(hass, DOMAIN, {})
    assert hass.services.async_services_for_domain(DOMAIN)


@pytest.mark.parametrize(
    ("args", "parallel", "gate"),
    [
        ([], True, True),
        (["-m", "not e2e"], True, True),  # README's example: the whole tree but one
        (["-m", "not real", "-x"], True, True),
        (["-m", "real"], True, False),  # a subset
        (["-k", "config_flow"], True, False),
        (["tests/test_config_flow.py", "-x"], True, False),
        (["tests/test_init.py::test_unload"], True, False),
        (["-p", "no:xdist", "-m", "not e2e"], False, True),
    ],
)
def test_script_test_keeps_coverage_gate(
    args: list[str], parallel: bool, gate: bool
) -> None:
    """script/test keeps workers and coverage; the gate whenever the tree is whole."""
    done = subprocess.run(  # noqa: S603  # our own script, fixed arguments
        [str(ROOT / "script" / "test"), *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        env={**os.environ, "SCRIPT_TEST_PRINT": "1"},
    )
    command = done.stdout.split()
    assert command[:3] == ["python", "-m", "pytest"], done.stdout
    assert ("-n" in command) is parallel, done.stdout
    assert "--cov" in command, done.stdout
    assert ("--cov-fail-under=95" in command) is gate, done.stdout
    assert done.stdout.rstrip().endswith(" ".join(args)), done.stdout
