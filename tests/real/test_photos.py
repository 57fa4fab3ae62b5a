"""Photos through Home Assistant against a real Immich: media source, new uploads."""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path

from homeassistant.components import media_source
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.immich_bridge.const import DOMAIN

from .common import entity_id, setup_entry
from .harness import ImmichApi, jpeg, real_entry, run_cli

ROOT = f"media-source://{DOMAIN}"


async def _children(hass: HomeAssistant, path: str) -> dict[str, str]:
    """Browse one folder of our media source: child title -> content id."""
    node = await media_source.async_browse_media(hass, f"{ROOT}/{path}")
    return {child.title: child.media_content_id for child in node.children or []}


async def test_media_source_browse_resolve_fetch_shared_album(
    hass: HomeAssistant,
    immich: ImmichApi,
    hass_client: ClientSessionGenerator,
) -> None:
    """A shared album is browsed with every member's photos, resolved and fetched."""
    owner = await immich.create_user("Owner")
    member = await immich.create_user("Member")
    own_photo = await immich.upload(owner.key, filename="owner.jpg")
    album = await immich.create_album(
        owner.key,
        f"Shared trip {own_photo[:8]}",
        [own_photo],
        users=[(member.id, "editor")],
    )
    member_photo = await immich.upload(member.key, filename="member.jpg")
    await immich.add_to_album(member.key, album["id"], [member_photo])

    assert await async_setup_component(hass, "media_source", {})
    entry = await setup_entry(hass, real_entry(immich.server, member))

    albums = await _children(hass, f"{entry.unique_id}/albums")
    assert album["albumName"] in albums
    photos = await media_source.async_browse_media(hass, albums[album["albumName"]])
    shown = {child.title for child in photos.children or []}
    assert shown == {"owner.jpg", "member.jpg"}

    client = await hass_client()
    for child in photos.children or []:
        played = await media_source.async_resolve_media(
            hass, child.media_content_id, None
        )
        asset_id = played.url.split("/")[-2]
        assert asset_id in {own_photo, member_photo}
        response = await client.get(played.url)
        assert response.status == HTTPStatus.OK
        body = await response.read()
        # The proxy hands out exactly what the server serves for that size.
        status, direct = await immich.raw(
            "GET",
            f"/assets/{asset_id}/thumbnail",
            key=member.key,
            params={"size": played.url.rsplit("/", 1)[1]},
        )
        assert status == HTTPStatus.OK
        assert body == direct
        assert body[:3] == b"\xff\xd8\xff"  # a JPEG


async def test_new_upload_with_the_cli_fires_an_event(
    hass: HomeAssistant, immich: ImmichApi, tmp_path: Path
) -> None:
    """Photos uploaded with the real CLI are announced once and become the latest."""
    user = await immich.create_user("Uploader")
    await immich.upload(user.key, filename="before.jpg")
    entry = await setup_entry(hass, real_entry(immich.server, user))
    await hass.async_block_till_done(wait_background_tasks=True)
    new_asset = entity_id(hass, entry, "event", "new_asset")
    latest = entity_id(hass, entry, "image", "latest_upload")
    assert new_asset is not None
    assert latest is not None
    before = hass.states.get(new_asset)
    assert before is not None

    fired: list[str] = []

    @callback
    def _record(event: Event[EventStateChangedData]) -> None:
        state = event.data["new_state"]
        if (
            event.data["entity_id"] == new_asset
            and state is not None
            and state.attributes.get("asset_id")
        ):
            fired.append(state.attributes["file_name"])

    # Listen before the upload: with this key (`all`) Immich's push may announce the
    # photos while the CLI still runs; the poll below finds the rest, nothing twice.
    unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, _record)
    folder = tmp_path / "camera"
    folder.mkdir()
    for index in range(2):
        (folder / f"cli-{index}.jpg").write_bytes(jpeg(f"cli {index}"))
    await hass.async_add_executor_job(
        run_cli, immich.server, user.key, "upload", "--recursive", str(folder)
    )
    watcher = entry.runtime_data.photos.watcher
    await watcher.async_refresh()
    await hass.async_block_till_done()
    assert sorted(fired) == ["cli-0.jpg", "cli-1.jpg"]

    # Polling again announces nothing twice.
    await watcher.async_refresh()
    await hass.async_block_till_done()
    unsubscribe()
    assert sorted(fired) == ["cli-0.jpg", "cli-1.jpg"]

    image = hass.states.get(latest)
    assert image is not None
    assert image.attributes["file_name"] in {"cli-0.jpg", "cli-1.jpg"}
