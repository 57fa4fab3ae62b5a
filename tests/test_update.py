"""Tests for the update entity (the Immich server version)."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.immich_bridge.const import SERVER_SCAN_INTERVAL, SLOW_INTERVAL
from tests.common import (
    make_entry,
    setup_platforms,
    snapshot_admin_platform,
)
from tests.fake_immich import FakeImmich


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities(
    hass: HomeAssistant,
    deterministic_ids: None,
    immich_server_v3: FakeImmich,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Snapshot every update entity of an admin key."""
    await snapshot_admin_platform(
        hass, immich_server_v3, entity_registry, snapshot, Platform.UPDATE
    )


async def test_update_entity(
    hass: HomeAssistant, immich_server: FakeImmich, freezer: FrozenDateTimeFactory
) -> None:
    """Show installed and latest version, with release notes, never installing."""
    immich_server.state.version_check_release = "v9.1.0"
    entry = make_entry(immich_server)
    await setup_platforms(hass, entry, [Platform.UPDATE])
    state = hass.states.get("update.immich_admin_immich_server")
    assert state is not None
    assert state.state == STATE_ON
    installed = str(entry.runtime_data.version)
    assert state.attributes["installed_version"] == installed
    assert state.attributes["latest_version"] == "9.1.0"
    assert state.attributes["release_url"].endswith("/v9.1.0")
    assert state.attributes["supported_features"] == 0

    # Asked for by the user (homeassistant.update_entity): read at once.
    immich_server.state.version_check_release = f"v{installed}"
    assert await async_setup_component(hass, "homeassistant", {})
    await hass.services.async_call(
        "homeassistant",
        "update_entity",
        {"entity_id": "update.immich_admin_immich_server"},
        blocking=True,
    )
    await hass.async_block_till_done()
    state = hass.states.get("update.immich_admin_immich_server")
    assert state.state == STATE_OFF
    assert state.attributes["latest_version"] == installed

    # Never checked (or the check is off): unknown, not "up to date". The regular
    # refresh reads the check once an hour: not after five minutes, after the hour.
    immich_server.state.version_check_release = None
    freezer.tick(SERVER_SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    state = hass.states.get("update.immich_admin_immich_server")
    assert state.state == STATE_OFF
    freezer.tick(SLOW_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    state = hass.states.get("update.immich_admin_immich_server")
    assert state.state == STATE_UNKNOWN
    assert state.attributes["latest_version"] is None
    assert state.attributes["release_url"] is None
