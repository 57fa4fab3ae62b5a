"""Handlers: albums, tags and shared links."""

from __future__ import annotations

import secrets

from tests.fake_immich import dto
from tests.fake_immich.state import SharedLink, new_id, now

from .base import Call, ImmichHTTPError, Reply, handles, parse_time

# --- albums ---------------------------------------------------------------------------


@handles("getAllAlbums")
def all_albums(call: Call) -> Reply:
    """List albums, newest first, as Immich's album repository does.

    Absent ``shared``: the caller's *own* albums only; ``shared=true``: albums shared
    with the caller or shared by the caller (with users or a link of theirs);
    ``shared=false``: own albums shared with nobody; ``assetId``: albums the caller
    owns or is a member of that hold the asset.
    """
    state, me = call.state, call.user_id
    albums = list(state.albums.values())
    if asset_id := call.query.get("assetId"):
        albums = [
            a for a in albums if state.album_visible(a, me) and asset_id in a.asset_ids
        ]
    elif (shared := call.flag("shared")) is True:
        albums = [
            a
            for a in albums
            if (a.users and (a.owner_id == me or me in a.users))
            or any(
                link.album_id == a.id and link.user_id == me
                for link in state.shared_links.values()
            )
        ]
    elif shared is False:
        albums = [a for a in albums if a.owner_id == me and not state.album_shared(a)]
    else:
        albums = [a for a in albums if a.owner_id == me]
    albums.sort(key=lambda a: (a.created_at, a.seq), reverse=True)
    return Reply([dto.album(state, a, v2=call.v2) for a in albums])


@handles("getAlbumStatistics")
def album_statistics(call: Call) -> Reply:
    """Count owned, shared and not-shared albums."""
    state, me = call.state, call.user_id
    owned = [a for a in state.albums.values() if a.owner_id == me]
    shared = [
        a
        for a in state.albums.values()
        if (a.owner_id == me and state.album_shared(a)) or me in a.users
    ]
    not_shared = [a for a in owned if not state.album_shared(a)]
    return Reply(
        {"owned": len(owned), "shared": len(shared), "notShared": len(not_shared)}
    )


@handles("getAlbumInfo")
def album_info(call: Call) -> Reply:
    """Return one album (v2 includes its assets unless ``withoutAssets=true``)."""
    item = call.album(call.path["id"])
    with_assets = call.v2 and not call.flag("withoutAssets")
    return Reply(
        dto.album(
            call.state, item, v2=call.v2, with_assets=with_assets, contributors=True
        )
    )


@handles("createAlbum")
def create_album(call: Call) -> Reply:
    """Create an album with optional assets and users."""
    body = call.body
    for entry in body.get("albumUsers", []):
        if entry["userId"] not in call.state.users:
            raise ImmichHTTPError(400, "User not found")
        if entry["userId"] == call.user_id:
            raise ImmichHTTPError(400, "Cannot share album with owner")
    asset_ids = [
        aid
        for aid in body.get("assetIds", [])
        if aid in call.state.assets
        and call.state.asset_shareable(call.state.assets[aid], call.user_id)
    ]
    album_id = call.state.add_album(
        call.user_id,
        body["albumName"],
        asset_ids=asset_ids,
        description=body.get("description", ""),
    )
    item = call.state.albums[album_id]
    for entry in body.get("albumUsers", []):
        item.users[entry["userId"]] = entry.get("role", "editor")
    return Reply(
        dto.album(call.state, item, v2=call.v2, with_assets=True, metadata=False)
    )


@handles("updateAlbumInfo")
def update_album(call: Call) -> Reply:
    """Rename, describe, set the cover or order of an album."""
    item = call.album(call.path["id"], "album.update")
    body = call.body
    if "albumName" in body:
        item.name = body["albumName"]
    if "description" in body:
        item.description = body["description"]
    if "albumThumbnailAssetId" in body:
        if body["albumThumbnailAssetId"] not in item.asset_ids:
            raise ImmichHTTPError(400, "Invalid album thumbnail")
        item.thumbnail_asset_id = body["albumThumbnailAssetId"]
    if "isActivityEnabled" in body:
        item.is_activity_enabled = body["isActivityEnabled"]
    if "order" in body:
        item.order = body["order"]
    item.updated_at = now()
    return Reply(dto.album(call.state, item, v2=call.v2, metadata=False))


@handles("deleteAlbum")
def delete_album(call: Call) -> Reply:
    """Delete an own album."""
    item = call.album(call.path["id"], "album.delete")
    del call.state.albums[item.id]
    for link in [x for x in call.state.shared_links.values() if x.album_id == item.id]:
        del call.state.shared_links[link.id]
    return Reply()


@handles("addAssetsToAlbum")
def add_assets_to_album(call: Call) -> Reply:
    """Add own or partner assets (editors and the owner); one result per id."""
    if call.path["id"] not in call.state.albums:
        raise ImmichHTTPError(400, "Album not found")
    item = call.album(call.path["id"], "albumAsset.create")
    results = []
    for asset_id in call.body["ids"]:
        asset = call.state.assets.get(asset_id)
        if asset_id in item.asset_ids:
            results.append({"id": asset_id, "success": False, "error": "duplicate"})
        elif asset is None or not call.state.asset_shareable(asset, call.user_id):
            results.append({"id": asset_id, "success": False, "error": "no_permission"})
        else:
            item.asset_ids.append(asset_id)
            results.append({"id": asset_id, "success": True})
    if item.thumbnail_asset_id is None and item.asset_ids:
        item.thumbnail_asset_id = item.asset_ids[0]
    item.updated_at = now()
    return Reply(results)


@handles("removeAssetFromAlbum")
def remove_assets_from_album(call: Call) -> Reply:
    """Remove assets: the owner any, an editor own and partner ones; one per id."""
    item = call.album(call.path["id"], "albumAsset.delete")
    owner = item.owner_id == call.user_id
    results = []
    for asset_id in call.body["ids"]:
        asset = call.state.assets.get(asset_id)
        if asset_id in item.asset_ids and not (
            owner
            or (asset is not None and call.state.asset_shareable(asset, call.user_id))
        ):
            results.append({"id": asset_id, "success": False, "error": "no_permission"})
        elif asset_id in item.asset_ids:
            item.asset_ids.remove(asset_id)
            results.append({"id": asset_id, "success": True})
        else:
            results.append({"id": asset_id, "success": False, "error": "not_found"})
    if item.thumbnail_asset_id not in item.asset_ids:
        item.thumbnail_asset_id = item.asset_ids[0] if item.asset_ids else None
    item.updated_at = now()
    return Reply(results)


@handles("addUsersToAlbum")
def add_users_to_album(call: Call) -> Reply:
    """Share an own album with users."""
    item = call.album(call.path["id"], "album.share")
    for entry in call.body["albumUsers"]:
        user_id = entry["userId"]
        if user_id == item.owner_id:
            raise ImmichHTTPError(400, "Cannot be shared with owner")
        if user_id in item.users:
            raise ImmichHTTPError(400, "User already added")
        if user_id not in call.state.users:
            raise ImmichHTTPError(400, "User not found")
        item.users[user_id] = entry.get("role", "editor")
    return Reply(dto.album(call.state, item, v2=call.v2, metadata=False))


# --- tags -----------------------------------------------------------------------------


@handles("getAllTags")
def all_tags(call: Call) -> Reply:
    """List the caller's tags."""
    return Reply(
        [dto.tag(t) for t in call.state.tags.values() if t.owner_id == call.user_id]
    )


@handles("createTag")
def create_tag(call: Call) -> Reply:
    """Create one tag under an optional parent."""
    body = call.body
    parent = call.tag(body["parentId"], "tag.read") if body.get("parentId") else None
    value = f"{parent.value}/{body['name']}" if parent else body["name"]
    if call.state.find_tag(call.user_id, value):
        raise ImmichHTTPError(400, "A tag with that name already exists")
    tag_id = call.state.add_tag(call.user_id, value)
    item = call.state.tags[tag_id]
    item.color = body.get("color")
    return Reply(dto.tag(item))


@handles("upsertTags")
def upsert_tags(call: Call) -> Reply:
    """Create tags by path (parents too) and return the leaves."""
    ids = [call.state.add_tag(call.user_id, value) for value in call.body["tags"]]
    return Reply([dto.tag(call.state.tags[tag_id]) for tag_id in ids])


def _tag_bulk(call: Call, *, add: bool) -> Reply:
    """Tag or untag assets; one BulkId result per id."""
    item = call.tag(call.path["id"], "tag.asset")
    results = []
    for asset_id in call.body["ids"]:
        asset = call.state.assets.get(asset_id)
        if add and asset_id in item.asset_ids:
            results.append({"id": asset_id, "success": False, "error": "duplicate"})
        elif not add and asset_id not in item.asset_ids:
            results.append({"id": asset_id, "success": False, "error": "not_found"})
        elif asset is None or not call.state.asset_shareable(asset, call.user_id):
            results.append({"id": asset_id, "success": False, "error": "no_permission"})
        elif add == (asset_id in item.asset_ids):
            error = "duplicate" if add else "not_found"
            results.append({"id": asset_id, "success": False, "error": error})
        else:
            (item.asset_ids.add if add else item.asset_ids.discard)(asset_id)
            results.append({"id": asset_id, "success": True})
    return Reply(results)


@handles("tagAssets")
def tag_assets(call: Call) -> Reply:
    """Tag assets."""
    return _tag_bulk(call, add=True)


@handles("untagAssets")
def untag_assets(call: Call) -> Reply:
    """Untag assets."""
    return _tag_bulk(call, add=False)


@handles("bulkTagAssets")
def bulk_tag_assets(call: Call) -> Reply:
    """Tag many own assets with many own tags; answer the number of new links.

    Like Immich, tags and assets the caller may not change are skipped silently.
    """
    state, me = call.state, call.user_id
    tags = [
        state.tags[tag_id]
        for tag_id in dict.fromkeys(call.body["tagIds"])
        if tag_id in state.tags and state.tags[tag_id].owner_id == me
    ]
    assets = [
        state.assets[asset_id]
        for asset_id in dict.fromkeys(call.body["assetIds"])
        if asset_id in state.assets and state.assets[asset_id].owner_id == me
    ]
    count = 0
    for item in tags:
        for asset in assets:
            if asset.id not in item.asset_ids:
                item.asset_ids.add(asset.id)
                count += 1
    return Reply({"count": count})


# --- shared links ---------------------------------------------------------------------


@handles("getAllSharedLinks")
def all_shared_links(call: Call) -> Reply:
    """List the caller's links (optionally of one album or one id)."""
    links = [x for x in call.state.shared_links.values() if x.user_id == call.user_id]
    if album_id := call.query.get("albumId"):
        links = [x for x in links if x.album_id == album_id]
    if link_id := call.query.get("id"):
        links = [x for x in links if x.id == link_id]
    return Reply([dto.shared_link(call.state, x, v2=call.v2) for x in links])


@handles("createSharedLink")
def create_shared_link(call: Call) -> Reply:
    """Create an album or individual link."""
    body = call.body
    link = SharedLink(
        id=new_id(),
        user_id=call.user_id,
        key=secrets.token_urlsafe(50),
        link_type=body["type"],
        slug=body.get("slug"),
        expires_at=parse_time(body.get("expiresAt")),
        # Immich's defaults: uploads allowed; no metadata shown means no download.
        allow_download=body.get("showMetadata") is not False
        and body.get("allowDownload", True),
        allow_upload=body.get("allowUpload", True),
        show_metadata=body.get("showMetadata", True),
        password=body.get("password"),
        description=body.get("description"),
    )
    if link.link_type == "ALBUM":
        if not body.get("albumId"):
            raise ImmichHTTPError(400, "Invalid albumId")
        link.album_id = call.album(body["albumId"], "album.share").id
    else:
        if not body.get("assetIds"):
            raise ImmichHTTPError(400, "Invalid assetIds")
        link.asset_ids = [call.asset(aid, "asset.share").id for aid in body["assetIds"]]
    if link.slug and any(x.slug == link.slug for x in call.state.shared_links.values()):
        raise ImmichHTTPError(400, "Shared link with this slug already exists")
    call.state.shared_links[link.id] = link
    # As Immich: the new link's answer has no ``album`` (a later read has).
    return Reply(dto.shared_link(call.state, link, v2=call.v2, with_album=False))


def _own_link(call: Call) -> SharedLink:
    """Return the caller's link from the path or raise Immich's error."""
    link = call.state.shared_links.get(call.path["id"])
    if link is None or link.user_id != call.user_id:
        raise ImmichHTTPError(400, "Shared link not found")
    return link


@handles("getSharedLinkById")
def shared_link_by_id(call: Call) -> Reply:
    """Return one link."""
    return Reply(dto.shared_link(call.state, _own_link(call), v2=call.v2))


@handles("removeSharedLink")
def remove_shared_link(call: Call) -> Reply:
    """Delete one link."""
    del call.state.shared_links[_own_link(call).id]
    return Reply()
