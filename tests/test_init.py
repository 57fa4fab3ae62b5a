"""Tests for setting up and unloading Immich Bridge, and its repair issues."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_API_KEY, Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.immich_bridge.const import (
    CONF_ALBUMS,
    CONF_FRAMES,
    CONF_IGNORED_PERMISSIONS,
    DOMAIN,
)
from tests.common import (
    call_action,
    make_entry,
    repairs_manager,
    setup_platforms,
    setup_with,
)
from tests.fake_immich import FakeImmich


async def test_load_unload(
    hass: HomeAssistant, immich_server: FakeImmich, mock_config_entry: MockConfigEntry
) -> None:
    """Load and unload an entry cleanly; the key's user is read once at setup."""
    await setup_with(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    runtime = mock_config_entry.runtime_data
    assert runtime.user.id == immich_server.admin_id
    me = [r for r in immich_server.requests if r.operation_id == "getMyUser"]
    assert len(me) == 1  # the first refresh reuses what the connection read
    assert runtime.server.data.user == runtime.user
    assert runtime.queues is not None
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.NOT_LOADED


@pytest.mark.parametrize(
    ("operation", "status"),
    [
        ("getServerVersion", 503),  # the server can't be reached
        ("getStorage", 502),  # the first refresh fails
    ],
)
async def test_setup_retries(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    mock_config_entry: MockConfigEntry,
    operation: str,
    status: int,
) -> None:
    """Retry setup while the server can't be reached or the first refresh fails."""
    immich_server.set_fault(operation, status=status)
    await setup_with(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_invalid_key_starts_reauth(
    hass: HomeAssistant, immich_server: FakeImmich, mock_config_entry: MockConfigEntry
) -> None:
    """Start a reauth flow when the server refuses the key at setup."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_API_KEY: "revoked"}
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert immich_server.admin_key not in str(flows)


@pytest.mark.parametrize(
    ("admin", "permissions", "is_admin"),
    [
        (True, ("album.read",), False),  # no admin source to ask: no admin feature
        (True, ("album.read", "queue.read"), True),
        (False, ("album.read", "queue.read"), False),  # the queues refuse a user
    ],
)
async def test_key_without_user_read(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    admin: bool,
    permissions: tuple[str, ...],
    is_admin: bool,
) -> None:
    """Load with a key that can't read its user; its role is asked of the queues."""
    user_id = immich_server.admin_id if admin else immich_server.user_id
    key = immich_server.state.add_api_key(user_id, permissions=permissions)
    entry = make_entry(immich_server, admin=admin)
    await _setup_with_key(hass, entry, key)
    assert entry.runtime_data.user is None
    assert entry.runtime_data.is_admin is is_admin
    assert (entry.runtime_data.queues is not None) is is_admin
    assert hass.states.get("sensor.immich_admin_albums") is None  # album.statistics


async def test_unsupported_version_issue(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    mock_config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Raise a repair issue naming both versions for a server that is too old."""
    immich_server.set_fault(
        "getServerVersion", body=b'{"major": 1, "minor": 135, "patch": 3}', times=1
    )
    await setup_with(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    issue = issue_registry.async_get_issue(
        DOMAIN, f"unsupported_version_{mock_config_entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders == {
        "title": mock_config_entry.title,
        "version": "1.135.3",
        "minimum": "2.0.0",
    }
    # The server is upgraded: the issue goes away with the next setup.
    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert not issue_registry.async_get_issue(
        DOMAIN, f"unsupported_version_{mock_config_entry.entry_id}"
    )


async def _setup_with_key(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    key: str,
    options: dict[str, Any] | None = None,
) -> None:
    """Set up an entry with another key (and options): it loads."""
    await setup_with(hass, entry, options=options, **{CONF_API_KEY: key})
    assert entry.state is ConfigEntryState.LOADED


async def test_few_permissions_raise_no_issue(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    mock_config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A key with few permissions is a choice: no issue until something needs more."""
    limited = immich_server.state.add_api_key(
        immich_server.admin_id, permissions=("asset.upload",)
    )
    await _setup_with_key(hass, mock_config_entry, limited)
    assert not issue_registry.issues


async def test_options_need_permissions_issue_and_fix(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    mock_config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Options the key can't serve raise a translated issue; a new key fixes it."""
    limited = immich_server.state.add_api_key(
        immich_server.admin_id, permissions=("asset.read", "asset.view")
    )
    album = "9b7a6c1e-2f3d-4e5f-8a9b-0c1d2e3f4a5b"  # any album: the key can't list them
    options = {CONF_ALBUMS: [album], CONF_FRAMES: ["memories"]}
    await _setup_with_key(hass, mock_config_entry, limited, options)
    issue_id = f"missing_permissions_{mock_config_entry.entry_id}"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.is_persistent
    assert issue.translation_placeholders == {
        "title": mock_config_entry.title,
        "needs": (
            "- Album sensors and album slideshows chosen in the options: album.read\n"
            "- The memories slideshow chosen in the options: memory.read"
        ),
    }

    manager = await repairs_manager(hass)
    result = await manager.async_init(DOMAIN, data={"issue_id": issue_id})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["confirm", "ignore"]
    result = await manager.async_configure(
        result["flow_id"], {"next_step_id": "confirm"}
    )
    # The repair hands over to the entry's reauth flow, which names the permissions.
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    [reauth] = mock_config_entry.async_get_active_flows(hass, {SOURCE_REAUTH})
    assert reauth["step_id"] == "reauth_permissions"
    flow = hass.config_entries.flow
    result = await flow.async_configure(reauth["flow_id"], {CONF_API_KEY: "nope"})
    assert result["errors"] == {"base": "invalid_auth"}
    placeholders = result["description_placeholders"]
    assert placeholders["permissions"] == "album.read, memory.read"
    result = await flow.async_configure(
        reauth["flow_id"], {CONF_API_KEY: immich_server.admin_key}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert mock_config_entry.data[CONF_API_KEY] == immich_server.admin_key
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_refused_action_issue_dismissed_for_good(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    mock_config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """An action the server refuses raises an issue naming it; dismissed, it stays
    away, also after a reload; a 403 of an admin-only action says so.
    """
    limited = immich_server.state.add_api_key(
        immich_server.admin_id, permissions=("album.read",)
    )
    await _setup_with_key(hass, mock_config_entry, limited)
    issue_id = f"missing_permissions_{mock_config_entry.entry_id}"

    async def refused() -> None:
        with pytest.raises(HomeAssistantError) as err:
            await call_action(hass, mock_config_entry, "create_album", name="New")
        assert err.value.translation_key == "missing_permission"
        assert err.value.translation_placeholders == {"permission": "album.create"}
        await hass.async_block_till_done()

    await refused()
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["needs"] == "- Create album: album.create"
    # The issue outlives a reload (and a restart: it is persistent).
    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None

    manager = await repairs_manager(hass)
    result = await manager.async_init(DOMAIN, data={"issue_id": issue_id})
    result = await manager.async_configure(
        result["flow_id"], {"next_step_id": "ignore"}
    )
    assert result["step_id"] == "ignore"
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_config_entry.data[CONF_IGNORED_PERMISSIONS] == ["album.create"]
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await refused()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_remove_entry_clears_issues(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    mock_config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Remove an entry's issues with the entry."""
    limited = immich_server.state.add_api_key(
        immich_server.admin_id, permissions=("user.read",)
    )
    await _setup_with_key(
        hass, mock_config_entry, limited, {CONF_FRAMES: ["favorites"]}
    )
    issue_id = f"missing_permissions_{mock_config_entry.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_device(
    hass: HomeAssistant,
    deterministic_ids: None,
    immich_server_v3: FakeImmich,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Create one service device per entry, named like the entry."""
    entry = make_entry(immich_server_v3)
    await setup_platforms(hass, entry, [Platform.SENSOR])
    devices = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    assert len(devices) == 1
    device = devices[0]
    assert device.name == entry.title == "Immich Admin"
    assert device.sw_version == "3.0.0"
    assert device.configuration_url == immich_server_v3.url
    assert device.entry_type is dr.DeviceEntryType.SERVICE
