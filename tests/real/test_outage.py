"""Outage, recovery and a revoked key against the real server.

A local TCP proxy stands between Home Assistant and the real instance: closing it is an
outage as Home Assistant sees it (connections refused) while Immich keeps running and
keeps changing; opening it again on the same port is the recovery.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import timedelta

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_API_KEY, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.immich_bridge.const import DOMAIN
from tests.reliability.proxy import CutProxy

from .common import number, setup_entry, state_of
from .harness import ImmichApi, real_entry

# Platforms whose entities follow a coordinator (events only fire, they have no poll).
POLLED = ("sensor", "binary_sensor", "update", "image", "button")


class SwitchProxy(CutProxy):
    """A CutProxy that can stop listening and listen again on the same port."""

    async def start(self) -> None:
        """Listen on the port of the last start (a free one the first time)."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]


@pytest.fixture
async def proxy(immich: ImmichApi) -> AsyncGenerator[SwitchProxy]:
    """Return a proxy in front of the real instance."""
    port = int(immich.server.url.rsplit(":", 1)[1])
    switch = SwitchProxy(target_port=port)
    await switch.start()
    try:
        yield switch
    finally:
        await switch.stop()


async def _poll_all(hass: HomeAssistant) -> None:
    """Let every coordinator of the entry poll, as time passing makes them."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=6))
    await hass.async_block_till_done(wait_background_tasks=True)


def _polled_states(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """Return the state of every enabled polled entity of the entry."""
    states: dict[str, str] = {}
    for item in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id):
        if item.disabled_by is None and item.domain in POLLED:
            state = hass.states.get(item.entity_id)
            assert state is not None, item.entity_id
            states[item.entity_id] = state.state
    return states


async def _assert_counts_match(
    hass: HomeAssistant, entry: MockConfigEntry, immich: ImmichApi
) -> None:
    """The counters equal what the server answers now."""
    statistics = await immich.call("GET", "/server/statistics")
    assets = await immich.call("GET", "/assets/statistics")
    assert number(state_of(hass, entry, "sensor", "photos")) == statistics["photos"]
    assert number(state_of(hass, entry, "sensor", "my_photos")) == assets["images"]


async def test_outage_and_recovery(
    hass: HomeAssistant, immich: ImmichApi, proxy: SwitchProxy
) -> None:
    """Entities go unavailable while the server is unreachable and come back with its
    values; the entry stays loaded and the instance keeps running throughout."""
    await immich.upload(immich.admin.key)
    await immich.wait_idle()
    entry = await setup_entry(
        hass, real_entry(immich.server, immich.admin, url=proxy.url)
    )
    await _assert_counts_match(hass, entry, immich)
    before = _polled_states(hass, entry)
    assert before
    assert STATE_UNAVAILABLE not in before.values()

    await proxy.stop()
    await _poll_all(hass)
    during = _polled_states(hass, entry)
    assert set(during.values()) == {STATE_UNAVAILABLE}, during
    assert entry.state is ConfigEntryState.LOADED
    # The instance itself is fine and keeps changing while Home Assistant can't see it.
    assert await immich.call("GET", "/server/ping") == {"res": "pong"}
    await immich.upload(immich.admin.key)
    await immich.wait_idle()

    await proxy.start()
    await _poll_all(hass)
    after = _polled_states(hass, entry)
    assert STATE_UNAVAILABLE not in after.values(), after
    assert set(after) == set(before)
    await _assert_counts_match(hass, entry, immich)
    assert entry.state is ConfigEntryState.LOADED


async def test_revoked_key_starts_reauth(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """A key deleted on the server starts reauth; a new key of the user ends it."""
    user = await immich.create_user()
    await immich.upload(user.key)
    await immich.wait_idle()
    entry = await setup_entry(hass, real_entry(immich.server, user))
    assert list(entry.async_get_active_flows(hass, {SOURCE_REAUTH})) == []

    await immich.revoke_keys(user)
    status, _ = await immich.raw("GET", "/users/me", key=user.key)
    assert status == 401
    await _poll_all(hass)
    flows = list(entry.async_get_active_flows(hass, {SOURCE_REAUTH}))
    assert len(flows) == 1
    assert flows[0]["step_id"] == "reauth_confirm"
    assert entry.state is ConfigEntryState.LOADED
    states = _polled_states(hass, entry)
    assert set(states.values()) == {STATE_UNAVAILABLE}, states

    # The user makes a new key and gives it to the flow: the entry comes back.
    new_key = await immich.create_key(user, ["all"])
    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_API_KEY: new_key}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done(wait_background_tasks=True)
    entry = hass.config_entries.async_get_entry(entry.entry_id)
    assert entry is not None
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data[CONF_API_KEY] == new_key
    assets = await immich.call("GET", "/assets/statistics", key=new_key)
    assert number(state_of(hass, entry, "sensor", "my_photos")) == assets["images"]
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
