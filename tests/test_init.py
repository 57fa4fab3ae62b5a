"""Tests for setting up and unloading Immich Bridge, and its repair issues."""

from __future__ import annotations

from homeassistant.components.repairs.issue_handler import (
    RepairsFlowManager,
    async_process_repairs_platforms,
)
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.immich_bridge.const import DOMAIN
from tests.fake_immich import FakeImmich


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add and set up an entry, whatever the outcome."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_load_unload(
    hass: HomeAssistant, immich_server: FakeImmich, mock_config_entry: MockConfigEntry
) -> None:
    """Load and unload an entry cleanly."""
    await _setup(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    runtime = mock_config_entry.runtime_data
    assert runtime.user.id == immich_server.admin_id
    assert runtime.queues is not None
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.NOT_LOADED


async def test_server_down_retries(
    hass: HomeAssistant, immich_server: FakeImmich, mock_config_entry: MockConfigEntry
) -> None:
    """Retry setup while the server can't be reached."""
    immich_server.set_fault("getServerVersion", status=503)
    await _setup(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_first_refresh_fails_retries(
    hass: HomeAssistant, immich_server: FakeImmich, mock_config_entry: MockConfigEntry
) -> None:
    """Retry setup when the first refresh fails."""
    immich_server.set_fault("getStorage", status=502)
    await _setup(hass, mock_config_entry)
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


async def test_key_without_user_read(
    hass: HomeAssistant, immich_server: FakeImmich, mock_config_entry: MockConfigEntry
) -> None:
    """Fail setup clearly when the key can't read its own user."""
    key = immich_server.state.add_api_key(
        immich_server.admin_id, permissions=("album.read",)
    )
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_API_KEY: key}
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    assert "user.read" in str(mock_config_entry.reason)


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
    await _setup(hass, mock_config_entry)
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


async def test_missing_permissions_issue_and_fix(
    hass: HomeAssistant,
    immich_server: FakeImmich,
    mock_config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Report missing permissions once and fix them by entering a new key."""
    limited = immich_server.state.add_api_key(
        immich_server.admin_id,
        permissions=("user.read", "server.about", "server.storage"),
    )
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_API_KEY: limited}
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    issue_id = f"missing_permissions_{mock_config_entry.entry_id}"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert "asset.upload" in issue.data["permissions"]
    assert "upload" in issue.data["features"]

    assert await async_setup_component(hass, "repairs", {})
    await hass.async_block_till_done()
    await async_process_repairs_platforms(hass)
    manager: RepairsFlowManager = hass.data["repairs"]["flow_manager"]
    result = await manager.async_init(DOMAIN, data={"issue_id": issue_id})
    assert result["type"] is FlowResultType.FORM
    assert "asset.upload" in result["description_placeholders"]["permissions"]
    result = await manager.async_configure(
        result["flow_id"], {CONF_API_KEY: immich_server.user_key}
    )
    assert result["errors"] == {"base": "wrong_account"}
    result = await manager.async_configure(result["flow_id"], {CONF_API_KEY: "nope"})
    assert result["errors"] == {"base": "invalid_auth"}
    result = await manager.async_configure(
        result["flow_id"], {CONF_API_KEY: immich_server.admin_key}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert mock_config_entry.data[CONF_API_KEY] == immich_server.admin_key
    assert mock_config_entry.state is ConfigEntryState.LOADED
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
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_API_KEY: limited}
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    issue_id = f"missing_permissions_{mock_config_entry.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
