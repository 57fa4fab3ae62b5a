"""The shipped blueprints: valid, and installed into the configuration without loss."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint import models
from homeassistant.core import HomeAssistant
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich_bridge.blueprint_files import (
    SHIPPED,
    STORAGE_KEY,
    async_install_blueprints,
    install_blueprints,
)

SHIPPED_FILES = sorted(SHIPPED.rglob("*.yaml"))


def _target(config_dir: Path, name: str) -> Path:
    return config_dir / "blueprints" / "automation" / "immich_bridge" / name


def _ship(folder: Path, files: dict[str, str]) -> Path:
    """Lay out a shipped-blueprints folder with these automation blueprints."""
    for name, text in files.items():
        path = folder / "automation" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


def test_blueprints_ship_inside_the_package() -> None:
    """HACS installs the package only: every blueprint of the project is in it."""
    names = {path.name for path in SHIPPED_FILES}
    assert names >= {
        "camera_snapshot_to_album.yaml",
        "new_photo_of_person_notify.yaml",
        "memories_on_frame.yaml",
    }
    assert not (SHIPPED.parents[2] / "blueprints").exists()


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda path: path.name)
def test_shipped_blueprint_is_valid(path: Path) -> None:
    """Home Assistant accepts each blueprint; its source URL is where it ships."""
    data = load_yaml_dict(path)
    blueprint = models.Blueprint(
        data,
        expected_domain="automation",
        path=path.name,
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )
    assert blueprint.validate() is None
    relative = path.relative_to(SHIPPED.parents[2]).as_posix()
    assert blueprint.metadata["source_url"].endswith(f"/blob/main/{relative}")
    for name, spec in blueprint.inputs.items():
        assert spec, f"input {name} has no name"
        assert spec.get("name"), f"input {name} has no name"


async def test_setup_installs_every_blueprint(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Setting the integration up copies the blueprints, and remembers what it wrote."""
    config_dir = Path(hass.config.config_dir)
    for path in SHIPPED_FILES:
        assert _target(config_dir, path.name).read_bytes() == path.read_bytes()
    installed = hass_storage[STORAGE_KEY]["data"]["installed"]
    assert set(installed) == {f"automation/{path.name}" for path in SHIPPED_FILES}


def test_install_keeps_changed_and_deleted_updates_the_rest(tmp_path: Path) -> None:
    """A new version replaces an untouched copy, never a changed or deleted one."""
    config = tmp_path / "config"
    v1 = {name: f"# {name} v1\n" for name in ("a.yaml", "b.yaml", "c.yaml")}
    installed: dict[str, str] = {}
    report = install_blueprints(config, installed, _ship(tmp_path / "v1", v1))
    assert report.added == [
        "automation/a.yaml",
        "automation/b.yaml",
        "automation/c.yaml",
    ]

    _target(config, "b.yaml").write_text("# mine\n")
    _target(config, "c.yaml").unlink()
    v2 = {name: f"# {name} v2\n" for name in ("a.yaml", "b.yaml", "c.yaml", "d.yaml")}
    report = install_blueprints(config, installed, _ship(tmp_path / "v2", v2))

    assert report.updated == ["automation/a.yaml"]
    assert report.added == ["automation/d.yaml"]
    assert report.kept_changed == ["automation/b.yaml"]
    assert report.kept_deleted == ["automation/c.yaml"]
    assert _target(config, "a.yaml").read_text() == "# a.yaml v2\n"
    assert _target(config, "b.yaml").read_text() == "# mine\n"
    assert not _target(config, "c.yaml").exists()
    assert _target(config, "d.yaml").read_text() == "# d.yaml v2\n"
    # Nothing left behind by the atomic writes.
    assert sorted(p.name for p in _target(config, "a.yaml").parent.iterdir()) == [
        "a.yaml",
        "b.yaml",
        "d.yaml",
    ]

    # Once the user's file equals what ships, it is ours again and follows updates.
    _target(config, "b.yaml").write_text("# b.yaml v2\n")
    install_blueprints(config, installed, _ship(tmp_path / "v2", v2))
    v3 = {"b.yaml": "# b.yaml v3\n"}
    report = install_blueprints(config, installed, _ship(tmp_path / "v3", v3))
    assert report.updated == ["automation/b.yaml"]


def test_install_leaves_a_file_found_there_before(tmp_path: Path) -> None:
    """A blueprint imported by hand before (a different text) is the user's."""
    config = tmp_path / "config"
    _target(config, "a.yaml").parent.mkdir(parents=True)
    _target(config, "a.yaml").write_text("# imported from GitHub\n")
    installed: dict[str, str] = {}
    shipped = _ship(tmp_path / "v1", {"a.yaml": "# a v1\n"})
    report = install_blueprints(config, installed, shipped)
    assert report.kept_changed == ["automation/a.yaml"]
    assert installed == {}
    assert _target(config, "a.yaml").read_text() == "# imported from GitHub\n"


async def test_install_failure_is_logged_not_fatal(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """A configuration folder that can't be written to costs the blueprints only."""
    config_dir = Path(hass.config.config_dir)
    (config_dir / "blueprints").write_text("not a folder")
    with caplog.at_level(logging.WARNING):
        assert await async_install_blueprints(hass) is None
    assert "Could not install the Immich Bridge blueprints" in caplog.text


async def test_second_start_changes_nothing(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """A start with everything in place writes no file and no storage."""
    first = await async_install_blueprints(hass)
    assert first is not None
    assert len(first.added) == len(SHIPPED_FILES)
    config_dir = Path(hass.config.config_dir)
    times = {
        path.name: _target(config_dir, path.name).stat().st_mtime_ns
        for path in SHIPPED_FILES
    }
    second = await async_install_blueprints(hass)
    assert second is not None
    assert (second.added, second.updated, second.kept_changed) == ([], [], [])
    assert times == {
        path.name: _target(config_dir, path.name).stat().st_mtime_ns
        for path in SHIPPED_FILES
    }
