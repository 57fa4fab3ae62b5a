"""The album, tag and shared-link actions."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from homeassistant.util import dt as dt_util

from .action_common import (
    album_refusal,
    async_album,
    async_check_assets,
    async_refresh,
    check_album_writable,
)
from .api import (
    AlbumRole,
    ImmichAlbum,
    ImmichClient,
)
from .const import (
    ATTR_ALBUM,
    ATTR_ALLOW_DOWNLOAD,
    ATTR_ALLOW_UPLOAD,
    ATTR_ASSET_ID,
    ATTR_DESCRIPTION,
    ATTR_EXPIRES_AT,
    ATTR_EXPIRES_IN,
    ATTR_LINK_ID,
    ATTR_NAME,
    ATTR_PASSWORD,
    ATTR_ROLE,
    ATTR_SHOW_METADATA,
    ATTR_TAGS,
    ATTR_USERS,
)
from .helpers import failed, invalid
from .resolve import async_tags, async_users

if TYPE_CHECKING:
    from .coordinator import ImmichBridgeConfigEntry


# -------------------------------------------------------------------- albums


def _album_response(client: ImmichClient, album: ImmichAlbum) -> dict[str, Any]:
    """Describe an album for a response."""
    return {
        "album_id": album.id,
        "name": album.name,
        "description": album.description,
        "asset_count": album.asset_count,
        "url": client.album_web_url(album.id),
    }


async def async_create_album(
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Create an album, optionally with assets."""
    client = entry.runtime_data.client
    await async_check_assets(client, data[ATTR_ASSET_ID])
    album = await client.create_album(
        data[ATTR_NAME],
        description=data.get(ATTR_DESCRIPTION),
        asset_ids=data[ATTR_ASSET_ID],
    )
    await async_refresh(entry)
    return _album_response(client, album)


async def async_update_album(
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Rename an album or change its description."""
    client = entry.runtime_data.client
    if ATTR_NAME not in data and ATTR_DESCRIPTION not in data:
        raise invalid(key="nothing_to_update")
    album = await async_album(entry, data[ATTR_ALBUM])
    check_album_writable(entry, album)
    with album_refusal(album):
        album = await client.update_album(
            album.id, name=data.get(ATTR_NAME), description=data.get(ATTR_DESCRIPTION)
        )
    await async_refresh(entry)
    return _album_response(client, album)


async def async_delete_album(
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> None:
    """Delete an album; its photos stay in the library."""
    album = await async_album(entry, data[ATTR_ALBUM])
    user = entry.runtime_data.user
    if user is not None and album.role_of(user.id) not in ("owner", None):
        raise invalid(key="album_not_owner", album=album.name)
    await entry.runtime_data.client.delete_album(album.id)
    await async_refresh(entry)


async def async_add_to_album(
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Add assets to an album; assets already in it are fine."""
    client = entry.runtime_data.client
    album = await async_album(entry, data[ATTR_ALBUM])
    check_album_writable(entry, album)
    await async_check_assets(client, data[ATTR_ASSET_ID])
    with album_refusal(album):
        results = await client.add_assets_to_album(album.id, data[ATTR_ASSET_ID])
    await async_refresh(entry)
    return {
        "album_id": album.id,
        "added": [item.id for item in results if item.success],
        "already_in_album": [
            item.id
            for item in results
            if not item.success and item.error == "duplicate"
        ],
        "failed": [
            {"asset_id": item.id, "error": item.error or "unknown"}
            for item in results
            if not item.success and item.error != "duplicate"
        ],
    }


async def async_remove_from_album(
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Remove assets from an album; assets not in it are reported, not refused."""
    client = entry.runtime_data.client
    album = await async_album(entry, data[ATTR_ALBUM])
    check_album_writable(entry, album)
    with album_refusal(album):
        results = await client.remove_assets_from_album(album.id, data[ATTR_ASSET_ID])
    await async_refresh(entry)
    return {
        "album_id": album.id,
        "removed": [item.id for item in results if item.success],
        "not_in_album": [item.id for item in results if not item.success],
    }


async def async_share_album(
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Share an album with users named by e-mail address or id."""
    client = entry.runtime_data.client
    album = await async_album(entry, data[ATTR_ALBUM])
    role: AlbumRole = data[ATTR_ROLE]
    chosen: dict[str, AlbumRole] = {
        user.id: role for user in await async_users(client, data[ATTR_USERS])
    }
    shared = {user.user_id for user in album.album_users}
    if album.owner_id is not None:
        shared.add(album.owner_id)
    new = [(user_id, role) for user_id, role in chosen.items() if user_id not in shared]
    if new:
        with album_refusal(album):
            album = await client.share_album(album.id, new)
    await async_refresh(entry)
    roles = {user.user_id: user.role for user in album.album_users}
    return {
        "album_id": album.id,
        "users": [
            {"user_id": user_id, "role": roles.get(user_id, role)}
            for user_id, role in chosen.items()
        ],
        "added": [user_id for user_id, _ in new],
    }


# ---------------------------------------------------------------------- tags


async def async_create_tag(
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Create a tag (a path such as "Home/Garden" creates its parents too)."""
    client = entry.runtime_data.client
    created = await client.upsert_tags([data[ATTR_NAME]])
    tag = next(
        (t for t in created if t.value.casefold() == data[ATTR_NAME].casefold()),
        None,
    )
    if tag is None:
        raise failed(key="server_error")
    await async_refresh(entry)
    return {"tag_id": tag.id, "name": tag.name, "value": tag.value}


async def async_tag_assets(
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Tag assets; tags that don't exist yet are created.

    All tags go in one request: Immich writes each asset's tags to its sidecar and
    reads them back in the background, and one request per tag raced that round trip
    (the tags of the first request came back without the others).
    """
    client = entry.runtime_data.client
    assets = await async_check_assets(client, data[ATTR_ASSET_ID])
    tags = await async_tags(client, data[ATTR_TAGS], create=True)
    await client.tag_assets_bulk([tag.id for tag in tags], data[ATTR_ASSET_ID])
    await async_refresh(entry)
    # Immich tags only the user's own assets and answers a count: the changed assets
    # are the owned ones that lacked one of the tags.
    wanted = {tag.id for tag in tags}
    user = entry.runtime_data.user  # None: the key can't tell which are its own
    return {
        "tag_ids": [tag.id for tag in tags],
        "asset_ids": data[ATTR_ASSET_ID],
        "changed": [
            asset.id
            for asset in assets
            if (user is None or asset.owner_id == user.id)
            and not wanted <= {tag.id for tag in asset.tags}
        ],
    }


async def async_untag_assets(
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Remove tags from assets."""
    client = entry.runtime_data.client
    tags = await async_tags(client, data[ATTR_TAGS], create=False)
    asset_ids: list[str] = data[ATTR_ASSET_ID]
    # Immich has no request for several tags: one removal per tag, sent together.
    # Each removal rewrites the asset's XMP sidecar in the background and reads it
    # back; on a busy server that round trip has been seen to restore one of several
    # tags removed together (sent one after the other too): docs/actions.md says so.
    changed: dict[str, None] = {}
    removals = (client.untag_assets(tag.id, asset_ids) for tag in tags)
    for results in await asyncio.gather(*removals):
        changed.update(dict.fromkeys(item.id for item in results if item.success))
    await async_refresh(entry)
    return {
        "tag_ids": [tag.id for tag in tags],
        "asset_ids": asset_ids,
        "changed": list(changed),
    }


# -------------------------------------------------------------- shared links


def _expiry(data: dict[str, Any]) -> datetime | None:
    """Return when a new link expires (in UTC), or None for never."""
    if (delta := data.get(ATTR_EXPIRES_IN)) is not None:
        return dt_util.utcnow() + cast("timedelta", delta)
    moment: datetime | None = data.get(ATTR_EXPIRES_AT)
    if moment is None:
        return None
    if moment <= dt_util.utcnow():
        raise invalid(key="expiry_in_past", expires_at=moment.isoformat())
    return moment


async def async_create_shared_link(
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Create a public link to an album or to assets."""
    client = entry.runtime_data.client
    if not data.get(ATTR_ALBUM) and not data.get(ATTR_ASSET_ID):
        raise invalid(key="shared_link_target_required")
    expires_at = _expiry(data)
    album_id: str | None = None
    if ATTR_ALBUM in data:
        album_id = (await async_album(entry, data[ATTR_ALBUM])).id
    else:
        await async_check_assets(client, data[ATTR_ASSET_ID])
    link = await client.create_shared_link(
        album_id=album_id,
        asset_ids=data.get(ATTR_ASSET_ID, ()),
        expires_at=expires_at,
        password=data.get(ATTR_PASSWORD),
        allow_download=data[ATTR_ALLOW_DOWNLOAD],
        allow_upload=data[ATTR_ALLOW_UPLOAD],
        show_metadata=data[ATTR_SHOW_METADATA],
        description=data.get(ATTR_DESCRIPTION),
    )
    url = await client.shared_link_url(link)
    return {
        "link_id": link.id,
        "url": url,
        "type": link.type.lower(),
        "album_id": link.album_id,
        "asset_ids": list(link.asset_ids),
        "expires_at": link.expires_at.isoformat() if link.expires_at else None,
        "password_protected": link.has_password,
    }


async def async_delete_shared_link(
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> None:
    """Delete a shared link."""
    client = entry.runtime_data.client
    link_id = data[ATTR_LINK_ID]
    if not any(link.id == link_id for link in await client.shared_links()):
        raise invalid(key="shared_link_not_found", link_id=link_id)
    await client.delete_shared_link(link_id)
