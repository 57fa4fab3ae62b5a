"""Test the camera snapshot blueprint against the fake Immich server."""

from __future__ import annotations

from pathlib import Path
import re
import shutil
from typing import Any

from homeassistant.components.automation import config as automation_config
from homeassistant.components.script import config as script_config
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
import yaml

from custom_components.immich_bridge.blueprint_files import SHIPPED
from custom_components.immich_bridge.services import ACTIONS
from tests.fake_immich import FakeImmich
from tests.services.platforms import async_setup_stand_ins

BLUEPRINT = SHIPPED / "automation" / "camera_snapshot_to_album.yaml"


async def setup_doorbell_automation(
    hass: HomeAssistant, config_dir: Path, picture: bytes, **inputs: Any
) -> None:
    """Install the blueprint and an automation using it: doorbell on → snapshot.

    camera.front_door shows `picture`; binary_sensor.doorbell starts off.
    """
    hass.config.config_dir = str(config_dir)
    target = config_dir / "blueprints" / "automation" / "immich_bridge"
    target.mkdir(parents=True)
    shutil.copy(BLUEPRINT, target / BLUEPRINT.name)
    await async_setup_stand_ins(hass, picture)
    hass.states.async_set("binary_sensor.doorbell", "off")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "use_blueprint": {
                    "path": f"immich_bridge/{BLUEPRINT.name}",
                    "input": {
                        "trigger_entity": "binary_sensor.doorbell",
                        "camera": "camera.front_door",
                        **inputs,
                    },
                }
            }
        },
    )
    await hass.async_block_till_done()


async def test_camera_snapshot_to_album(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    init_integration: MockConfigEntry,
    tmp_path: Path,
) -> None:
    """Upload a snapshot into a new album, with tags, when the trigger turns on."""
    picture = immich_server.state.next_jpeg("doorbell")
    await setup_doorbell_automation(
        hass,
        tmp_path,
        picture,
        immich=init_integration.entry_id,
        album="Doorbell",
        tags=["Home/Door"],
    )
    assert immich_server.state.assets == {}

    hass.states.async_set("binary_sensor.doorbell", "on")
    await hass.async_block_till_done()

    [asset] = immich_server.state.assets.values()
    assert asset.data == picture
    assert not asset.is_favorite
    [album] = immich_server.state.albums.values()
    assert (album.name, album.asset_ids) == ("Doorbell", [asset.id])
    tagged = {
        tag.value
        for tag in immich_server.state.tags.values()
        if asset.id in tag.asset_ids
    }
    assert tagged == {"Home/Door"}


DOCS = Path(__file__).parent.parent / "docs" / "actions.md"


async def test_docs_examples_are_valid(hass: HomeAssistant) -> None:
    """Document every action, each with an automation or script that validates."""
    text = await hass.async_add_executor_job(DOCS.read_text)
    blocks = [
        yaml.safe_load(block)
        for block in re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)
    ]
    called: set[str] = set()
    for block in blocks:
        for object_id, config in (block.get("script") or {}).items():
            assert await script_config.async_validate_config_item(
                hass, object_id, config
            )
        for config in block.get("automation") or []:
            assert await automation_config.async_validate_config_item(hass, "x", config)
        called.update(re.findall(r"immich_bridge\.(\w+)", yaml.safe_dump(block)))
    for action in ACTIONS:
        assert f"## `{action}`" in text or f"`{action}`](#" in text, action
        assert action in called, f"no example calls {action}"
