"""The "Latest upload" and slideshow images on the real server: deleted photos give way.

Trashing the newest upload moves the image to the newest remaining one at the next poll;
a photo deleted for good between two polls is replaced when its picture is asked for
(never an HTTP 500); with nothing left the image is unavailable.
"""

from __future__ import annotations

from http import HTTPStatus

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.immich_bridge.const import CONF_FRAMES

from .common import entity_id, setup_entry
from .harness import ImmichApi, RealUser, real_entry


async def _preview(immich: ImmichApi, user: RealUser, asset_id: str) -> bytes:
    """Return the server's preview of an asset (what the picture must show)."""
    data = await immich.call(
        "GET",
        f"/assets/{asset_id}/thumbnail",
        key=user.key,
        params={"size": "preview"},
    )
    assert isinstance(data, bytes)
    return data


async def _delete(
    immich: ImmichApi, user: RealUser, asset_id: str, *, force: bool
) -> None:
    """Trash an asset, or delete it for good, and let the server finish."""
    await immich.call(
        "DELETE",
        "/assets",
        key=user.key,
        json_body={"ids": [asset_id], "force": force},
    )
    await immich.wait_idle()


async def _poll(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Run the upload watcher's poll now."""
    watcher = entry.runtime_data.photos.watcher
    await watcher.async_refresh()
    await hass.async_block_till_done()


async def test_latest_upload_moves_on_after_deletion(
    hass: HomeAssistant,
    immich: ImmichApi,
    hass_client: ClientSessionGenerator,
) -> None:
    """Trashed or deleted, the latest upload gives way to the newest remaining one."""
    user = await immich.create_user()
    older = await immich.upload(user.key)
    newest = await immich.upload(user.key)
    await immich.wait_idle()
    entry = await setup_entry(hass, real_entry(immich.server, user))
    image = entity_id(hass, entry, "image", "latest_upload")
    assert image is not None
    client = await hass_client()

    async def shown() -> tuple[str | None, int, bytes]:
        state = hass.states.get(image)
        assert state is not None
        if state.state == STATE_UNAVAILABLE:
            return None, 0, b""
        response = await client.get(state.attributes["entity_picture"])
        body = await response.read()
        await hass.async_block_till_done()
        state = hass.states.get(image)
        assert state is not None
        return state.attributes.get("asset_id"), response.status, body

    assert await shown() == (
        newest,
        HTTPStatus.OK,
        await _preview(immich, user, newest),
    )

    # Trashed: the next poll shows the newest remaining upload.
    await _delete(immich, user, newest, force=False)
    await _poll(hass, entry)
    assert await shown() == (older, HTTPStatus.OK, await _preview(immich, user, older))

    # A new upload, deleted for good before the next poll: asking for its picture
    # finds it gone and shows the newest remaining upload instead of failing.
    later = await immich.upload(user.key)
    await immich.wait_idle()
    await _poll(hass, entry)
    state = hass.states.get(image)
    assert state is not None
    assert state.attributes["asset_id"] == later  # its picture not fetched yet
    await _delete(immich, user, later, force=True)
    assert await shown() == (older, HTTPStatus.OK, await _preview(immich, user, older))

    # Nothing left: unavailable, not a broken picture.
    await _delete(immich, user, older, force=False)
    await _poll(hass, entry)
    assert await shown() == (None, 0, b"")


async def test_slideshow_photo_deleted_before_it_is_shown(
    hass: HomeAssistant,
    immich: ImmichApi,
    hass_client: ClientSessionGenerator,
) -> None:
    """A slideshow's photo deleted for good gives way to another photo of its album."""
    user = await immich.create_user()
    photos = [await immich.upload(user.key) for _ in range(2)]
    album = await immich.create_album(user.key, asset_ids=photos)
    await immich.wait_idle()
    entry = await setup_entry(
        hass,
        real_entry(
            immich.server, user, options={CONF_FRAMES: [f"album:{album['id']}"]}
        ),
    )
    frame = entity_id(hass, entry, "image", f"frame_album_{album['id']}")
    assert frame is not None
    state = hass.states.get(frame)
    assert state is not None
    gone = state.attributes["asset_id"]
    (kept,) = set(photos) - {gone}
    await _delete(immich, user, gone, force=True)

    client = await hass_client()
    response = await client.get(state.attributes["entity_picture"])
    assert response.status == HTTPStatus.OK
    assert await response.read() == await _preview(immich, user, kept)
    await hass.async_block_till_done()
    state = hass.states.get(frame)
    assert state is not None
    assert state.attributes["asset_id"] == kept
