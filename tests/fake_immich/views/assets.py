"""Handlers: assets (upload, update, trash, files), memories, duplicates, downloads."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.fake_immich import dto
from tests.fake_immich.state import (
    IMAGE_EXTENSIONS,
    MIME_TYPES,
    VIDEO_EXTENSIONS,
    Asset,
    jpeg_size,
    now,
    sha1_base64,
)

from .base import Call, FileReply, ImmichHTTPError, Reply, handles, parse_time

DEFAULT_ARCHIVE_SIZE = 4 * 1024**3

# --- assets ---------------------------------------------------------------------------


@handles("uploadAsset")
def upload_asset(call: Call) -> Reply:
    """Store an upload; a known checksum answers 200 ``duplicate`` (existing id)."""
    form = call.form
    assert form is not None
    header_checksum = call.request.headers.get("x-immich-checksum")
    if header_checksum and (
        dup := call.state.find_duplicate(call.user_id, header_checksum)
    ):
        return Reply({"id": dup.id, "status": "duplicate"}, 200)
    if "assetData" not in form.files:  # sent as a plain field: multer ignores it
        raise ImmichHTTPError(400, "assetData must be a file part")
    filename_in_part, data = form.files["assetData"]
    fields = form.fields
    if dup := call.state.find_duplicate(call.user_id, sha1_base64(data)):
        return Reply({"id": dup.id, "status": "duplicate"}, 200)
    filename = fields.get("filename") or filename_in_part or "upload.bin"
    extension = filename[filename.rfind(".") :].lower() if "." in filename else ""
    if (
        extension
        and extension not in IMAGE_EXTENSIONS
        and extension not in VIDEO_EXTENSIONS
    ):
        raise ImmichHTTPError(400, f"Unsupported file type {filename}")
    created = parse_time(fields.get("fileCreatedAt")) or now()
    asset_id = call.state.add_asset(
        call.user_id,
        data=data,
        filename=filename,
        asset_type="VIDEO" if extension in VIDEO_EXTENSIONS else "IMAGE",
        taken_at=created,
        favorite=fields.get("isFavorite", "").lower() == "true",
    )
    item = call.state.assets[asset_id]
    item.file_modified_at = parse_time(fields.get("fileModifiedAt")) or created
    item.device_asset_id = fields.get("deviceAssetId", "")
    item.device_id = fields.get("deviceId", "")
    item.visibility = fields.get("visibility", "timeline")
    item.mime_type = MIME_TYPES.get(extension, "application/octet-stream")
    if fields.get("duration"):
        item.duration = fields["duration"]
    return Reply({"id": asset_id, "status": "created"}, 201)


@handles("checkBulkUpload")
def bulk_upload_check(call: Call) -> Reply:
    """Tell which checksums the caller already has."""
    results = []
    for entry in call.body["assets"]:
        existing = call.state.find_duplicate(call.user_id, entry["checksum"])
        if existing is None:
            results.append({"id": entry["id"], "action": "accept"})
        else:
            results.append(
                {
                    "id": entry["id"],
                    "action": "reject",
                    "reason": "duplicate",
                    "assetId": existing.id,
                    "isTrashed": existing.is_trashed,
                }
            )
    return Reply({"results": results})


@handles("getAssetInfo")
def asset_info(call: Call) -> Reply:
    """Return one asset."""
    return Reply(dto.asset(call.state, call.asset(call.path["id"])))


def _apply_asset_update(item: Asset, body: dict[str, Any]) -> None:
    """Apply the fields of ``UpdateAssetDto``/``AssetBulkUpdateDto``."""
    for given, missing in (("latitude", "longitude"), ("longitude", "latitude")):
        if given in body and missing not in body:  # Immich validates them together
            raise ImmichHTTPError(
                400,
                [
                    f"{missing} should not be empty",
                    f"{missing} must be a {missing} string or number",
                ],
            )
    if "isFavorite" in body:
        item.is_favorite = body["isFavorite"]
    if "visibility" in body:
        item.visibility = body["visibility"]
    if "description" in body:
        item.description = body["description"]
    if "rating" in body:
        item.rating = body["rating"] or None  # 0 means unrated, as null
    if "latitude" in body:
        item.latitude = body["latitude"]
    if "longitude" in body:
        item.longitude = body["longitude"]
    if moment := parse_time(body.get("dateTimeOriginal")):
        # Immich sets the taken date (fileCreatedAt) too; localDateTime would be the
        # wall-clock time at the photo's place, which the stand-in keeps in UTC.
        item.taken_at = item.file_created_at = moment
    if "dateTimeRelative" in body:
        item.taken_at += timedelta(seconds=body["dateTimeRelative"])
    item.updated_at = now()


@handles("updateAsset")
def update_asset(call: Call) -> Reply:
    """Change favourite, visibility, description, rating... of an own asset."""
    item = call.asset(call.path["id"], "asset.update")
    if item.owner_id != call.user_id:
        call.deny("asset.update")
    _apply_asset_update(item, call.body)
    return Reply(dto.asset(call.state, item))


@handles("updateAssets")
def update_assets(call: Call) -> Reply:
    """Apply one change to many own assets (any other: the access error)."""
    items = [call.asset(asset_id, "asset.update") for asset_id in call.body["ids"]]
    if any(item.owner_id != call.user_id for item in items):
        call.deny("asset.update")
    for item in items:
        _apply_asset_update(item, call.body)
        if call.body.get("visibility") == "locked":  # Immich takes it out of albums
            for album in call.state.albums.values():
                if item.id in album.asset_ids:
                    album.asset_ids.remove(item.id)
    return Reply()


@handles("deleteAssets")
def delete_assets(call: Call) -> Reply:
    """Trash assets, or delete them for good with ``force``."""
    items = [call.asset(asset_id, "asset.delete") for asset_id in call.body["ids"]]
    for item in items:
        if item.owner_id != call.user_id:
            call.deny("asset.delete")
    for item in items:
        if call.body.get("force"):
            del call.state.assets[item.id]
            for album in call.state.albums.values():
                if item.id in album.asset_ids:
                    album.asset_ids.remove(item.id)
        else:
            item.is_trashed = True
            item.updated_at = now()
    return Reply()


def _own_assets(call: Call, permission: str) -> list[Asset]:
    """Return the caller's own assets named by ``ids`` (any other: the access error)."""
    items = [call.asset(asset_id, permission) for asset_id in call.body["ids"]]
    if any(item.owner_id != call.user_id for item in items):
        call.deny(permission)
    return items


@handles("restoreAssets")
def restore_assets(call: Call) -> Reply:
    """Restore own assets from the trash; Immich counts the ids, trashed or not."""
    items = _own_assets(call, "asset.delete")
    for item in items:
        item.is_trashed = False
        item.updated_at = now()
    return Reply({"count": len(items)})


@handles("emptyTrash")
def empty_trash(call: Call) -> Reply:
    """Delete the caller's trashed assets for good; count them."""
    trashed = [
        item
        for item in call.state.assets.values()
        if item.owner_id == call.user_id and item.is_trashed
    ]
    for item in trashed:
        del call.state.assets[item.id]
        for album in call.state.albums.values():
            if item.id in album.asset_ids:
                album.asset_ids.remove(item.id)
    return Reply({"count": len(trashed)})


@handles("getAssetStatistics")
def asset_statistics(call: Call) -> Reply:
    """Count the caller's images and videos."""
    items = [a for a in call.state.assets.values() if a.owner_id == call.user_id]
    trashed = call.flag("isTrashed")
    items = [a for a in items if a.is_trashed == bool(trashed)]
    if (favorite := call.flag("isFavorite")) is not None:
        items = [a for a in items if a.is_favorite == favorite]
    visibility = call.query.get("visibility")
    shown = {visibility} if visibility else {"timeline", "archive"}
    items = [a for a in items if a.visibility in shown]
    images = sum(1 for a in items if a.asset_type == "IMAGE")
    videos = sum(1 for a in items if a.asset_type == "VIDEO")
    return Reply({"images": images, "videos": videos, "total": len(items)})


@handles("downloadAsset")
def download_asset(call: Call) -> FileReply:
    """Serve the original file."""
    item = call.asset(call.path["id"], "asset.download")
    return FileReply(item.data, item.mime_type, item.filename)


@handles("viewAsset")
def view_asset(call: Call) -> FileReply:
    """Serve a thumbnail (the original if it is a JPEG, else a generated image)."""
    item = call.asset(call.path["id"], "asset.view")
    size = call.query.get("size", "thumbnail")
    if size == "original":
        return FileReply(item.data, item.mime_type, item.filename)
    if item.mime_type == "image/jpeg" and jpeg_size(item.data):
        return FileReply(item.data, "image/jpeg")
    return FileReply(call.state.next_jpeg(item.id), "image/jpeg")


@handles("playAssetVideo")
def play_video(call: Call) -> FileReply:
    """Stream a video asset."""
    item = call.asset(call.path["id"], "asset.view")
    if item.asset_type != "VIDEO":
        raise ImmichHTTPError(400, "Asset is not a video")
    return FileReply(item.data, item.mime_type or "video/mp4")


# --- memories and download ------------------------------------------------------------


@handles("searchMemories")
def memories(call: Call) -> Reply:
    """List the caller's memories."""
    items = [m for m in call.state.memories.values() if m.owner_id == call.user_id]
    if (saved := call.flag("isSaved")) is not None:
        items = [m for m in items if m.is_saved == saved]
    if size := call.query.get("size"):
        items = items[: int(size)]
    return Reply([dto.memory(call.state, m) for m in items])


@handles("getAssetDuplicates")
def duplicates(call: Call) -> Reply:
    """List the groups of the caller's duplicate assets (two or more left)."""
    groups = []
    for group_id, asset_ids in call.state.duplicates.items():
        assets = [
            call.state.assets[aid]
            for aid in asset_ids
            if aid in call.state.assets
            and call.state.assets[aid].owner_id == call.user_id
            and not call.state.assets[aid].is_trashed
        ]
        if len(assets) > 1:
            groups.append(
                {
                    "duplicateId": group_id,
                    "assets": [dto.asset(call.state, a) for a in assets],
                    "suggestedKeepAssetIds": [assets[0].id],
                }
            )
    return Reply(groups)


@handles("getDownloadInfo")
def download_info(call: Call) -> Reply:
    """Split the requested assets into archives of at most ``archiveSize`` bytes."""
    body = call.body
    if body.get("assetIds"):
        items = [call.asset(aid, "asset.download") for aid in body["assetIds"]]
    elif body.get("albumId"):
        album = call.album(body["albumId"], "album.download")
        items = [
            call.state.assets[aid]
            for aid in album.asset_ids
            if aid in call.state.assets
        ]
    elif body.get("userId"):
        items = [a for a in call.state.assets.values() if a.owner_id == body["userId"]]
        items = [a for a in items if call.state.asset_visible(a, call.user_id)]
    else:
        raise ImmichHTTPError(400, "assetIds, albumId, or userId is required")
    limit = body.get("archiveSize") or DEFAULT_ARCHIVE_SIZE
    archives: list[dict[str, Any]] = []
    current: dict[str, Any] = {"assetIds": [], "size": 0}
    for item in items:
        if current["assetIds"] and current["size"] + item.size > limit:
            archives.append(current)
            current = {"assetIds": [], "size": 0}
        current["assetIds"].append(item.id)
        current["size"] += item.size
    if current["assetIds"]:
        archives.append(current)
    return Reply({"totalSize": sum(a.size for a in items), "archives": archives})
