"""The harness works: a real server answers and an entry loads against it."""

from __future__ import annotations

from homeassistant.core import HomeAssistant

from .common import number, setup_entry, state_of
from .harness import ImmichApi, real_entry


async def test_admin_entry_sensors_match_server(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """An admin key sets up, and the photo counter equals the server's statistics."""
    await immich.upload(immich.admin.key)
    stats = await immich.call("GET", "/server/statistics")
    entry = await setup_entry(hass, real_entry(immich.server, immich.admin))
    assert number(state_of(hass, entry, "sensor", "photos")) == stats["photos"]
    assert state_of(hass, entry, "sensor", "server_version") == "2.7.5"
