"""Tests for the binary sensors, the update entity, the buttons and diagnostics."""

from __future__ import annotations

import asyncio
import json
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import (
    ATTR_ENTITY_ID,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.immich_bridge.const import (
    CONF_ALBUMS,
    CONF_LOW_DISK_THRESHOLD,
    SERVER_SCAN_INTERVAL,
    SLOW_INTERVAL,
)
from tests.common import make_entry
from tests.fake_immich import FakeImmich

BINARY = "binary_sensor.immich_admin"


async def _setup(
    hass: HomeAssistant, entry: MockConfigEntry, platforms: list[Platform]
) -> None:
    """Set up the entry with only the given platforms."""
    entry.add_to_hass(hass)
    with patch("custom_components.immich_bridge.PLATFORMS", platforms):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()


def _busy(server: FakeImmich) -> None:
    """Make some queues busy, failed and paused."""
    server.state.queues["thumbnailGeneration"].active = 3
    server.state.queues["metadataExtraction"].failed = 2
    server.state.queues["smartSearch"].is_paused = True


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    "platform", [Platform.BINARY_SENSOR, Platform.UPDATE, Platform.BUTTON]
)
async def test_platform_snapshots(
    hass: HomeAssistant,
    deterministic_ids: None,
    immich_server_v3: FakeImmich,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Snapshot every entity of a platform for an admin key."""
    _busy(immich_server_v3)
    immich_server_v3.state.version_check_release = "v3.1.0"
    entry = make_entry(immich_server_v3)
    await _setup(hass, entry, [platform])
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_device(
    hass: HomeAssistant,
    deterministic_ids: None,
    immich_server_v3: FakeImmich,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Create one service device per entry, named like the entry."""
    entry = make_entry(immich_server_v3)
    await _setup(hass, entry, [Platform.SENSOR])
    devices = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    assert len(devices) == 1
    device = devices[0]
    assert device.name == entry.title == "Immich Admin"
    assert device.sw_version == "3.0.0"
    assert device.configuration_url == immich_server_v3.url
    assert device.entry_type is dr.DeviceEntryType.SERVICE


@pytest.mark.parametrize(("threshold", "expected"), [(10, STATE_OFF), (80, STATE_ON)])
async def test_low_disk_space(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    threshold: int,
    expected: str,
) -> None:
    """Turn on when free space drops below the threshold of the options."""
    entry = make_entry(immich_server, options={CONF_LOW_DISK_THRESHOLD: threshold})
    await _setup(hass, entry, [Platform.BINARY_SENSOR])
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
    await _setup(hass, entry, [Platform.BINARY_SENSOR])
    assert hass.states.get(f"{BINARY}_low_disk_space").state == STATE_ON
    state.disk_reserved = 0
    await entry.runtime_data.server.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(f"{BINARY}_low_disk_space").state == STATE_OFF


async def test_queue_binary_sensors(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """Report a busy library and failed jobs, naming the queues."""
    entry = make_entry(immich_server)
    await _setup(hass, entry, [Platform.BINARY_SENSOR])
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
    hass: HomeAssistant, immich_server: FakeImmich, count: str, busy: bool
) -> None:
    """Jobs waiting to run (also in a paused queue) are work not done yet.

    Delayed jobs are not: Immich defers its notifications on purpose.
    """
    entry = make_entry(immich_server)
    await _setup(hass, entry, [Platform.BINARY_SENSOR])
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
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """Make queue entities unavailable while the server refuses the queues."""
    entry = make_entry(immich_server)
    await _setup(hass, entry, [Platform.BINARY_SENSOR])
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


async def test_update_entity(
    hass: HomeAssistant, immich_server: FakeImmich, freezer: FrozenDateTimeFactory
) -> None:
    """Show installed and latest version, with release notes, never installing."""
    immich_server.state.version_check_release = "v9.1.0"
    entry = make_entry(immich_server)
    await _setup(hass, entry, [Platform.UPDATE])
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


async def test_scan_libraries_button(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """Queue a scan of every library."""
    for name in ("NAS", "Scanner"):
        immich_server.state.add_library(immich_server.admin_id, name)
    entry = make_entry(immich_server)
    await _setup(hass, entry, [Platform.BUTTON])
    immich_server.requests.clear()
    await hass.services.async_call(
        BUTTON_DOMAIN,
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: "button.immich_admin_scan_libraries"},
        blocking=True,
    )
    scans = [r for r in immich_server.requests if r.operation_id == "scanLibrary"]
    assert len(scans) == 2


async def test_scan_libraries_button_without_libraries(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """Say that there is nothing to scan instead of succeeding silently."""
    entry = make_entry(immich_server)
    await _setup(hass, entry, [Platform.BUTTON])
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            BUTTON_DOMAIN,
            SERVICE_PRESS,
            {ATTR_ENTITY_ID: "button.immich_admin_scan_libraries"},
            blocking=True,
        )
    assert err.value.translation_key == "no_external_library"


async def test_clear_failed_jobs_button(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """Clear failed jobs only in the queues that have some."""
    _busy(immich_server)
    immich_server.state.queues["metadataExtraction"].waiting = 5
    entry = make_entry(immich_server)
    await _setup(hass, entry, [Platform.BUTTON, Platform.BINARY_SENSOR])
    assert hass.states.get(f"{BINARY}_job_failures").state == STATE_ON
    await hass.services.async_call(
        BUTTON_DOMAIN,
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: "button.immich_admin_clear_failed_jobs"},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert immich_server.state.queues["metadataExtraction"].failed == 0
    assert immich_server.state.queues["metadataExtraction"].waiting == 5
    assert hass.states.get(f"{BINARY}_job_failures").state == STATE_OFF


@pytest.mark.parametrize(
    ("fault", "key"),
    [
        ({"status": 500}, "server_error"),
        ({"status": 429}, "rate_limited"),
        ({"status": 404}, "not_found"),
        ({"drop": True}, "cannot_connect"),
        (
            {
                "status": 403,
                "body": b'{"message": "Missing required permission: library.read",'
                b' "error": "Forbidden", "statusCode": 403, "correlationId": "x"}',
            },
            "missing_permission",
        ),
    ],
)
async def test_button_errors(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    fault: dict[str, object],
    key: str,
) -> None:
    """Turn server errors into translated errors."""
    entry = make_entry(immich_server)
    await _setup(hass, entry, [Platform.BUTTON])
    immich_server.set_fault("getAllLibraries", **fault)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            BUTTON_DOMAIN,
            SERVICE_PRESS,
            {ATTR_ENTITY_ID: "button.immich_admin_scan_libraries"},
            blocking=True,
        )
    assert err.value.translation_key == key


async def test_button_auth_error_starts_reauth(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """Start reauth when a button press meets a revoked key."""
    entry = make_entry(immich_server)
    await _setup(hass, entry, [Platform.BUTTON])
    immich_server.state.api_keys.clear()
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            BUTTON_DOMAIN,
            SERVICE_PRESS,
            {ATTR_ENTITY_ID: "button.immich_admin_scan_libraries"},
            blocking=True,
        )
    assert err.value.translation_key == "auth_failed"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


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
    await _setup(hass, entry, [Platform.SENSOR])
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
