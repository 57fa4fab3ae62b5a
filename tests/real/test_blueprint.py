"""The camera snapshot blueprint against a real Immich: snapshot → album, tagged."""

from __future__ import annotations

from pathlib import Path
import uuid

from homeassistant.core import HomeAssistant

from tests.test_blueprint import setup_doorbell_automation

from .common import setup_entry
from .harness import ImmichApi, jpeg, real_entry, sha1_hex


async def test_camera_snapshot_lands_in_a_shared_album(
    hass: HomeAssistant, immich: ImmichApi, tmp_path: Path
) -> None:
    """The doorbell's snapshot goes into the album another user shares, tagged.

    The album is found by name among the albums shared with the user (no private
    namesake is made), and the bytes on the server are the camera's.
    """
    owner = await immich.create_user("Family")
    user = await immich.create_user("Door")
    name = f"Doorbell {uuid.uuid4().hex[:6]}"
    album = await immich.create_album(owner.key, name, users=[(user.id, "editor")])
    entry = await setup_entry(hass, real_entry(immich.server, user))

    picture = jpeg("doorbell", width=96, height=64)
    tag = f"Home/Door {uuid.uuid4().hex[:6]}"
    await setup_doorbell_automation(
        hass, tmp_path, picture, immich=entry.entry_id, album=name, tags=[tag]
    )
    hass.states.async_set("binary_sensor.doorbell", "on")
    await hass.async_block_till_done(wait_background_tasks=True)

    [asset_id] = await immich.album_asset_ids(owner.key, album["id"])
    asset = await immich.asset(user.key, asset_id)
    assert asset["ownerId"] == user.id
    original = await immich.call("GET", f"/assets/{asset_id}/original", key=user.key)
    assert sha1_hex(original) == sha1_hex(picture)
    assert len(await immich.albums_named(user.key, name)) == 1
    await immich.wait_idle(("sidecar", "metadataExtraction"))
    tagged = await immich.asset(user.key, asset_id)
    assert {t["value"] for t in tagged.get("tags", [])} == {tag}
