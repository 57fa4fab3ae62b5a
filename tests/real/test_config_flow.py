"""Config, reauth and reconfigure flows against a real Immich."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.immich_bridge.const import DOMAIN

from .common import setup_entry
from .harness import ImmichApi, real_entry


async def _user_step(hass: HomeAssistant, url: str, key: str) -> dict:
    """Start a user flow and submit URL and key."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    return await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: url, CONF_API_KEY: key, CONF_VERIFY_SSL: True},
    )


async def test_user_flow_names_the_entry_after_the_user(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """A pasted .../api/ URL and a user's key make an entry named after that user."""
    user = await immich.create_user("Grace Hopper")
    result = await _user_step(hass, f"{immich.server.url}/api/", user.key)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "permissions"
    placeholders = result["description_placeholders"]
    assert placeholders["user"] == "Grace Hopper"
    # Not an admin: the admin-only features are named as such.
    assert "—" not in placeholders["admin_only"]

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Grace Hopper @ 127.0.0.1"
    assert result["data"][CONF_URL] == immich.server.url
    entry = result["result"]
    assert entry.unique_id == user.id
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    # The same account again is refused.
    again = await _user_step(hass, immich.server.url, user.key)
    assert again["type"] is FlowResultType.ABORT
    assert again["reason"] == "already_configured"


async def test_user_flow_errors_recover(hass: HomeAssistant, immich: ImmichApi) -> None:
    """A wrong key, a closed port and a key without user.read each say why."""
    user = await immich.create_user()
    result = await _user_step(hass, immich.server.url, "not-a-valid-key-0123456789")
    assert result["errors"] == {"base": "invalid_auth"}

    closed = "http://127.0.0.1:9"  # discard port: nothing listens there
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: closed, CONF_API_KEY: user.key, CONF_VERIFY_SSL: True},
    )
    assert result["errors"] == {"base": "cannot_connect"}

    narrow = await immich.create_key(user, ["asset.read"])
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: immich.server.url, CONF_API_KEY: narrow, CONF_VERIFY_SSL: True},
    )
    assert result["errors"] == {"base": "missing_permission"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: immich.server.url, CONF_API_KEY: user.key, CONF_VERIFY_SSL: True},
    )
    assert result["step_id"] == "permissions"


async def test_reauth_and_reconfigure_keep_the_account(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """A new key of the same user is taken; another user's key is refused."""
    user = await immich.create_user("Ada")
    other = await immich.create_user("Other")
    entry = await setup_entry(hass, real_entry(immich.server, user))

    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: other.key}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"

    fresh = await immich.create_key(user, ["all"])
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: fresh}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_API_KEY] == fresh
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: immich.server.url, CONF_API_KEY: other.key, CONF_VERIFY_SSL: True},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_URL: f"{immich.server.url}/",
            CONF_API_KEY: user.key,
            CONF_VERIFY_SSL: True,
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_API_KEY] == user.key
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
