"""Tests for the diagnostics of a config entry."""

from __future__ import annotations

import asyncio
import json

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.immich_bridge.const import CONF_ALBUMS
from tests.common import make_entry, setup_platforms
from tests.fake_immich import FakeImmich


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    deterministic_ids: None,
    immich_server_v3: FakeImmich,
    snapshot: SnapshotAssertion,
) -> None:
    """Redact the key, addresses, names and paths from diagnostics."""
    server = immich_server_v3
    album = server.state.add_album(server.admin_id, "Secret trip")
    server.state.add_library(server.admin_id, "NAS")
    server.state.add_person(server.admin_id, "Grandma")
    server.socketio.enabled = True
    # A picked album: the coordinator keeps only those, and its name is redacted.
    entry = make_entry(server, options={CONF_ALBUMS: [album]})
    await setup_platforms(hass, entry, [Platform.SENSOR])
    push = entry.runtime_data.photos.push
    async with asyncio.timeout(5):
        while push.last_event_at is None:  # noqa: ASYNC110  # the server version
            await asyncio.sleep(0.01)
    assert await async_setup_component(hass, "diagnostics", {})
    result = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert result["push"]["last_event_at"] is not None
    dumped = json.dumps(result)
    for secret in (server.admin_key, server.url, "admin@example.com", "Secret trip"):
        assert secret not in dumped
    assert result == snapshot(exclude=_volatile)


def _volatile(prop: object, path: tuple[object, ...]) -> bool:
    """Leave out timestamps that change on every run."""
    return str(prop) in {
        "created_at",
        "updated_at",
        "modified_at",
        "refreshed_at",
        "checked_at",
        "file_created_at",
        "file_modified_at",
        "start_date",
        "end_date",
        "last_modified_asset_timestamp",
        "last_event_at",
    } or (len(path) > 0 and str(path[-1]) == "updated_at")
