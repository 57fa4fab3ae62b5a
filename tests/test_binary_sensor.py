"""Tests for the binary sensors: disk space, busy library, failed or paused jobs."""

from __future__ import annotations

from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.immich_bridge.const import CONF_LOW_DISK_THRESHOLD
from tests.common import (
    BINARY,
    busy_queues as _busy,
    make_entry,
    setup_platforms,
    snapshot_admin_platform,
)
from tests.fake_immich import FakeImmich


@pytest.fixture
def platforms() -> list[Platform]:
    """Set up the binary_sensor platform only."""
    return [Platform.BINARY_SENSOR]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities(
    hass: HomeAssistant,
    deterministic_ids: None,
    immich_server_v3: FakeImmich,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Snapshot every binary sensor of an admin key."""
    await snapshot_admin_platform(
        hass, immich_server_v3, entity_registry, snapshot, Platform.BINARY_SENSOR
    )


@pytest.mark.parametrize(("threshold", "expected"), [(10, STATE_OFF), (80, STATE_ON)])
async def test_low_disk_space(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    threshold: int,
    expected: str,
) -> None:
    """Turn on when free space drops below the threshold of the options."""
    entry = make_entry(immich_server, options={CONF_LOW_DISK_THRESHOLD: threshold})
    await setup_platforms(hass, entry, [Platform.BINARY_SENSOR])
    state = hass.states.get(f"{BINARY}_low_disk_space")
    assert state is not None
    assert state.state == expected
    assert state.attributes["threshold"] == threshold


async def test_low_disk_space_counts_available_not_unused(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """Free space is available ÷ size: reserved blocks are not free for Immich."""
    state = immich_server.state
    state.disk_size, state.disk_use = 100 * 1024**3, 20 * 1024**3
    state.disk_reserved = 75 * 1024**3  # 80 % unused, only 5 % available
    entry = make_entry(immich_server, options={CONF_LOW_DISK_THRESHOLD: 10})
    await setup_platforms(hass, entry, [Platform.BINARY_SENSOR])
    assert hass.states.get(f"{BINARY}_low_disk_space").state == STATE_ON
    state.disk_reserved = 0
    await entry.runtime_data.server.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(f"{BINARY}_low_disk_space").state == STATE_OFF


async def test_queue_binary_sensors(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Report a busy library and failed jobs, naming the queues."""
    assert hass.states.get(f"{BINARY}_library_busy").state == STATE_OFF
    _busy(immich_server)
    await entry.runtime_data.queues.async_refresh()
    await hass.async_block_till_done()
    busy = hass.states.get(f"{BINARY}_library_busy")
    assert busy.state == STATE_ON
    assert busy.attributes["active_queues"] == ["thumbnailGeneration"]
    assert busy.attributes["pending_queues"] == []
    failures = hass.states.get(f"{BINARY}_job_failures")
    assert failures.state == STATE_ON
    assert failures.attributes["failed_queues"] == ["metadataExtraction"]


@pytest.mark.parametrize(
    ("count", "busy"), [("waiting", True), ("paused", True), ("delayed", False)]
)
async def test_pending_jobs_keep_the_library_busy(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    entry: MockConfigEntry,
    count: str,
    busy: bool,
) -> None:
    """Jobs waiting to run (also in a paused queue) are work not done yet.

    Delayed jobs are not: Immich defers its notifications on purpose.
    """
    queue = immich_server.state.queues["thumbnailGeneration"]
    queue.is_paused = count == "paused"
    setattr(queue, count, 4)
    await entry.runtime_data.queues.async_refresh()
    await hass.async_block_till_done()
    state = hass.states.get(f"{BINARY}_library_busy")
    assert state.state == (STATE_ON if busy else STATE_OFF)
    assert state.attributes["active_queues"] == []
    assert state.attributes["pending_queues"] == (
        ["thumbnailGeneration"] if busy else []
    )


async def test_queue_forbidden_then_recovered(
    hass: HomeAssistant, immich_server: FakeImmich, entry: MockConfigEntry
) -> None:
    """Make queue entities unavailable while the server refuses the queues."""
    immich_server.set_fault("getQueues", status=403)
    immich_server.set_fault("getQueuesLegacy", status=403)
    await entry.runtime_data.queues.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(f"{BINARY}_library_busy").state == STATE_UNAVAILABLE
    assert hass.states.get(f"{BINARY}_low_disk_space").state == STATE_OFF
    immich_server.clear_faults()
    await entry.runtime_data.queues.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(f"{BINARY}_library_busy").state == STATE_OFF
