"""The asset actions: change, delete and restore photos and videos, empty the trash."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util

from .action_common import (
    asset_summary,
    async_album,
    async_check_assets,
    async_refresh,
    check_album_writable,
)
from .api import (
    ImmichAsset,
    ImmichNotFoundError,
    Visibility,
    is_uuid,
)
from .const import (
    ATTR_ALBUM,
    ATTR_ASSET_ID,
    ATTR_DATE_TIME,
    ATTR_DESCRIPTION,
    ATTR_DRY_RUN,
    ATTR_FAVORITE,
    ATTR_FORCE,
    ATTR_IMAGE_ENTITY_ID,
    ATTR_LATITUDE,
    ATTR_LONGITUDE,
    ATTR_MAX_ASSETS,
    ATTR_OLDER_THAN,
    ATTR_RATING,
    ATTR_VISIBILITY,
    DOMAIN,
    LOGGER,
)
from .helpers import invalid

if TYPE_CHECKING:
    from .coordinator import ImmichBridgeConfigEntry


IDS_IN_MESSAGE: Final = 10  # asset ids an error message names at most


def _named(asset_ids: Sequence[str]) -> str:
    """Name at most a few asset ids in a message."""
    shown = ", ".join(asset_ids[:IDS_IN_MESSAGE])
    return shown if len(asset_ids) <= IDS_IN_MESSAGE else f"{shown}, …"


def _check_owned(entry: ImmichBridgeConfigEntry, assets: Sequence[ImmichAsset]) -> None:
    """Refuse assets of other users: Immich lets only the owner change or delete one.

    Without the key's user (no user.read) the server decides, and refuses the request.
    """
    user = entry.runtime_data.user
    if user is None:
        return
    if others := [asset.id for asset in assets if asset.owner_id != user.id]:
        raise invalid(key="asset_not_owned", asset_ids=_named(others))


@contextmanager
def _owners_only() -> Iterator[None]:
    """Turn Immich's refusal of assets just read into "only the owner may".

    The assets exist (they were just read): Immich's "Not found or no access" to a
    change means some belong to another user, which a key without user.read can't
    tell beforehand.
    """
    try:
        yield
    except ImmichNotFoundError as err:
        raise invalid(key="assets_of_others") from err


def _shown_asset_id(
    hass: HomeAssistant, entry: ImmichBridgeConfigEntry, entity_id: str
) -> str:
    """Return the id of the asset one of the entry's image entities shows now."""
    registered = er.async_get(hass).async_get(entity_id)
    if (
        registered is None
        or registered.platform != DOMAIN
        or registered.config_entry_id != entry.entry_id
    ):
        raise invalid(key="not_an_immich_image", entity_id=entity_id)
    state = hass.states.get(entity_id)
    asset_id = None if state is None else state.attributes.get(ATTR_ASSET_ID)
    if not isinstance(asset_id, str) or not is_uuid(asset_id):
        raise invalid(key="image_no_asset", entity_id=entity_id)
    return asset_id


def _changes(data: dict[str, Any]) -> dict[str, Any]:
    """Return the changes an update asks for, by field name."""
    return {
        field: data[field]
        for field in (
            ATTR_FAVORITE,
            ATTR_RATING,
            ATTR_VISIBILITY,
            ATTR_DESCRIPTION,
            ATTR_DATE_TIME,
            ATTR_LATITUDE,
            ATTR_LONGITUDE,
        )
        if field in data
    }


async def async_update_assets(
    hass: HomeAssistant, entry: ImmichBridgeConfigEntry, data: dict[str, Any]
) -> dict[str, Any]:
    """Favourite, rate, hide, describe, re-date or place photos in one request."""
    client = entry.runtime_data.client
    shown = [
        _shown_asset_id(hass, entry, entity_id)
        for entity_id in data[ATTR_IMAGE_ENTITY_ID]
    ]
    asset_ids = list(dict.fromkeys([*data[ATTR_ASSET_ID], *shown]))
    if not asset_ids:
        raise invalid(key="asset_target_required")
    if not (changes := _changes(data)):
        raise invalid(key="no_asset_change")
    _check_owned(entry, await async_check_assets(client, asset_ids))
    visibility: Visibility | None = changes.get(ATTR_VISIBILITY)
    when: datetime | None = changes.get(ATTR_DATE_TIME)
    with _owners_only():
        await client.update_assets(
            asset_ids,
            is_favorite=changes.get(ATTR_FAVORITE),
            visibility=visibility,
            description=changes.get(ATTR_DESCRIPTION),
            rating=changes.get(ATTR_RATING),
            date_time_original=when,
            latitude=changes.get(ATTR_LATITUDE),
            longitude=changes.get(ATTR_LONGITUDE),
        )
    LOGGER.debug("Updated %d assets (%s)", len(asset_ids), ", ".join(changes))
    await async_refresh(entry)
    if when is not None:
        changes[ATTR_DATE_TIME] = when.isoformat()
    return {"asset_ids": asset_ids, "changes": changes}


async def _async_retention(
    entry: ImmichBridgeConfigEntry, ref: str, older_than: timedelta
) -> tuple[dict[str, Any], list[ImmichAsset], list[str]]:
    """Return an album's facts, its own assets taken before the cut-off (oldest first).

    Also the older assets of other users: Immich lets only the owner delete an asset.
    """
    album = await async_album(entry, ref)
    check_album_writable(entry, album)
    cutoff = dt_util.utcnow() - older_than
    older = sorted(
        (
            asset
            for asset in await entry.runtime_data.client.album_assets(album.id)
            if not asset.is_trashed and asset.file_created_at < cutoff
        ),
        key=lambda asset: (asset.file_created_at, asset.id),
    )
    user = entry.runtime_data.user
    own = [a for a in older if user is None or a.owner_id == user.id]
    others = [a.id for a in older if user is not None and a.owner_id != user.id]
    facts = {"album_id": album.id, "taken_before": cutoff.isoformat()}
    return facts, own, others


async def async_delete_assets(
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Trash (or delete for good) photos by id, or an album's older ones."""
    client = entry.runtime_data.client
    limit: int = data[ATTR_MAX_ASSETS]
    facts: dict[str, Any] = {"album_id": None, "taken_before": None}
    others: list[str] = []
    if ATTR_ALBUM in data:
        if ATTR_OLDER_THAN not in data:
            raise invalid(key="older_than_required")
        facts, matched, others = await _async_retention(
            entry, data[ATTR_ALBUM], data[ATTR_OLDER_THAN]
        )
    elif data.get(ATTR_ASSET_ID):
        if ATTR_OLDER_THAN in data:
            raise invalid(key="older_than_needs_album")
        if len(data[ATTR_ASSET_ID]) > limit:
            raise invalid(
                key="too_many_assets",
                count=str(len(data[ATTR_ASSET_ID])),
                max_assets=str(limit),
            )
        matched = await async_check_assets(client, data[ATTR_ASSET_ID])
        _check_owned(entry, matched)
    else:
        raise invalid(key="delete_target_required")
    chosen = matched[:limit]
    if chosen and not data[ATTR_DRY_RUN]:
        with _owners_only():
            await client.delete_assets([a.id for a in chosen], force=data[ATTR_FORCE])
        LOGGER.debug(
            "Deleted %d assets (%s)",
            len(chosen),
            "for good" if data[ATTR_FORCE] else "to the trash",
        )
        await async_refresh(entry)
    return {
        **facts,
        "dry_run": data[ATTR_DRY_RUN],
        "force": data[ATTR_FORCE],
        "matched": len(matched),
        "count": len(chosen),
        "remaining": len(matched) - len(chosen),
        "asset_ids": [a.id for a in chosen],
        "assets": [asset_summary(client, a) for a in chosen],
        "not_owned": others,
    }


async def async_restore_assets(
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Restore photos from the trash; those not in it are reported."""
    client = entry.runtime_data.client
    assets = await async_check_assets(client, data[ATTR_ASSET_ID])
    _check_owned(entry, assets)
    trashed = [asset.id for asset in assets if asset.is_trashed]
    if trashed:
        # Immich counts the ids it is sent, trashed or not: send only trashed ones.
        with _owners_only():
            await client.restore_assets(trashed)
        await async_refresh(entry)
    return {
        "count": len(trashed),
        "restored": trashed,
        "not_in_trash": [asset.id for asset in assets if not asset.is_trashed],
    }


async def async_empty_trash(
    entry: ImmichBridgeConfigEntry,
    _data: dict[str, Any],
) -> dict[str, Any]:
    """Delete everything in the user's trash for good."""
    count = await entry.runtime_data.client.empty_trash()
    await async_refresh(entry)
    return {"count": count}
