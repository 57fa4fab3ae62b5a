"""Helpers of the real-server tests: set up an entry, read entity states by key."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich_bridge.const import DOMAIN


async def setup_entry(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    *,
    state: ConfigEntryState = ConfigEntryState.LOADED,
) -> MockConfigEntry:
    """Add an entry to hass, set it up and assert the state it reached."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is state, entry.state
    return entry


def entity_id(
    hass: HomeAssistant, entry: MockConfigEntry, platform: str, key: str
) -> str | None:
    """Return the entity id of one of the entry's entities by its description key."""
    return er.async_get(hass).async_get_entity_id(
        platform, DOMAIN, f"{entry.unique_id}_{key}"
    )


def state_of(
    hass: HomeAssistant, entry: MockConfigEntry, platform: str, key: str
) -> str | None:
    """Return an entity's state by key, or None when the entity does not exist."""
    if (eid := entity_id(hass, entry, platform, key)) is None:
        return None
    state = hass.states.get(eid)
    return None if state is None else state.state


def number(value: Any) -> float:
    """Read a numeric state."""
    assert value not in (None, "unknown", "unavailable"), value
    return float(value)


BINARY_UNITS = {"MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4}


def fitting_unit(size: int) -> str:
    """Return the unit a size sensor should show this many bytes in, as Immich does.

    MiB below 1 GiB, GiB below 1 TiB, TiB above; nothing yet (0) shows in GiB.
    """
    if 0 < size < 1024**3:
        return "MiB"
    return "GiB" if size < 1024**4 else "TiB"


def shown_bytes(
    hass: HomeAssistant, entry: MockConfigEntry, key: str
) -> tuple[float, str]:
    """Return a size sensor's value turned back into bytes, and the unit it shows."""
    eid = entity_id(hass, entry, "sensor", key)
    state = hass.states.get(eid) if eid is not None else None
    assert state is not None, key
    unit = state.attributes["unit_of_measurement"]
    assert unit in BINARY_UNITS, (key, unit)
    return number(state.state) * BINARY_UNITS[unit], unit
