"""Request handlers of the fake Immich server, one per spec ``operationId``.

Handlers are synchronous: the server has already authenticated the caller, read and
validated the body (JSON in ``call.body``, multipart fields in ``call.form``) before
calling them. Behaviour follows the Immich server source where the spec is silent, e.g.
an id the caller may not see is a ``400 Not found or no <permission> access`` (not a
404).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
import random
import secrets
from typing import TYPE_CHECKING, Any, NoReturn

from . import dto
from .state import (
    IMAGE_EXTENSIONS,
    MIME_TYPES,
    VIDEO_EXTENSIONS,
    Album,
    Asset,
    SharedLink,
    Tag,
    iso,
    jpeg_size,
    new_id,
    now,
    sha1_base64,
)

if TYPE_CHECKING:
    from aiohttp import web
    from multidict import MultiMapping

    from .spec import ImmichSpec, Operation
    from .state import ApiKey, ImmichState, Library, User

MIN_FACES = 3  # Immich's default facialRecognition.minFaces

STARTABLE_QUEUES = frozenset(
    {
        "thumbnailGeneration",
        "metadataExtraction",
        "videoConversion",
        "faceDetection",
        "facialRecognition",
        "smartSearch",
        "duplicateDetection",
        "sidecar",
        "library",
        "storageTemplateMigration",
        "migration",
        "backupDatabase",
        "ocr",
    }
)
"""Queues that accept the legacy ``start`` command (Immich source)."""
ALBUM_ROLES = {
    "album.read": "viewer",
    "album.download": "viewer",
    "albumAsset.create": "editor",
    "albumAsset.delete": "editor",
    "album.update": "editor",
    "album.share": "editor",
    "album.delete": "owner",
}
"""The least album role each permission needs (Immich ``utils/access.ts``)."""
_ROLES_AT_LEAST = {
    "owner": {"owner", "editor", "viewer"},
    "editor": {"editor", "viewer"},
    "viewer": {"viewer"},
}
DEFAULT_EXCLUSION_PATTERNS = (
    "**/@eaDir/**",
    "**/._*",
    "**/#recycle/**",
    "**/#snapshot/**",
    "**/.stversions/**",
    "**/.stfolder/**",
)
"""What a new library excludes unless told otherwise (Immich library service)."""
DEFAULT_ARCHIVE_SIZE = 4 * 1024**3
SEARCH_DEFAULT_SIZE = 250


class ImmichHTTPError(Exception):
    """An error answered with Immich's error body."""

    def __init__(self, status: int, message: str | list[str]) -> None:
        """Remember status and message."""
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(slots=True)
class Reply:
    """A JSON reply; ``status`` None means the operation's documented success status."""

    data: Any = None
    status: int | None = None


@dataclass(slots=True)
class FileReply:
    """A binary reply (served with HTTP Range support)."""

    data: bytes
    content_type: str
    filename: str | None = None


@dataclass(slots=True)
class UploadForm:
    """Fields and files of a multipart request."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str | None, bytes]] = field(default_factory=dict)


@dataclass(slots=True)
class Call:
    """Everything a handler needs about one request."""

    request: web.Request
    operation: Operation
    spec: ImmichSpec
    state: ImmichState
    path: dict[str, str]
    query: MultiMapping[str]
    user: User | None
    key: ApiKey | None
    body: Any = None
    form: UploadForm | None = None
    rng: random.Random = field(default_factory=random.Random)

    @property
    def user_id(self) -> str:
        """The caller's user id (every non-public operation has one)."""
        assert self.user is not None
        return self.user.id

    @property
    def v2(self) -> bool:
        """Whether the active spec is the v2 flavour."""
        return self.spec.is_v2

    def flag(self, name: str) -> bool | None:
        """Return a boolean query parameter (None when absent)."""
        value = self.query.get(name)
        return None if value is None else value.lower() == "true"

    def deny(self, permission: str) -> NoReturn:
        """Raise Immich's access error (it answers 400, not 404, for unknown ids)."""
        raise ImmichHTTPError(400, f"Not found or no {permission} access")

    def asset(self, asset_id: str, permission: str = "asset.read") -> Asset:
        """Return a visible asset or raise the access error.

        A locked asset needs a session unlocked with the PIN: an API key never has one.
        """
        item = self.state.assets.get(asset_id)
        if (
            item is None
            or not self.state.asset_visible(item, self.user_id)
            or item.visibility == "locked"
        ):
            self.deny(permission)
        return item

    def album(self, album_id: str, permission: str = "album.read") -> Album:
        """Return the album if the caller's role allows ``permission``, else raise.

        As Immich's access checks: viewers may read and download, editors may also
        add and remove assets, update and share, only the owner may delete.
        """
        item = self.state.albums.get(album_id)
        role = None if item is None else self.state.album_role(item, self.user_id)
        if item is None or role is None:
            self.deny(permission)
        if ALBUM_ROLES.get(permission, "owner") not in _ROLES_AT_LEAST[role]:
            self.deny(permission)
        return item

    def tag(self, tag_id: str, permission: str = "tag.read") -> Tag:
        """Return an own tag or raise the access error."""
        item = self.state.tags.get(tag_id)
        if item is None or item.owner_id != self.user_id:
            self.deny(permission)
        return item


Handler = Callable[[Call], Reply | FileReply]
HANDLERS: dict[str, Handler] = {}


def handles(operation_id: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``operation_id``."""

    def register(func: Handler) -> Handler:
        """Store the handler."""
        HANDLERS[operation_id] = func
        return func

    return register


# --- server ---------------------------------------------------------------------------


@handles("pingServer")
def ping(_call: Call) -> Reply:
    """Answer the ping."""
    return Reply({"res": "pong"})


@handles("getServerVersion")
def server_version(call: Call) -> Reply:
    """Return the version the spec stands for (3.0.0 or 2.7.5)."""
    major, minor, patch = call.spec.version
    return Reply({"major": major, "minor": minor, "patch": patch})


@handles("getVersionHistory")
def version_history(call: Call) -> Reply:
    """Return one install record."""
    version = "v{}.{}.{}".format(*call.spec.version)
    return Reply([{"id": new_id(), "version": version, "createdAt": iso(now())}])


@handles("getAboutInfo")
def about(call: Call) -> Reply:
    """Return build information."""
    version = "v{}.{}.{}".format(*call.spec.version)
    return Reply(
        {
            "version": version,
            "versionUrl": f"https://github.com/immich-app/immich/releases/tag/{version}",
            "licensed": False,
            "nodejs": "v22.14.0",
            "ffmpeg": "7.0.2-9",
            "libvips": "8.16.1",
            "exiftool": "13.00",
            "imagemagick": "7.1.1-47",
            "repository": "immich-app/immich",
            "repositoryUrl": "https://github.com/immich-app/immich",
            "sourceRef": version,
            "sourceCommit": "0" * 40,
        }
    )


@handles("getVersionCheck")
def version_check(call: Call) -> Reply:
    """Return the latest release the server has seen."""
    state = call.state
    return Reply(
        {
            "checkedAt": iso(state.version_check_at),
            "releaseVersion": state.version_check_release,
        }
    )


@handles("getServerFeatures")
def features(call: Call) -> Reply:
    """Return the feature flags."""
    return Reply(dict(call.state.features))


@handles("getServerConfig")
def server_config(call: Call) -> Reply:
    """Return the public server config."""
    state = call.state
    return Reply(
        {
            "externalDomain": state.external_domain,
            "isInitialized": True,
            "isOnboarded": True,
            "maintenanceMode": False,
            "trashDays": state.trash_days,
            "userDeleteDelay": 7,
            "loginPageMessage": state.login_page_message,
            "oauthButtonText": "Login with OAuth",
            "publicUsers": True,
            "mapDarkStyleUrl": "https://tiles.immich.cloud/v1/style/dark.json",
            "mapLightStyleUrl": "https://tiles.immich.cloud/v1/style/light.json",
        }
    )


@handles("getSupportedMediaTypes")
def media_types(_call: Call) -> Reply:
    """Return the supported file extensions (Immich sends extensions, not MIME)."""
    return Reply(
        {
            "image": list(IMAGE_EXTENSIONS),
            "video": sorted(VIDEO_EXTENSIONS),
            "sidecar": [".xmp"],
        }
    )


@handles("getStorage")
def storage(call: Call) -> Reply:
    """Return disk usage."""
    size, use = call.state.disk_size, call.state.disk_use
    available = max(0, size - use - call.state.disk_reserved)
    return Reply(
        {
            "diskSize": dto.human_size(size),
            "diskUse": dto.human_size(use),
            "diskAvailable": dto.human_size(available),
            "diskSizeRaw": size,
            "diskUseRaw": use,
            "diskAvailableRaw": available,
            "diskUsagePercentage": round(use / size * 100, 2) if size else 0.0,
        }
    )


@handles("getServerStatistics")
def server_statistics(call: Call) -> Reply:
    """Return per-user and total usage."""
    rows: list[dict[str, Any]] = []
    for item in call.state.users.values():
        owned = [a for a in call.state.assets.values() if a.owner_id == item.id]
        photos = [a for a in owned if a.asset_type == "IMAGE"]
        videos = [a for a in owned if a.asset_type == "VIDEO"]
        rows.append(
            {
                "userId": item.id,
                "userName": item.name,
                "photos": len(photos),
                "videos": len(videos),
                "usage": sum(a.size for a in owned),
                "usagePhotos": sum(a.size for a in photos),
                "usageVideos": sum(a.size for a in videos),
                "quotaSizeInBytes": item.quota_size_in_bytes,
            }
        )
    totals = {
        key: sum(row[key] for row in rows)
        for key in ("photos", "videos", "usage", "usagePhotos", "usageVideos")
    }
    return Reply({**totals, "usageByUser": rows})


# --- users and keys -------------------------------------------------------------------


@handles("getMyUser")
def my_user(call: Call) -> Reply:
    """Return the caller."""
    assert call.user is not None
    return Reply(dto.user_admin(call.state, call.user))


@handles("searchUsers")
def users(call: Call) -> Reply:
    """Return every user."""
    return Reply([dto.user(item) for item in call.state.users.values()])


@handles("createUserAdmin")
def create_user_admin(call: Call) -> Reply:
    """Create a user with a password (admin)."""
    body = call.body
    email = body["email"].lower()
    if any(item.email.lower() == email for item in call.state.users.values()):
        raise ImmichHTTPError(400, "User exists")
    user_id = call.state.add_user(
        body["name"],
        body["email"],
        is_admin=bool(body.get("isAdmin")),
        password=body["password"],
    )
    item = call.state.users[user_id]
    item.quota_size_in_bytes = body.get("quotaSizeInBytes")
    item.storage_label = body.get("storageLabel")
    item.should_change_password = body.get("shouldChangePassword", True)
    if body.get("avatarColor"):
        item.avatar_color = body["avatarColor"]
    return Reply(dto.user_admin(call.state, item))


@handles("login")
def login(call: Call) -> Reply:
    """Log in with e-mail and password; answer a session token."""
    body = call.body
    email = body["email"].lower()
    item = next(
        (u for u in call.state.users.values() if u.email.lower() == email), None
    )
    if item is None or item.password is None or item.password != body["password"]:
        raise ImmichHTTPError(401, "Incorrect email or password")
    return Reply(
        {
            "accessToken": call.state.add_session(item.id),
            "userId": item.id,
            "userEmail": item.email,
            "name": item.name,
            "isAdmin": item.is_admin,
            "isOnboarded": False,
            "profileImagePath": "",
            "shouldChangePassword": item.should_change_password,
        },
        201,
    )


def _check_grant(call: Call, wanted: list[str]) -> None:
    """Refuse a key granting what it doesn't hold itself (sessions may grant all)."""
    key = call.key
    assert key is not None
    from_key = key.secret in call.state.api_keys
    if (
        from_key
        and "all" not in key.permissions
        and ("all" in wanted or not set(wanted) <= set(key.permissions))
    ):
        raise ImmichHTTPError(400, "Cannot grant permissions you do not have")


@handles("createApiKey")
def create_api_key(call: Call) -> Reply:
    """Create a key; a key may only grant what it holds itself (sessions: all)."""
    wanted = call.body["permissions"]
    _check_grant(call, wanted)
    secret = call.state.add_api_key(
        call.user_id, wanted, name=call.body.get("name") or "API Key"
    )
    made = call.state.api_keys[secret]
    return Reply({"secret": secret, "apiKey": _api_key(made)}, 201)


@handles("updateApiKey")
def update_api_key(call: Call) -> Reply:
    """Rename a key of the caller's user or change its permissions."""
    key_id = call.path["id"]
    found = next(
        (
            key
            for key in call.state.api_keys.values()
            if key.id == key_id and key.user_id == call.user_id
        ),
        None,
    )
    if found is None:
        raise ImmichHTTPError(400, "API Key not found")
    if "permissions" in call.body:
        _check_grant(call, call.body["permissions"])
        found.permissions = tuple(call.body["permissions"])
    if "name" in call.body:
        found.name = call.body["name"]
    found.updated_at = now()
    return Reply(_api_key(found))


def _api_key(key: ApiKey) -> dict[str, Any]:
    """Return an ``APIKeyResponseDto``."""
    return {
        "id": key.id,
        "name": key.name,
        "permissions": list(key.permissions),
        "createdAt": iso(key.created_at),
        "updatedAt": iso(key.updated_at),
    }


def _partner(call: Call, user_id: str, in_timeline: bool) -> dict[str, Any]:
    """Return a ``PartnerResponseDto`` (the other user, and ``inTimeline``)."""
    return {**dto.user(call.state.users[user_id]), "inTimeline": in_timeline}


@handles("createPartner")
def create_partner(call: Call) -> Reply:
    """Share the caller's photos with another user."""
    other = call.body["sharedWithId"]
    if (call.user_id, other) in call.state.partners:
        raise ImmichHTTPError(400, "Partner already exists")
    if other not in call.state.users:
        raise ImmichHTTPError(400, "User not found")
    call.state.add_partner(call.user_id, other)
    return Reply(_partner(call, other, in_timeline=False), 201)


@handles("getPartners")
def partners(call: Call) -> Reply:
    """List partners: ``shared-by`` (the caller shares with) or ``shared-with``."""
    by_me = call.query.get("direction") == "shared-by"
    me = call.user_id
    return Reply(
        [
            _partner(call, to if by_me else by, shown)
            for (by, to), shown in call.state.partners.items()
            if (by if by_me else to) == me
        ]
    )


@handles("updatePartner")
def update_partner(call: Call) -> Reply:
    """Show (or hide) a partner's photos in the caller's timeline."""
    pair = (call.path["id"], call.user_id)
    if pair not in call.state.partners:
        call.deny("partner.update")
    call.state.partners[pair] = bool(call.body["inTimeline"])
    return Reply(_partner(call, pair[0], call.state.partners[pair]))


@handles("removePartner")
def remove_partner(call: Call) -> Reply:
    """Stop sharing the caller's photos with a user."""
    pair = (call.user_id, call.path["id"])
    if pair not in call.state.partners:
        raise ImmichHTTPError(400, "Partner not found")
    del call.state.partners[pair]
    return Reply()


@handles("getMyApiKey")
def my_api_key(call: Call) -> Reply:
    """Return the key used for this request."""
    key = call.key
    assert key is not None
    return Reply(
        {
            "id": key.id,
            "name": key.name,
            "permissions": list(key.permissions),
            "createdAt": iso(key.created_at),
            "updatedAt": iso(key.updated_at),
        }
    )


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


# --- assets ---------------------------------------------------------------------------


def _parse_time(value: str | None) -> datetime | None:
    """Parse an ISO date-time (``Z`` allowed)."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
    created = _parse_time(fields.get("fileCreatedAt")) or now()
    asset_id = call.state.add_asset(
        call.user_id,
        data=data,
        filename=filename,
        asset_type="VIDEO" if extension in VIDEO_EXTENSIONS else "IMAGE",
        taken_at=created,
        favorite=fields.get("isFavorite", "").lower() == "true",
    )
    item = call.state.assets[asset_id]
    item.file_modified_at = _parse_time(fields.get("fileModifiedAt")) or created
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
    if moment := _parse_time(body.get("dateTimeOriginal")):
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
        expires_at=_parse_time(body.get("expiresAt")),
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


# --- queues and jobs ------------------------------------------------------------------


@handles("getQueues")
def queues(call: Call) -> Reply:
    """List every queue."""
    return Reply([dto.queue(name, q) for name, q in call.state.queues.items()])


@handles("getQueue")
def get_queue(call: Call) -> Reply:
    """Return one queue."""
    name = call.path["name"]
    return Reply(dto.queue(name, call.state.queues[name]))


@handles("updateQueue")
def update_queue(call: Call) -> Reply:
    """Pause or resume a queue."""
    name = call.path["name"]
    item = call.state.queues[name]
    if call.body.get("isPaused") is True and name == "backgroundTask":
        raise ImmichHTTPError(400, "The BackgroundTask queue cannot be paused")
    if "isPaused" in call.body:
        item.is_paused = call.body["isPaused"]
        call.state.queue_commands.append(
            (name, "pause" if item.is_paused else "resume", False)
        )
    return Reply(dto.queue(name, item))


@handles("emptyQueue")
def empty_queue(call: Call) -> Reply:
    """Drop waiting jobs (and failed ones with ``failed: true``)."""
    name = call.path["name"]
    item = call.state.queues[name]
    item.waiting = item.paused = 0  # BullMQ drain(): delayed jobs stay
    failed = bool(call.body.get("failed"))
    if failed:
        item.failed = 0
    call.state.queue_commands.append(
        (name, "clear-failed" if failed else "empty", False)
    )
    return Reply()


@handles("getQueuesLegacy")
def queues_legacy(call: Call) -> Reply:
    """Return the deprecated ``/jobs`` map."""
    return Reply({name: dto.queue_legacy(q) for name, q in call.state.queues.items()})


@handles("runQueueCommandLegacy")
def queue_command_legacy(call: Call) -> Reply:
    """Run ``start|pause|resume|empty|clear-failed`` (deprecated ``/jobs``)."""
    name = call.path["name"]
    item = call.state.queues[name]
    command = call.body["command"]
    force = bool(call.body.get("force"))
    if command == "start":
        if name not in STARTABLE_QUEUES:
            raise ImmichHTTPError(400, "Invalid job name")
        if item.active > 0:
            raise ImmichHTTPError(400, "Job is already running")
        item.waiting += max(1, len(call.state.assets) if force else 1)
    elif command in {"pause", "resume"}:
        if name == "backgroundTask":
            raise ImmichHTTPError(400, "Cannot pause the background task queue")
        item.is_paused = command == "pause"
    elif command == "empty":
        item.waiting = item.paused = 0  # BullMQ drain(): delayed jobs stay
    else:
        item.failed = 0
    call.state.queue_commands.append((name, command, force))
    return Reply(dto.queue_legacy(item))


# --- libraries ------------------------------------------------------------------------


@handles("getAllLibraries")
def libraries(call: Call) -> Reply:
    """List every library."""
    return Reply([dto.library(call.state, x) for x in call.state.libraries.values()])


def _library(call: Call, permission: str) -> Any:
    """Return the library of the path or raise."""
    item = call.state.libraries.get(call.path["id"])
    if item is None:
        call.deny(permission)
    return item


@handles("getLibrary")
def get_library(call: Call) -> Reply:
    """Return one library."""
    return Reply(dto.library(call.state, _library(call, "library.read")))


@handles("getLibraryStatistics")
def library_statistics(call: Call) -> Reply:
    """Count one library's assets (trashed ones too, as Immich does not tell apart)."""
    item = _library(call, "library.statistics")
    assets = [a for a in call.state.assets.values() if a.library_id == item.id]
    photos = sum(1 for a in assets if a.asset_type == "IMAGE")
    videos = sum(1 for a in assets if a.asset_type == "VIDEO")
    return Reply(
        {
            "photos": photos,
            "videos": videos,
            "total": photos + videos,
            "usage": sum(a.size for a in assets),
        }
    )


@handles("createLibrary")
def create_library(call: Call) -> Reply:
    """Create an external library (admin)."""
    body = call.body
    if body["ownerId"] not in call.state.users:
        raise ImmichHTTPError(400, "User not found")
    library_id = call.state.add_library(
        body["ownerId"], body.get("name") or "New External Library"
    )
    item = call.state.libraries[library_id]
    item.import_paths = list(body.get("importPaths", []))
    item.exclusion_patterns = list(
        body.get("exclusionPatterns", DEFAULT_EXCLUSION_PATTERNS)
    )
    return Reply(dto.library(call.state, item), 201)


@handles("deleteLibrary")
def delete_library(call: Call) -> Reply:
    """Delete a library and its assets."""
    item = _library(call, "library.delete")
    del call.state.libraries[item.id]
    for asset in [a for a in call.state.assets.values() if a.library_id == item.id]:
        del call.state.assets[asset.id]
    return Reply()


def _import_files(state: ImmichState, library: Library) -> None:
    """Import the media files under the library's folders that are new.

    Like Immich, an external asset's checksum is the SHA-1 of ``path:<file>``, not of
    its contents.
    """
    known = {a.original_path for a in state.assets.values() if a.library_id}
    for folder in library.import_paths:
        root = Path(folder)
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            extension = path.suffix.lower()
            if str(path) in known or not path.is_file():
                continue
            if extension not in IMAGE_EXTENSIONS and extension not in VIDEO_EXTENSIONS:
                continue
            stat = path.stat()
            taken = datetime.fromtimestamp(stat.st_mtime, UTC)
            asset_id = state.add_asset(
                library.owner_id,
                data=path.read_bytes(),
                filename=path.name,
                asset_type="VIDEO" if extension in VIDEO_EXTENSIONS else "IMAGE",
                taken_at=taken,
            )
            asset = state.assets[asset_id]
            asset.library_id = library.id
            asset.original_path = str(path)
            asset.checksum = sha1_base64(f"path:{path}".encode())
            asset.device_asset_id = path.name
            asset.device_id = "Library Import"


@handles("scanLibrary")
def scan_library(call: Call) -> Reply:
    """Scan now (files under the import paths); recorded in ``state.library_scans``."""
    item = _library(call, "library.update")
    item.refreshed_at = now()
    _import_files(call.state, item)
    call.state.library_scans.append(item.id)
    queue = call.state.queues.get("library")
    if queue is not None:
        queue.waiting += 1
    return Reply()


# --- people ---------------------------------------------------------------------------


@handles("getAllPeople")
def all_people(call: Call) -> Reply:
    """Page through the caller's people with faces on timeline photos.

    Like Immich: a person without a visible face on a timeline asset is not listed,
    nor an unnamed one with fewer faces than the recognition's minimum (3).
    """
    faces = {p.id: p.faces for p in call.state.people.values()}
    for asset in call.state.assets.values():
        if asset.visibility == "timeline" and not asset.is_trashed:
            for person_id in asset.person_ids:
                faces[person_id] = faces.get(person_id, 0) + 1
    mine = [
        p
        for p in call.state.people.values()
        if p.owner_id == call.user_id
        and faces.get(p.id, 0) >= (1 if p.name else MIN_FACES)
    ]
    hidden = sum(1 for p in mine if p.is_hidden)
    listed = mine if call.flag("withHidden") else [p for p in mine if not p.is_hidden]
    page = int(float(call.query.get("page", "1")))
    size = int(float(call.query.get("size", "500")))
    chunk = listed[(page - 1) * size : page * size]
    return Reply(
        {
            "people": [dto.person(p) for p in chunk],
            "total": len(mine),
            "hidden": hidden,
            "hasNextPage": page * size < len(listed),
        }
    )


def _person(call: Call) -> Any:
    """Return the caller's person of the path or raise."""
    item = call.state.people.get(call.path["id"])
    if item is None or item.owner_id != call.user_id:
        call.deny("person.read")
    return item


@handles("getPerson")
def get_person(call: Call) -> Reply:
    """Return one person."""
    return Reply(dto.person(_person(call)))


@handles("getPersonThumbnail")
def person_thumbnail(call: Call) -> FileReply:
    """Serve a person's face thumbnail."""
    return FileReply(_person(call).thumbnail, "image/jpeg")


# --- search ---------------------------------------------------------------------------


def _filtered(call: Call, body: dict[str, Any]) -> list[Asset]:  # noqa: PLR0912
    """Apply the common search filters to the assets the caller may see."""
    state, me = call.state, call.user_id
    owners = state.search_owner_ids(me)  # never assets seen through a shared album
    items = [a for a in state.assets.values() if a.owner_id in owners]
    if album_ids := body.get("albumIds"):
        # Immich checks no album access here: the owner filter above is enough.
        albums = state.albums
        wanted = [albums[x].asset_ids if x in albums else [] for x in album_ids]
        items = [a for a in items if all(a.id in ids for ids in wanted)]
    if person_ids := body.get("personIds"):
        items = [a for a in items if set(person_ids) <= set(a.person_ids)]
    if tag_ids := body.get("tagIds"):
        tagged = [
            state.tags[t].asset_ids if t in state.tags else set() for t in tag_ids
        ]
        items = [a for a in items if all(a.id in ids for ids in tagged)]
    if after := _parse_time(body.get("takenAfter")):
        items = [a for a in items if a.taken_at >= after]
    if before := _parse_time(body.get("takenBefore")):
        items = [a for a in items if a.taken_at <= before]
    for key, attribute in (("created", "created_at"), ("updated", "updated_at")):
        if after := _parse_time(body.get(f"{key}After")):
            items = [a for a in items if getattr(a, attribute) >= after]
        if before := _parse_time(body.get(f"{key}Before")):
            items = [a for a in items if getattr(a, attribute) <= before]
    if "isFavorite" in body:
        items = [a for a in items if a.is_favorite == body["isFavorite"]]
    if "rating" in body:  # null: unrated only
        items = [a for a in items if (a.rating or None) == body["rating"]]
    if body.get("type"):
        items = [a for a in items if a.asset_type == body["type"]]
    for key, attribute in (("city", "city"), ("country", "country")):
        if body.get(key):
            items = [a for a in items if getattr(a, attribute) == body[key]]
    visibility = body.get("visibility") or "timeline"
    items = [a for a in items if a.visibility == visibility]
    if not body.get("withDeleted"):
        items = [a for a in items if not a.is_trashed]
    if body.get("originalFileName"):
        needle = body["originalFileName"].lower()
        items = [a for a in items if needle in a.filename.lower()]
    if body.get("checksum"):
        items = [a for a in items if a.checksum == body["checksum"]]
    if body.get("id"):
        items = [a for a in items if a.id == body["id"]]
    if body.get("libraryId"):
        items = [a for a in items if a.library_id == body["libraryId"]]
    return items


def _page(call: Call, items: list[Asset], body: dict[str, Any]) -> Reply:
    """Cut one page of a ``SearchResponseDto``."""
    page = int(body.get("page") or 1)
    size = int(body.get("size") or SEARCH_DEFAULT_SIZE)
    chunk = items[(page - 1) * size : page * size]
    has_more = page * size < len(items)
    return Reply(
        {
            "assets": {
                "total": len(chunk),
                "count": len(chunk),
                "items": [dto.asset(call.state, a) for a in chunk],
                "facets": [],
                "nextPage": str(page + 1) if has_more else None,
            },
            "albums": {"total": 0, "count": 0, "items": [], "facets": []},
        }
    )


@handles("searchAssets")
def search_metadata(call: Call) -> Reply:
    """Filter assets by metadata, newest first unless ``order: asc``."""
    body = call.body
    items = _filtered(call, body)
    if body.get("description"):
        needle = body["description"].lower()
        items = [a for a in items if needle in a.description.lower()]
    items.sort(key=lambda a: a.taken_at, reverse=body.get("order", "desc") != "asc")
    return _page(call, items, body)


@handles("searchAssetStatistics")
def search_statistics(call: Call) -> Reply:
    """Count every asset a metadata search would find (all its pages)."""
    body = call.body
    items = _filtered(call, body)
    if body.get("description"):
        needle = body["description"].lower()
        items = [a for a in items if needle in a.description.lower()]
    return Reply({"total": len(items)})


@handles("searchSmart")
def search_smart(call: Call) -> Reply:
    """Rank assets by how many query words their name/description/place/tags contain."""
    body = call.body
    words = [w for w in (body.get("query") or "").lower().split() if w]
    scored = []
    for item in _filtered(call, body):
        text = " ".join(
            [
                item.filename,
                item.description,
                item.city or "",
                item.country or "",
                *(t.value for t in call.state.tags.values() if item.id in t.asset_ids),
                *(
                    call.state.people[p].name
                    for p in item.person_ids
                    if p in call.state.people
                ),
            ]
        ).lower()
        score = sum(1 for word in words if word in text)
        if score or not words:
            scored.append((score, item))
    scored.sort(key=lambda pair: (pair[0], pair[1].taken_at), reverse=True)
    return _page(call, [item for _, item in scored], body)


@handles("getSearchSuggestions")
def search_suggestions(call: Call) -> Reply:
    """List a place field's distinct values in the caller's (and partners') timeline.

    As Immich: not archived, hidden or trashed assets; ``country`` narrows cities.
    """
    field_of = {"country": "country", "city": "city"}
    kind = call.query["type"]
    if kind not in field_of:
        return Reply(
            []
        )  # camera and state suggestions: the stand-in keeps no such data
    owners = call.state.search_owner_ids(call.user_id)
    values = {
        getattr(a, field_of[kind])
        for a in call.state.assets.values()
        if a.owner_id in owners
        and a.visibility == "timeline"
        and not a.is_trashed
        and (
            kind != "city"
            or not call.query.get("country")
            or a.country == call.query["country"]
        )
    }
    return Reply(sorted(v for v in values if v))


@handles("getAssetsByCity")
def assets_by_city(call: Call) -> Reply:
    """Return one timeline photo per city of the caller's (and partners'), by city.

    As Immich 2.7.5 (a recursive query that starts at the smallest city, nulls last):
    when no photo has a city, one photo without a city is the answer.
    """
    owners = call.state.search_owner_ids(call.user_id)
    photos = [
        item
        for item in call.state.assets.values()
        if item.owner_id in owners
        and item.asset_type == "IMAGE"
        and item.visibility == "timeline"
        and not item.is_trashed
    ]
    by_city: dict[str, Asset] = {}
    for item in photos:
        if item.city:
            by_city.setdefault(item.city, item)
    found = [by_city[city] for city in sorted(by_city)] or photos[:1]
    return Reply([dto.asset(call.state, item) for item in found])


@handles("searchRandom")
def search_random(call: Call) -> Reply:
    """Return a (seeded, reproducible) random sample."""
    items = _filtered(call, call.body)
    size = int(call.body.get("size") or SEARCH_DEFAULT_SIZE)
    picked = call.rng.sample(items, min(size, len(items)))
    return Reply([dto.asset(call.state, a) for a in picked])


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


# --- timeline -------------------------------------------------------------------------


def _timeline(call: Call) -> list[Asset]:
    """Return the assets of a timeline: an album's (every member's) or the caller's.

    As Immich: an album's timeline holds the assets whoever added them, which the
    search endpoints do not return; trashed assets only with ``isTrashed=true``.
    """
    state = call.state
    visibility = call.query.get("visibility")
    trashed = bool(call.flag("isTrashed"))
    if call.flag("withPartners") and (
        visibility in {None, "archive"}
        or trashed
        or call.flag("isFavorite") is not None
    ):
        raise ImmichHTTPError(
            400,
            "withPartners is only supported for non-archived, non-trashed, "
            "non-favorited assets",
        )
    if album_id := call.query.get("albumId"):
        album = call.album(album_id)
        items = [state.assets[aid] for aid in album.asset_ids if aid in state.assets]
    else:
        # The caller's own, and with ``withPartners`` its timeline partners'.
        owners = {call.user_id}
        if call.flag("withPartners"):
            owners |= state.partner_ids(call.user_id, in_timeline=True)
        shown = {visibility} if visibility else {"timeline", "archive"}
        items = [
            a
            for a in state.assets.values()
            if a.owner_id in owners and a.visibility in shown
        ]
    items = [a for a in items if a.is_trashed == trashed]
    items.sort(key=lambda a: a.local_at, reverse=call.query.get("order") != "asc")
    return items


def _bucket_of(item: Asset) -> str:
    """Return the month an asset falls in (by its local date), as Immich names them."""
    return f"{item.local_at.year:04d}-{item.local_at.month:02d}-01"


@handles("getTimeBuckets")
def time_buckets(call: Call) -> Reply:
    """Count the timeline's assets per month."""
    counts: dict[str, int] = {}
    for item in _timeline(call):
        counts[_bucket_of(item)] = counts.get(_bucket_of(item), 0) + 1
    return Reply([{"timeBucket": key, "count": n} for key, n in counts.items()])


@handles("getTimeBucket")
def time_bucket(call: Call) -> Reply:
    """Return one month of the timeline, one array per field."""
    month = call.query["timeBucket"][:7]
    items = [a for a in _timeline(call) if _bucket_of(a).startswith(month)]
    return Reply(
        {
            "id": [a.id for a in items],
            "ownerId": [a.owner_id for a in items],
            "isImage": [a.asset_type == "IMAGE" for a in items],
            "isFavorite": [a.is_favorite for a in items],
            "isTrashed": [a.is_trashed for a in items],
            "visibility": [a.visibility for a in items],
            "fileCreatedAt": [iso(a.file_created_at) for a in items],
            "localOffsetHours": [a.utc_offset_hours for a in items],
            "duration": [
                None if a.asset_type == "IMAGE" else a.duration for a in items
            ],
            "ratio": [
                (a.width / a.height) if a.width and a.height else 1 for a in items
            ],
            "thumbhash": [dto.THUMBHASH for _ in items],
            "livePhotoVideoId": [a.live_photo_video_id for a in items],
            "projectionType": [None for _ in items],
            "city": [a.city for a in items],
            "country": [a.country for a in items],
        }
    )
