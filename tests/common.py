"""Helpers shared by the tests."""

from __future__ import annotations

from typing import Any

from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
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
        title=f"{'Admin' if admin else 'Alice'} @ 127.0.0.1",
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
