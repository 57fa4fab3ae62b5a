"""Helpers shared by the tests."""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs.issue_handler import (
    RepairsFlowManager,
    async_process_repairs_platforms,
)
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich_bridge.const import DOMAIN
from tests.fake_immich import FakeImmich

ENTRY_ID = "01JIMMICHBRIDGETESTENTRY00"


def make_entry(
    server: FakeImmich,
    *,
    options: dict[str, Any] | None = None,
    admin: bool = True,
) -> MockConfigEntry:
    """Return a config entry for the fake server's admin (or its user Alice)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Immich {'Admin' if admin else 'Alice'}",
        unique_id=server.admin_id if admin else server.user_id,
        data={
            CONF_URL: server.url,
            CONF_API_KEY: server.admin_key if admin else server.user_key,
            CONF_VERIFY_SSL: True,
        },
        options=options or {},
        entry_id=ENTRY_ID,
    )


async def call_action(
    hass: HomeAssistant,
    entry: MockConfigEntry | str,
    action: str,
    *,
    response: bool = True,
    **data: Any,
) -> Any:
    """Call one of our actions for an entry (or entry id); return its response."""
    entry_id = entry if isinstance(entry, str) else entry.entry_id
    return await hass.services.async_call(
        DOMAIN,
        action,
        {"config_entry_id": entry_id, **data},
        blocking=True,
        return_response=response,
    )


async def repairs_manager(hass: HomeAssistant) -> RepairsFlowManager:
    """Set up the repairs integration with our platform; return its flow manager."""
    assert await async_setup_component(hass, "repairs", {})
    await hass.async_block_till_done()
    await async_process_repairs_platforms(hass)
    manager: RepairsFlowManager = hass.data["repairs"]["flow_manager"]
    return manager


async def setup_with(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    *,
    options: dict[str, Any] | None = None,
    **data: Any,
) -> MockConfigEntry:
    """Add an entry with changed data (and options) and set it up, whatever comes."""
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry,
        data={**entry.data, **data},
        options=options if options is not None else entry.options,
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry
