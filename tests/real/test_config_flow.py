"""Config, reauth and reconfigure flows against a real Immich."""

from __future__ import annotations

from pathlib import Path
import uuid

from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.translation import async_get_translations
import pytest

from custom_components.immich_bridge.const import DOMAIN
from custom_components.immich_bridge.permissions import FEATURES
from tests.common import call_action, repairs_manager
from tests.key_recipes import CAMERA, RECIPES, KeyRecipe

from .common import setup_entry
from .harness import ImmichApi, jpeg, real_entry


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
    assert placeholders["account"] == "Grace Hopper"
    # Not an admin: the admin-only features are named as such.
    assert "—" not in placeholders["admin_only"]

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Immich Grace Hopper"
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
    """A wrong key, a closed port and https:// to an http server each say why."""
    user = await immich.create_user()
    result = await _user_step(hass, immich.server.url, "not-a-valid-key-0123456789")
    assert result["errors"] == {"base": "invalid_auth"}

    closed = "http://127.0.0.1:9"  # discard port: nothing listens there
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: closed, CONF_API_KEY: user.key, CONF_VERIFY_SSL: True},
    )
    assert result["errors"] == {"base": "cannot_connect"}

    # The real server speaks plain HTTP: https:// fails the same way with or without
    # verification, and the message says to use http:// (not to turn verifying off).
    https = immich.server.url.replace("http://", "https://")
    for verify in (True, False):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_URL: https, CONF_API_KEY: user.key, CONF_VERIFY_SSL: verify},
        )
        assert result["errors"] == {"base": "not_https"}, verify

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


async def test_reconfigure_keeps_the_key_when_left_empty(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """Only the URL changes: the key field left empty keeps the current key."""
    user = await immich.create_user("Keeper")
    entry = await setup_entry(hass, real_entry(immich.server, user))
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: f"{immich.server.url}/api/", CONF_VERIFY_SSL: True},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {
        CONF_URL: immich.server.url,
        CONF_API_KEY: user.key,
        CONF_VERIFY_SSL: True,
    }
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def _labels(hass: HomeAssistant) -> dict[str, str]:
    """Return the English names of the features, as the summary shows them."""
    strings = await async_get_translations(hass, "en", "selector", {DOMAIN})
    prefix = f"component.{DOMAIN}.selector.feature.options."
    return {
        key.removeprefix(prefix): text
        for key, text in strings.items()
        if key.startswith(prefix)
    }


def _listed(text: str) -> set[str]:
    """Return the features of a summary's list ("- feature" or "- feature: perms")."""
    return {
        line.removeprefix("- ").split(":", 1)[0]
        for line in text.splitlines()
        if line.startswith("- ")
    }


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda r: r.use)
async def test_summary_of_each_key_recipe(
    hass: HomeAssistant, immich: ImmichApi, recipe: KeyRecipe
) -> None:
    """The setup's summary lists exactly what the README's key of a use case unlocks."""
    assert set(FEATURES) >= recipe.unlocks
    user = await immich.create_user(f"Recipe {recipe.use}", admin=recipe.admin)
    key = await immich.create_key(user, recipe.permissions)
    result = await _user_step(hass, immich.server.url, key)
    assert result["step_id"] == "permissions", result.get("errors")
    labels = await _labels(hass)
    placeholders = result["description_placeholders"]
    assert _listed(placeholders["unlocked"]) == {labels[f] for f in recipe.unlocks}
    locked = set(FEATURES) - recipe.unlocks
    assert _listed(placeholders["locked"]) | _listed(placeholders["admin_only"]) == {
        labels[f] for f in locked
    }


async def test_least_privilege_key_sets_up_and_uploads_into_an_album(
    hass: HomeAssistant, immich: ImmichApi, tmp_path: Path
) -> None:
    """A camera uploader's key: set up, no repair issue, upload into a new album."""
    user = await immich.create_user("Camera owner")
    made = await immich.call(
        "POST",
        "/api-keys",
        token=user.token,
        json_body={
            "name": "Doorbell uploader",
            "permissions": list(CAMERA.permissions),
        },
    )
    result = await _user_step(hass, immich.server.url, made["secret"])
    assert result["step_id"] == "permissions", result.get("errors")
    assert "Doorbell uploader" in result["description_placeholders"]["account"]
    labels = await _labels(hass)
    assert labels["upload_to_album"] in result["description_placeholders"]["unlocked"]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Immich Doorbell uploader"
    entry = result["result"]
    assert entry.unique_id == f"key-{made['apiKey']['id']}"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert not [i for i in ir.async_get(hass).issues.values() if i.domain == DOMAIN]

    hass.config.allowlist_external_dirs = {str(tmp_path)}
    photo = tmp_path / "snapshot.jpg"
    photo.write_bytes(jpeg("doorbell"))
    album = f"Doorbell {uuid.uuid4().hex[:6]}"
    response = await call_action(
        hass, entry.entry_id, "upload", file_path=str(photo), album=album
    )
    [made_album] = await immich.albums_named(user.key, album)
    assert await immich.album_asset_ids(user.key, made_album["id"]) == {
        response["assets"][0]["asset_id"]
    }


async def _upload_refused(hass: HomeAssistant, entry_id: str, photo: Path) -> str:
    """Upload with a tag; return the permission named by the refusal."""
    with pytest.raises(HomeAssistantError) as refused:
        await call_action(hass, entry_id, "upload", file_path=str(photo), tags=["x"])
    assert refused.value.translation_key == "missing_permission"
    await hass.async_block_till_done()
    return str((refused.value.translation_placeholders or {})["permission"])


async def test_refusal_raises_a_dismissable_issue_then_the_key_grows(
    hass: HomeAssistant, immich: ImmichApi, tmp_path: Path
) -> None:
    """What the key can't do, used, raises an issue naming the action; dismissed, it
    stays away. Then the key gets every permission in Immich, and a reconfigure with
    the key field empty picks that up.
    """
    user = await immich.create_user("Camera owner")
    made = await immich.call(
        "POST",
        "/api-keys",
        token=user.token,
        json_body={"name": "Doorbell", "permissions": list(CAMERA.permissions)},
    )
    entry = await setup_entry(hass, real_entry(immich.server, user, key=made["secret"]))
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    photo = tmp_path / "snapshot.jpg"
    photo.write_bytes(jpeg("refused"))
    assert await _upload_refused(hass, entry.entry_id, photo) == "tag.read"
    issues = ir.async_get(hass)
    issue_id = f"missing_permissions_{entry.entry_id}"
    issue = issues.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["needs"] == "- Upload: tag.read"

    manager = await repairs_manager(hass)
    flow = await manager.async_init(DOMAIN, data={"issue_id": issue_id})
    assert flow["type"] is FlowResultType.MENU
    flow = await manager.async_configure(flow["flow_id"], {"next_step_id": "ignore"})
    flow = await manager.async_configure(flow["flow_id"], {})
    assert flow["type"] is FlowResultType.CREATE_ENTRY
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    assert await _upload_refused(hass, entry.entry_id, photo) == "tag.read"
    assert issues.async_get_issue(DOMAIN, issue_id) is None

    await immich.call(
        "PUT",
        f"/api-keys/{made['apiKey']['id']}",
        token=user.token,
        json_body={"permissions": ["all"]},
    )
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: immich.server.url, CONF_VERIFY_SSL: True}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.user is not None
    assert entry.runtime_data.user.id == user.id
    # The refused uploads stopped before sending anything: this one creates the asset.
    tagged = await call_action(
        hass, entry.entry_id, "upload", file_path=str(photo), tags=["Doorbell"]
    )
    assert tagged["assets"][0]["status"] == "created"


async def test_refusal_issue_hands_a_new_key_to_reauth(
    hass: HomeAssistant, immich: ImmichApi, tmp_path: Path
) -> None:
    """The issue's "new key" opens the entry's reauth, which names the permissions
    and takes a key of the same account; the entry reloads with it, the issue is gone.
    """
    user = await immich.create_user("Porch owner")
    made = await immich.call(
        "POST",
        "/api-keys",
        token=user.token,
        json_body={"name": "Porch", "permissions": list(CAMERA.permissions)},
    )
    entry = await setup_entry(hass, real_entry(immich.server, user, key=made["secret"]))
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    photo = tmp_path / "porch.jpg"
    photo.write_bytes(jpeg("porch"))
    assert await _upload_refused(hass, entry.entry_id, photo) == "tag.read"
    issue_id = f"missing_permissions_{entry.entry_id}"

    manager = await repairs_manager(hass)
    flow = await manager.async_init(DOMAIN, data={"issue_id": issue_id})
    flow = await manager.async_configure(flow["flow_id"], {"next_step_id": "confirm"})
    assert flow["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    [reauth] = entry.async_get_active_flows(hass, {SOURCE_REAUTH})
    assert reauth["step_id"] == "reauth_permissions"
    result = await hass.config_entries.flow.async_configure(
        reauth["flow_id"], {CONF_API_KEY: user.key}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data[CONF_API_KEY] == user.key
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    tagged = await call_action(
        hass, entry.entry_id, "upload", file_path=str(photo), tags=["Porch"]
    )
    assert tagged["assets"][0]["status"] == "created"
