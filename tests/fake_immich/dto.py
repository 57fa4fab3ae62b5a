"""Turn state objects into Immich response DTOs.

Each builder returns the *superset* of the v2 and v3 shapes where they only differ by
extra fields; the server prunes every response down to the fields the active spec
declares. Where the two versions disagree on values (album users, asset duration),
``v2`` selects the variant.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from .state import avatar_color, iso

if TYPE_CHECKING:
    from .state import (
        Album,
        Asset,
        ImmichState,
        Library,
        Memory,
        Person,
        QueueState,
        SharedLink,
        Tag,
        User,
    )

JSON = dict[str, Any]
THUMBHASH = "HBkSHYSIeHiPiHh8eJd4eTN0EEQG"
"""A placeholder thumbhash (the real server sets one once the thumbnail exists)."""


def user(item: User) -> JSON:
    """Return a ``UserResponseDto``."""
    return {
        "id": item.id,
        "name": item.name,
        "email": item.email,
        "avatarColor": avatar_color(item),
        "profileImagePath": "",
        "profileChangedAt": iso(item.updated_at),
    }


def user_admin(state: ImmichState, item: User) -> JSON:
    """Return a ``UserAdminResponseDto`` (what ``/users/me`` answers)."""
    usage = sum(
        asset.size for asset in state.assets.values() if asset.owner_id == item.id
    )
    return {
        **user(item),
        "isAdmin": item.is_admin,
        "storageLabel": item.storage_label,
        "shouldChangePassword": False,
        "quotaSizeInBytes": item.quota_size_in_bytes,
        "quotaUsageInBytes": usage,
        "status": "active",
        "createdAt": iso(item.created_at),
        "updatedAt": iso(item.updated_at),
        "deletedAt": None,
        "oauthId": "",
        "license": None,
    }


def tag(item: Tag) -> JSON:
    """Return a ``TagResponseDto`` (``parentId``/``color`` only when set)."""
    result: JSON = {
        "id": item.id,
        "name": item.name,
        "value": item.value,
        "createdAt": iso(item.created_at),
        "updatedAt": iso(item.updated_at),
    }
    if item.parent_id is not None:
        result["parentId"] = item.parent_id
    if item.color is not None:
        result["color"] = item.color
    return result


def person(item: Person) -> JSON:
    """Return a ``PersonResponseDto``."""
    return {
        "id": item.id,
        "name": item.name,
        "birthDate": item.birth_date,
        "isHidden": item.is_hidden,
        "isFavorite": item.is_favorite,
        "color": item.color,
        "thumbnailPath": f"/data/thumbs/{item.owner_id}/{item.id}.jpeg",
        "updatedAt": iso(item.updated_at),
    }


def asset(state: ImmichState, item: Asset) -> JSON:
    """Return an ``AssetResponseDto`` with exif, tags and people."""
    owner = state.users.get(item.owner_id)
    return {
        "id": item.id,
        "deviceAssetId": item.device_asset_id or item.id,
        "deviceId": item.device_id,
        "ownerId": item.owner_id,
        **({"owner": user(owner)} if owner else {}),
        "libraryId": item.library_id,
        "type": item.asset_type,
        "originalPath": item.original_path
        or f"/data/library/{item.owner_id}/{item.filename}",
        "originalFileName": item.filename,
        "originalMimeType": item.mime_type,
        "thumbhash": THUMBHASH,
        "fileCreatedAt": iso(item.file_created_at),
        "fileModifiedAt": iso(item.file_modified_at),
        "localDateTime": iso(item.local_at),
        "createdAt": iso(item.created_at),
        "updatedAt": iso(item.updated_at),
        "isFavorite": item.is_favorite,
        "isArchived": item.visibility == "archive",
        "isTrashed": item.is_trashed,
        "isOffline": False,
        "isEdited": False,
        "hasMetadata": True,
        "visibility": item.visibility,
        "duration": item.duration,
        "width": item.width,
        "height": item.height,
        "checksum": item.checksum,
        "livePhotoVideoId": item.live_photo_video_id,
        "duplicateId": None,
        "resized": True,
        "stack": None,
        "exifInfo": {
            "description": item.description,
            "rating": item.rating,
            "city": item.city,
            "country": item.country,
            "state": None,
            "latitude": item.latitude,
            "longitude": item.longitude,
            "dateTimeOriginal": iso(item.taken_at),
            "modifyDate": iso(item.file_modified_at),
            "timeZone": None,
            "fileSizeInByte": item.size,
            "exifImageWidth": item.width,
            "exifImageHeight": item.height,
            "make": None,
            "model": None,
            "lensModel": None,
            "fNumber": None,
            "focalLength": None,
            "iso": None,
            "exposureTime": None,
            "orientation": None,
            "projectionType": None,
        },
        "tags": [tag(t) for t in state.tags.values() if item.id in t.asset_ids],
        "people": [
            {**person(state.people[pid]), "faces": []}
            for pid in item.person_ids
            if pid in state.people
        ],
        "unassignedFaces": [],
    }


def album(
    state: ImmichState,
    item: Album,
    *,
    v2: bool,
    with_assets: bool = False,
    metadata: bool = True,
    contributors: bool = False,
) -> JSON:
    """Return an ``AlbumResponseDto``.

    v3: ``albumUsers`` starts with the owner (role ``owner``), no ``owner``/``assets``.
    v2: ``albumUsers`` lists only the shared users (by role, then name, as Immich);
    ``owner``, ``ownerId`` and ``assets``. ``metadata``: with
    ``lastModifiedAssetTimestamp`` (Immich leaves it out after create, update and
    share); ``contributors``: with ``contributorCounts`` when shared (one album).
    """
    owner = state.users[item.owner_id]
    members = sorted(
        (
            {"user": user(state.users[uid]), "role": role}
            for uid, role in item.users.items()
            if uid in state.users
        ),
        key=lambda member: (member["role"], member["user"]["name"]),
    )
    if not v2:
        members.insert(0, {"user": user(owner), "role": "owner"})
    assets = [state.assets[aid] for aid in item.asset_ids if aid in state.assets]
    assets = [a for a in assets if not a.is_trashed]
    result: JSON = {
        "id": item.id,
        "albumName": item.name,
        "description": item.description,
        "albumThumbnailAssetId": item.thumbnail_asset_id,
        "assetCount": len(assets),
        "shared": state.album_shared(item),
        "hasSharedLink": state.album_has_link(item.id),
        "isActivityEnabled": item.is_activity_enabled,
        "createdAt": iso(item.created_at),
        "updatedAt": iso(item.updated_at),
        "order": item.order,
        "albumUsers": members,
        "ownerId": item.owner_id,
        "owner": user(owner),
        "assets": [asset(state, a) for a in assets] if with_assets else [],
    }
    if assets:
        taken = sorted(a.taken_at for a in assets)
        result["startDate"] = iso(taken[0])
        result["endDate"] = iso(taken[-1])
        if metadata:
            latest = max(a.updated_at for a in assets)
            result["lastModifiedAssetTimestamp"] = iso(latest)
    if contributors and result["shared"]:
        counts: dict[str, int] = {}
        for entry in assets:
            counts[entry.owner_id] = counts.get(entry.owner_id, 0) + 1
        result["contributorCounts"] = [
            {"userId": uid, "assetCount": count}
            for uid, count in sorted(counts.items(), key=lambda pair: -pair[1])
        ]
    return result


def library(state: ImmichState, item: Library) -> JSON:
    """Return a ``LibraryResponseDto``."""
    return {
        "id": item.id,
        "name": item.name,
        "ownerId": item.owner_id,
        "importPaths": item.import_paths,
        "exclusionPatterns": item.exclusion_patterns,
        # Immich 2.7.5 answers 0 here whatever the library holds (its mapper counts a
        # relation it never loads); the count is in getLibraryStatistics.
        "assetCount": 0,
        "refreshedAt": iso(item.refreshed_at),
        "createdAt": iso(item.created_at),
        "updatedAt": iso(item.updated_at),
    }


def shared_link(
    state: ImmichState, item: SharedLink, *, v2: bool, with_album: bool = True
) -> JSON:
    """Return a ``SharedLinkResponseDto`` (the deprecated ``token``: never sent)."""
    result: JSON = {
        "id": item.id,
        "key": item.key,
        "slug": item.slug,
        "type": item.link_type,
        "userId": item.user_id,
        "description": item.description,
        "password": item.password,
        "createdAt": iso(item.created_at),
        "expiresAt": iso(item.expires_at),
        "allowDownload": item.allow_download,
        "allowUpload": item.allow_upload,
        "showMetadata": item.show_metadata,
        "assets": [
            asset(state, state.assets[aid])
            for aid in item.asset_ids
            if aid in state.assets
        ],
    }
    if with_album and item.album_id and item.album_id in state.albums:
        result["album"] = album(state, state.albums[item.album_id], v2=v2)
    return result


def queue(name: str, item: QueueState) -> JSON:
    """Return a ``QueueResponseDto``."""
    return {"name": name, "isPaused": item.is_paused, "statistics": item.statistics()}


def queue_legacy(item: QueueState) -> JSON:
    """Return a ``QueueResponseLegacyDto`` (``GET /jobs`` entry)."""
    return {
        "jobCounts": item.statistics(),
        "queueStatus": {"isActive": item.active > 0, "isPaused": item.is_paused},
    }


def memory(state: ImmichState, item: Memory) -> JSON:
    """Return a ``MemoryResponseDto``."""
    return {
        "id": item.id,
        "ownerId": item.owner_id,
        "type": "on_this_day",
        "data": {"year": item.year},
        "memoryAt": iso(item.memory_at),
        **(
            {
                "showAt": iso(item.show_at),
                "hideAt": iso(item.show_at + timedelta(days=1, microseconds=-1000)),
            }
            if item.show_at is not None
            else {}
        ),
        "createdAt": iso(item.created_at),
        "updatedAt": iso(item.updated_at),
        "isSaved": item.is_saved,
        "assets": [
            asset(state, state.assets[aid])
            for aid in item.asset_ids
            if aid in state.assets
        ],
    }


def human_size(size: int) -> str:
    """Format bytes like Immich's storage strings (``"500.0 GiB"``)."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} PiB"  # pragma: no cover
