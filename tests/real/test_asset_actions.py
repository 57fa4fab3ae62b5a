"""The asset actions against a real Immich: each effect read back through the API.

update_assets (by id and through the photo an image shows), delete_assets by id and in
retention mode (an album's photos older than a duration, in an album shared with the
user as editor, refused as viewer), restore_assets and empty_trash.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest

from custom_components.immich_bridge.const import DOMAIN
from tests.common import call_action as _call

from .common import entity_id, setup_entry
from .harness import ImmichApi, RealUser, real_entry

# Immich writes changed metadata to the XMP sidecar and reads it back in the background.
METADATA_QUEUES = ("sidecar", "metadataExtraction")


def _ago(days: float) -> datetime:
    """Return a moment some days ago."""
    return datetime.now(UTC) - timedelta(days=days)


async def _asset(immich: ImmichApi, user: RealUser, asset_id: str) -> dict[str, Any]:
    """Return an asset once the server's metadata round trip settled."""
    await immich.wait_idle(METADATA_QUEUES)
    return await immich.asset(user.key, asset_id)


async def _gone(immich: ImmichApi, user: RealUser, asset_id: str) -> bool:
    """Return True when the user can no longer read the asset."""
    status, _ = await immich.raw("GET", f"/assets/{asset_id}", key=user.key)
    return status in {HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND}


async def _refused(
    hass: HomeAssistant, entry: Any, action: str, key: str, **data: Any
) -> None:
    """Call an action that must fail with this translated validation error."""
    with pytest.raises(ServiceValidationError) as caught:
        await _call(hass, entry, action, **data)
    assert (caught.value.translation_domain, caught.value.translation_key) == (
        DOMAIN,
        key,
    )


async def test_update_assets(hass: HomeAssistant, immich: ImmichApi) -> None:
    """Every field lands on both photos; 0 clears the rating; others' are refused."""
    user = await immich.create_user("Editor of photos")
    other = await immich.create_user("Someone else")
    first = await immich.upload(user.key)
    second = await immich.upload(user.key)
    theirs = await immich.upload(other.key)
    await immich.create_album(other.key, None, [theirs], users=[(user.id, "editor")])
    await immich.wait_idle(METADATA_QUEUES)  # the uploads' own metadata extraction
    entry = await setup_entry(hass, real_entry(immich.server, user))

    result = await _call(
        hass,
        entry,
        "update_assets",
        asset_id=[first, second],
        favorite=True,
        rating=4,
        visibility="archive",
        description="From Home Assistant",
        date_time="2020-05-01T12:30:00+02:00",
        latitude=52.52,
        longitude=13.405,
    )
    assert result["asset_ids"] == [first, second]
    for asset_id in (first, second):
        asset = await _asset(immich, user, asset_id)
        exif = asset["exifInfo"]
        assert asset["isFavorite"] is True
        assert asset["visibility"] == "archive"
        assert exif["rating"] == 4
        assert exif["description"] == "From Home Assistant"
        assert (exif["latitude"], exif["longitude"]) == (52.52, 13.405)
        assert exif["city"] == "Berlin"  # the server's reverse geocoding
        taken = datetime.fromisoformat(asset["fileCreatedAt"])
        assert taken == datetime(2020, 5, 1, 10, 30, tzinfo=UTC)

    await _call(hass, entry, "update_assets", asset_id=first, rating=0)
    assert (await _asset(immich, user, first))["exifInfo"]["rating"] is None

    # Readable through the shared album, but Immich lets only the owner change it.
    await _refused(
        hass, entry, "update_assets", "asset_not_owned", asset_id=theirs, favorite=True
    )
    assert (await immich.asset(other.key, theirs))["isFavorite"] is False


async def test_update_the_photo_an_image_shows(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """ "Favourite the photo on the frame": the latest-upload image's photo."""
    user = await immich.create_user("Frame watcher")
    asset_id = await immich.upload(user.key)
    await immich.wait_idle(METADATA_QUEUES)
    entry = await setup_entry(hass, real_entry(immich.server, user))
    image = entity_id(hass, entry, "image", "latest_upload")
    assert image is not None
    state = hass.states.get(image)
    assert state is not None
    assert state.attributes["asset_id"] == asset_id

    result = await _call(
        hass, entry, "update_assets", image_entity_id=image, favorite=True
    )
    assert result["asset_ids"] == [asset_id]
    assert (await _asset(immich, user, asset_id))["isFavorite"] is True


async def test_locking_is_one_way_for_a_key(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """Immich locks the photo, takes it out of its albums and hides it from keys."""
    user = await immich.create_user("Locker")
    asset_id = await immich.upload(user.key)
    album = await immich.create_album(user.key, None, [asset_id])
    entry = await setup_entry(hass, real_entry(immich.server, user))
    await _call(hass, entry, "update_assets", asset_id=asset_id, visibility="locked")
    assert await immich.album_asset_ids(user.key, album["id"]) == set()
    assert await _gone(immich, user, asset_id)
    await _refused(
        hass,
        entry,
        "update_assets",
        "asset_not_found",
        asset_id=asset_id,
        visibility="timeline",
    )


async def test_delete_restore_and_empty_trash(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """Trash, restore, empty the trash; force deletes for good; a dry run keeps all."""
    user = await immich.create_user("Cleaner")
    kept, back, gone, forced = [await immich.upload(user.key) for _ in range(4)]
    entry = await setup_entry(hass, real_entry(immich.server, user))

    dry = await _call(hass, entry, "delete_assets", asset_id=[back, gone], dry_run=True)
    assert (dry["asset_ids"], dry["count"]) == ([back, gone], 2)
    assert (await immich.asset(user.key, back))["isTrashed"] is False

    deleted = await _call(hass, entry, "delete_assets", asset_id=[back, gone])
    assert deleted["asset_ids"] == [back, gone]
    for asset_id in (back, gone):
        assert (await immich.asset(user.key, asset_id))["isTrashed"] is True

    restored = await _call(hass, entry, "restore_assets", asset_id=[back, kept])
    assert restored == {"count": 1, "restored": [back], "not_in_trash": [kept]}
    assert (await immich.asset(user.key, back))["isTrashed"] is False

    assert await _call(hass, entry, "empty_trash") == {"count": 1}
    await immich.wait_idle()
    assert await _gone(immich, user, gone)
    assert await _call(hass, entry, "empty_trash") == {"count": 0}

    await _call(hass, entry, "delete_assets", asset_id=forced, force=True)
    await immich.wait_idle()
    assert await _gone(immich, user, forced)
    for asset_id in (kept, back):
        assert (await immich.asset(user.key, asset_id))["isTrashed"] is False
    stats = await immich.call(
        "GET", "/assets/statistics", key=user.key, params={"isTrashed": "true"}
    )
    assert stats["total"] == 0


async def test_retention_in_an_album_shared_as_editor(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """Exactly the user's photos taken before the limit go, oldest first, in batches.

    The owner's old photo stays (Immich lets only the owner delete it) and is listed.
    """
    owner = await immich.create_user("Doorbell owner")
    user = await immich.create_user("Doorbell editor")
    owners_old = await immich.upload(owner.key, taken=_ago(40))
    album = await immich.create_album(
        owner.key, None, [owners_old], users=[(user.id, "editor")]
    )
    old = {days: await immich.upload(user.key, taken=_ago(days)) for days in (9, 30, 8)}
    recent = await immich.upload(user.key, taken=_ago(6))
    await immich.add_to_album(user.key, album["id"], [*old.values(), recent])
    await immich.wait_idle(METADATA_QUEUES)
    entry = await setup_entry(hass, real_entry(immich.server, user))
    week = {"days": 7}

    dry = await _call(
        hass,
        entry,
        "delete_assets",
        album=album["albumName"],
        older_than=week,
        max_assets=2,
        dry_run=True,
    )
    assert dry["album_id"] == album["id"]
    assert dry["asset_ids"] == [old[30], old[9]]  # the oldest first
    assert (dry["matched"], dry["count"], dry["remaining"]) == (3, 2, 1)
    assert dry["not_owned"] == [owners_old]
    trashed = [(await immich.asset(user.key, a))["isTrashed"] for a in old.values()]
    assert trashed == [False] * 3

    first = await _call(
        hass, entry, "delete_assets", album=album["id"], older_than=week, max_assets=2
    )
    assert (first["asset_ids"], first["remaining"]) == ([old[30], old[9]], 1)
    second = await _call(
        hass, entry, "delete_assets", album=album["id"], older_than=week, max_assets=2
    )
    assert (second["asset_ids"], second["remaining"]) == ([old[8]], 0)

    for asset_id in old.values():
        assert (await immich.asset(user.key, asset_id))["isTrashed"] is True
    assert (await immich.asset(user.key, recent))["isTrashed"] is False
    assert (await immich.asset(owner.key, owners_old))["isTrashed"] is False
    assert await immich.album_asset_ids(owner.key, album["id"]) == {
        owners_old,
        recent,
    }


async def test_retention_refused_in_an_album_shared_to_view(
    hass: HomeAssistant, immich: ImmichApi
) -> None:
    """A viewer's retention call is refused with a clear error; nothing is deleted.

    The server itself refuses a viewer's delete of the owner's photos (HTTP 400).
    """
    owner = await immich.create_user("Album owner")
    viewer = await immich.create_user("Album viewer")
    photo = await immich.upload(owner.key, taken=_ago(30))
    album = await immich.create_album(
        owner.key, None, [photo], users=[(viewer.id, "viewer")]
    )
    entry = await setup_entry(hass, real_entry(immich.server, viewer))
    await _refused(
        hass,
        entry,
        "delete_assets",
        "album_read_only",
        album=album["albumName"],
        older_than={"days": 7},
    )
    status, _ = await immich.raw(
        "DELETE", "/assets", key=viewer.key, json_body={"ids": [photo]}
    )
    assert status == HTTPStatus.BAD_REQUEST
    assert (await immich.asset(owner.key, photo))["isTrashed"] is False
    await _refused(hass, entry, "delete_assets", "asset_not_owned", asset_id=photo)
