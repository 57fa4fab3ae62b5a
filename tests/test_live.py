"""Tests for the push glue: a pushed upload makes the watcher look at once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    CONF_API_KEY,
    EVENT_HOMEASSISTANT_STOP,
    EVENT_STATE_CHANGED,
    Platform,
)
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.immich_bridge.api import PushState
from custom_components.immich_bridge.const import DOMAIN
from tests.common import make_entry, setup_platforms
from tests.fake_immich import FakeImmich


async def _until(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Wait (in real time) until a condition holds."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110  # polls state
            await asyncio.sleep(0.01)


async def _connected(hass: HomeAssistant, server: FakeImmich) -> MockConfigEntry:
    """Set up the admin's entry with the stand-in's push on; wait until connected."""
    server.socketio.enabled = True
    entry = make_entry(server)
    await _setup(hass, entry)
    push = entry.runtime_data.photos.push
    assert push is not None
    await _until(lambda: push.state is PushState.CONNECTED)
    return entry


_setup = partial(setup_platforms, platforms=[Platform.EVENT])
"""Set up an entry with the event platform only."""


def _fired(events: list[Event], entity_id: str) -> list[str]:
    """Return the asset ids of an event entity's events."""
    return [
        event.data["new_state"].attributes["asset_id"]
        for event in events
        if event.data["entity_id"] == entity_id
        and "asset_id" in event.data["new_state"].attributes
    ]


def _new_upload(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Return the new-upload event entity's id."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "event", DOMAIN, f"{entry.unique_id}_new_asset"
    )
    assert entity_id is not None
    return entity_id


async def test_pushed_upload_fires_at_once_and_once(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """A push makes the watcher look now; pushes in a burst fire each asset once."""
    sockets = immich_server.socketio
    with patch(
        "custom_components.immich_bridge.watcher.WATCH_INTERVAL",
        timedelta(hours=1),
    ):
        entry = await _connected(hass, immich_server)
    push = entry.runtime_data.photos.push
    entity_id = _new_upload(hass, entry)
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    searches = len(
        [r for r in immich_server.requests if r.operation_id == "searchAssets"]
    )

    asset_id = immich_server.state.add_asset(immich_server.admin_id)
    for _ in range(5):  # Immich sends on_upload_success and more for one upload
        await sockets.emit("on_upload_success", {"id": asset_id})
    await sockets.emit("on_person_thumbnail", "p1")  # not about new assets
    await _until(lambda: _fired(events, entity_id) == [asset_id])
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _fired(events, entity_id) == [asset_id]
    # One look now, one more for the pushes that came while it ran: not five.
    now = len([r for r in immich_server.requests if r.operation_id == "searchAssets"])
    assert 1 <= now - searches <= 2

    # A reconnect catches up on what was pushed while the connection was down.
    await sockets.drop()
    missed = immich_server.state.add_asset(immich_server.admin_id)
    await _until(lambda: push.connections == 2)
    await _until(lambda: _fired(events, entity_id) == [asset_id, missed])

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert push.state is PushState.CLOSED
    await _until(lambda: not sockets.sockets)


async def test_no_push_without_all(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """A key without `all` never opens the push connection: polling only."""
    sockets = immich_server.socketio
    sockets.enabled = True
    key = immich_server.state.add_api_key(
        immich_server.admin_id, permissions=("asset.read", "asset.view", "user.read")
    )
    entry = make_entry(immich_server)
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=entry.unique_id,
        title=entry.title,
        data={**entry.data, CONF_API_KEY: key},
    )
    await _setup(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.photos.watcher is not None
    assert entry.runtime_data.photos.push is None
    assert len(sockets.attempts) == 0


async def test_push_closes_when_home_assistant_stops(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """Stopping Home Assistant closes the connection, without an unload."""
    sockets = immich_server.socketio
    entry = await _connected(hass, immich_server)
    push = entry.runtime_data.photos.push
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    await _until(lambda: push.state is PushState.CLOSED)
    await _until(lambda: not sockets.sockets)
