"""Tests for the buttons (scan libraries, clear failed jobs)."""

from __future__ import annotations

from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from syrupy.assertion import SnapshotAssertion

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
    """Set up the button platform only."""
    return [Platform.BUTTON]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities(
    hass: HomeAssistant,
    deterministic_ids: None,
    immich_server_v3: FakeImmich,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Snapshot every button of an admin key."""
    await snapshot_admin_platform(
        hass, immich_server_v3, entity_registry, snapshot, Platform.BUTTON
    )


async def test_scan_libraries_button(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """Queue a scan of every library."""
    for name in ("NAS", "Scanner"):
        immich_server.state.add_library(immich_server.admin_id, name)
    entry = make_entry(immich_server)
    await setup_platforms(hass, entry, [Platform.BUTTON])
    immich_server.requests.clear()
    await hass.services.async_call(
        BUTTON_DOMAIN,
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: "button.immich_admin_scan_libraries"},
        blocking=True,
    )
    scans = [r for r in immich_server.requests if r.operation_id == "scanLibrary"]
    assert len(scans) == 2


@pytest.mark.usefixtures("init_integration")
async def test_scan_libraries_button_without_libraries(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """Say that there is nothing to scan instead of succeeding silently."""
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
    await setup_platforms(hass, entry, [Platform.BUTTON, Platform.BINARY_SENSOR])
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


@pytest.mark.usefixtures("init_integration")
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
    immich_server.set_fault("getAllLibraries", **fault)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            BUTTON_DOMAIN,
            SERVICE_PRESS,
            {ATTR_ENTITY_ID: "button.immich_admin_scan_libraries"},
            blocking=True,
        )
    assert err.value.translation_key == key


@pytest.mark.usefixtures("init_integration")
async def test_button_auth_error_starts_reauth(
    hass: HomeAssistant, immich_server: FakeImmich
) -> None:
    """Start reauth when a button press meets a revoked key."""
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
