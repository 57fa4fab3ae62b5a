"""Register the Immich Bridge actions: transfers, albums, tags, links, jobs, search."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
import re
import shutil
import tempfile
from typing import TYPE_CHECKING, Any, Final, Literal, cast
from urllib.parse import urlsplit

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .api import (
    MAX_CONCURRENCY,
    MEDIA_HEAD_SIZE,
    AlbumRole,
    AssetSize,
    ImmichAlbum,
    ImmichAmbiguousAlbumError,
    ImmichAsset,
    ImmichBadRequestError,
    ImmichClient,
    ImmichMediaTypes,
    ImmichNotFoundError,
    ImmichPermissionError,
    ImmichSearchFilters,
    ImmichSyncResult,
    ImmichTag,
    ImmichUploadResult,
    MediaProblem,
    QueueCommand,
    SourceFetchError,
    SourceTooLargeError,
    Visibility,
    album_failures,
    fetch_to_file,
    is_uuid,
    media_problem,
    media_problem_sync,
    safe_url,
    subfolder_tags,
)
from .const import DOMAIN, LOGGER
from .helpers import translate_action_errors
from .repairs import async_update_permission_issue
from .views import asset_links

if TYPE_CHECKING:
    from .coordinator import ImmichBridgeConfigEntry

SERVICE_UPLOAD: Final = "upload"
SERVICE_SYNC_FOLDER: Final = "sync_folder"
SERVICE_DOWNLOAD: Final = "download"
SERVICE_CREATE_ALBUM: Final = "create_album"
SERVICE_UPDATE_ALBUM: Final = "update_album"
SERVICE_DELETE_ALBUM: Final = "delete_album"
SERVICE_ADD_TO_ALBUM: Final = "add_to_album"
SERVICE_REMOVE_FROM_ALBUM: Final = "remove_from_album"
SERVICE_SHARE_ALBUM: Final = "share_album"
SERVICE_CREATE_TAG: Final = "create_tag"
SERVICE_TAG_ASSETS: Final = "tag_assets"
SERVICE_UNTAG_ASSETS: Final = "untag_assets"
SERVICE_CREATE_SHARED_LINK: Final = "create_shared_link"
SERVICE_DELETE_SHARED_LINK: Final = "delete_shared_link"
SERVICE_JOB_COMMAND: Final = "job_command"
SERVICE_SCAN_LIBRARY: Final = "scan_library"
SERVICE_SEARCH: Final = "search"

ATTR_ALBUM: Final = "album"
ATTR_ALBUM_FROM_FOLDER: Final = "album_from_folder"
ATTR_ALLOW_DOWNLOAD: Final = "allow_download"
ATTR_ALLOW_UPLOAD: Final = "allow_upload"
ATTR_ASSET_ID: Final = "asset_id"
ATTR_CAMERA_ENTITY_ID: Final = "camera_entity_id"
ATTR_CITY: Final = "city"
ATTR_COMMAND: Final = "command"
ATTR_CONCURRENCY: Final = "concurrency"
ATTR_COUNTRY: Final = "country"
ATTR_DELETE_AFTER_UPLOAD: Final = "delete_after_upload"
ATTR_DESCRIPTION: Final = "description"
ATTR_DRY_RUN: Final = "dry_run"
ATTR_EXCLUDE: Final = "exclude"
ATTR_EXPIRES_AT: Final = "expires_at"
ATTR_EXPIRES_IN: Final = "expires_in"
ATTR_FAVORITE: Final = "favorite"
ATTR_FILE_PATH: Final = "file_path"
ATTR_FOLDER: Final = "folder"
ATTR_FORCE: Final = "force"
ATTR_IMAGE_ENTITY_ID: Final = "image_entity_id"
ATTR_INCLUDE: Final = "include"
ATTR_LIBRARY: Final = "library"
ATTR_LIMIT: Final = "limit"
ATTR_LINK_ID: Final = "link_id"
ATTR_MAX_SIZE: Final = "max_size"
ATTR_MEDIA: Final = "media"
ATTR_NAME: Final = "name"
ATTR_NEWEST: Final = "newest"
ATTR_ORDER: Final = "order"
ATTR_PAGE: Final = "page"
ATTR_PASSWORD: Final = "password"  # noqa: S105  # a field name, not a secret
ATTR_PERSON: Final = "person"
ATTR_QUERY: Final = "query"
ATTR_QUEUE: Final = "queue"
ATTR_RATING: Final = "rating"
ATTR_RECURSIVE: Final = "recursive"
ATTR_RESTORE_TRASHED: Final = "restore_trashed"
ATTR_ROLE: Final = "role"
ATTR_SHOW_METADATA: Final = "show_metadata"
ATTR_SIZE: Final = "size"
ATTR_TAGS: Final = "tags"
ATTR_TAGS_FROM_SUBFOLDERS: Final = "tags_from_subfolders"
ATTR_TAKEN_AFTER: Final = "taken_after"
ATTR_TAKEN_BEFORE: Final = "taken_before"
ATTR_TYPE: Final = "type"
ATTR_URL: Final = "url"
ATTR_USERS: Final = "users"
ATTR_VISIBILITY: Final = "visibility"

# Queues of Immich 2.4 to 3.x; a loaded entry prefers the names the server reports.
QUEUE_NAMES: Final = (
    "thumbnailGeneration",
    "metadataExtraction",
    "videoConversion",
    "faceDetection",
    "facialRecognition",
    "smartSearch",
    "duplicateDetection",
    "backgroundTask",
    "storageTemplateMigration",
    "migration",
    "search",
    "sidecar",
    "library",
    "notifications",
    "backupDatabase",
    "ocr",
    "workflow",
    "editor",
    "integrityCheck",
)
# The queues that accept "start" (the server answers 400 for the others).
STARTABLE_QUEUES: Final = frozenset(
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
JOB_COMMANDS: Final[dict[str, QueueCommand]] = {
    "start": "start",
    "pause": "pause",
    "resume": "resume",
    "empty": "empty",
    "clear_failed": "clear-failed",
}
VISIBILITIES: Final[tuple[Visibility, ...]] = (
    "timeline",
    "archive",
    "hidden",
    "locked",
)
ASSET_SIZES: Final[tuple[AssetSize, ...]] = (
    "original",
    "fullsize",
    "preview",
    "thumbnail",
)
ALBUM_ROLES: Final[tuple[AlbumRole, ...]] = ("viewer", "editor")
ASSET_TYPES: Final[dict[str, Literal["IMAGE", "VIDEO", "AUDIO", "OTHER"]]] = {
    "image": "IMAGE",
    "video": "VIDEO",
    "audio": "AUDIO",
    "other": "OTHER",
}
MAX_ASSET_IDS: Final = 1000
# File extensions for snapshot content types (a table: mimetypes may read files).
SNAPSHOT_EXTENSIONS: Final = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/heic": ".heic",
}
MAX_LINK_LIFETIME: Final = timedelta(days=36525)
# Upload from a URL: the default and the largest size limit (MB).
DEFAULT_URL_MAX_SIZE: Final = 100
MAX_URL_MAX_SIZE: Final = 4096
# Home Assistant's own picture URLs: the entity is read directly (no token needed).
_HA_PICTURE_RE: Final = re.compile(
    r"^/api/(?:camera_proxy(?:_stream)?/(?P<camera>camera\.[a-z0-9_]+)"
    r"|image_proxy/(?P<image>image\.[a-z0-9_]+))/?$"
)
SEARCH_ORDERS: Final = ("newest", "oldest", "random")
ASSET_CHECKS: Final = 8

_QUEUE_RE: Final = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,63}$")


# ------------------------------------------------------------------- validators


def _uuid(value: Any) -> str:
    """Validate an Immich id (a UUID) and return it in lower case."""
    text = cv.string(value).strip()
    if not is_uuid(text):
        msg = "expected an Immich id (a UUID)"
        raise vol.Invalid(msg)
    return text.lower()


def _text(value: Any) -> str:
    """Validate a non-empty text without NUL characters; return it trimmed."""
    text = cv.string(value).strip()
    if not text or "\x00" in text:
        msg = "expected a non-empty text"
        raise vol.Invalid(msg)
    return text


def _tag_value(value: Any) -> str:
    """Validate a tag name or path ("parent/child") and normalise its slashes."""
    parts = [part.strip() for part in _text(value).strip("/").split("/")]
    if not all(parts):
        msg = "expected a tag name such as 'Garden' or 'Home/Garden'"
        raise vol.Invalid(msg)
    return "/".join(parts)


def _queue(value: Any) -> str:
    """Validate a queue name such as thumbnailGeneration."""
    text = cv.string(value).strip()
    if not _QUEUE_RE.match(text):
        msg = "expected a queue name such as thumbnailGeneration"
        raise vol.Invalid(msg)
    return text


def _media_id(value: Any) -> str:
    """Accept a media selector's value or a plain media-source id."""
    if isinstance(value, dict):
        value = value.get("media_content_id")
    return _text(value)


def _moment(value: Any) -> datetime:
    """Validate a date and time (local when it has no zone); return it in UTC."""
    try:
        return dt_util.as_utc(cv.datetime(value))
    except OverflowError as err:
        msg = "expected a date and time between the years 1 and 9999"
        raise vol.Invalid(msg) from err


def _duration(value: Any) -> timedelta:
    """Validate a positive duration of at most 100 years."""
    try:
        delta = cv.positive_timedelta(cv.time_period(value))
    except OverflowError as err:
        msg = "expected a duration of at most 100 years"
        raise vol.Invalid(msg) from err
    if delta > MAX_LINK_LIFETIME:
        msg = "expected a duration of at most 100 years"
        raise vol.Invalid(msg)
    return delta


def _int_between(low: int, high: int) -> Callable[[Any], int]:
    """Validate a whole number in a range."""

    def validate(value: Any) -> int:
        """Validate one number."""
        if isinstance(value, bool):
            msg = "expected a whole number"
            raise vol.Invalid(msg)
        try:
            number = int(value)
        except (TypeError, ValueError, OverflowError) as err:
            msg = "expected a whole number"
            raise vol.Invalid(msg) from err
        if isinstance(value, float) and number != value:
            msg = "expected a whole number"
            raise vol.Invalid(msg)
        if not low <= number <= high:
            msg = f"expected a number from {low} to {high}"
            raise vol.Invalid(msg)
        return number

    return validate


def _glob(value: Any) -> str:
    """Validate an include or exclude pattern."""
    return _text(value)


def _list_of(validator: Callable[[Any], Any], *, maximum: int = MAX_ASSET_IDS) -> Any:
    """Accept one value or a list of them; drop duplicates and keep the order."""
    return vol.All(
        cv.ensure_list,
        vol.Length(max=maximum),
        [validator],
        lambda items: list(dict.fromkeys(items)),
    )


def _describe_invalid(err: vol.Invalid) -> str:
    """Describe what was wrong with the action data, without echoing any value."""
    errors = err.errors if isinstance(err, vol.MultipleInvalid) else [err]
    parts = []
    for item in errors[:3]:
        where = ".".join(str(step) for step in item.path) or "data"
        parts.append(f"{where}: {item.error_message}")
    return "; ".join(parts)


_ENTRY: Final[dict[vol.Marker, Any]] = {vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string}
_ASSET_IDS: Final = _list_of(_uuid)
_TAGS: Final = _list_of(_tag_value, maximum=100)

UPLOAD_SCHEMA: Final = vol.Schema(
    {
        **_ENTRY,
        vol.Optional(ATTR_FILE_PATH, default=list): _list_of(_text, maximum=100),
        vol.Optional(ATTR_CAMERA_ENTITY_ID, default=list): _list_of(
            vol.All(cv.string, cv.entity_domain("camera")), maximum=20
        ),
        vol.Optional(ATTR_IMAGE_ENTITY_ID, default=list): _list_of(
            vol.All(cv.string, cv.entity_domain("image")), maximum=20
        ),
        vol.Optional(ATTR_MEDIA, default=list): _list_of(_media_id, maximum=100),
        vol.Optional(ATTR_URL, default=list): _list_of(_text, maximum=20),
        vol.Optional(ATTR_MAX_SIZE, default=DEFAULT_URL_MAX_SIZE): _int_between(
            1, MAX_URL_MAX_SIZE
        ),
        vol.Optional(ATTR_ALBUM): _text,
        vol.Optional(ATTR_TAGS, default=list): _TAGS,
        vol.Optional(ATTR_FAVORITE): cv.boolean,
        vol.Optional(ATTR_DESCRIPTION): cv.string,
        vol.Optional(ATTR_VISIBILITY): vol.In(VISIBILITIES),
        vol.Optional(ATTR_RESTORE_TRASHED, default=True): cv.boolean,
    }
)
SYNC_FOLDER_SCHEMA: Final = vol.Schema(
    {
        **_ENTRY,
        vol.Required(ATTR_FOLDER): _text,
        vol.Optional(ATTR_RECURSIVE, default=True): cv.boolean,
        vol.Optional(ATTR_INCLUDE, default=list): _list_of(_glob, maximum=50),
        vol.Optional(ATTR_EXCLUDE, default=list): _list_of(_glob, maximum=50),
        vol.Exclusive(ATTR_ALBUM, "album"): _text,
        vol.Exclusive(ATTR_ALBUM_FROM_FOLDER, "album"): cv.boolean,
        vol.Optional(ATTR_TAGS, default=list): _TAGS,
        vol.Optional(ATTR_TAGS_FROM_SUBFOLDERS, default=False): cv.boolean,
        vol.Optional(ATTR_DRY_RUN, default=False): cv.boolean,
        vol.Optional(ATTR_DELETE_AFTER_UPLOAD, default=False): cv.boolean,
        vol.Optional(ATTR_RESTORE_TRASHED, default=True): cv.boolean,
        vol.Optional(ATTR_CONCURRENCY, default=4): _int_between(1, MAX_CONCURRENCY),
    }
)
DOWNLOAD_SCHEMA: Final = vol.Schema(
    {
        **_ENTRY,
        vol.Required(ATTR_FOLDER): _text,
        vol.Exclusive(ATTR_ALBUM, "source"): _text,
        vol.Exclusive(ATTR_ASSET_ID, "source"): _ASSET_IDS,
        vol.Optional(ATTR_SIZE, default="original"): vol.In(ASSET_SIZES),
        vol.Optional(ATTR_NEWEST): vol.All(
            vol.Coerce(int), vol.Range(min=1, max=10000)
        ),
    }
)
CREATE_ALBUM_SCHEMA: Final = vol.Schema(
    {
        **_ENTRY,
        vol.Required(ATTR_NAME): _text,
        vol.Optional(ATTR_DESCRIPTION): cv.string,
        vol.Optional(ATTR_ASSET_ID, default=list): _ASSET_IDS,
    }
)
UPDATE_ALBUM_SCHEMA: Final = vol.Schema(
    {
        **_ENTRY,
        vol.Required(ATTR_ALBUM): _text,
        vol.Optional(ATTR_NAME): _text,
        vol.Optional(ATTR_DESCRIPTION): cv.string,
    }
)
DELETE_ALBUM_SCHEMA: Final = vol.Schema({**_ENTRY, vol.Required(ATTR_ALBUM): _text})
ALBUM_ASSETS_SCHEMA: Final = vol.Schema(
    {
        **_ENTRY,
        vol.Required(ATTR_ALBUM): _text,
        vol.Required(ATTR_ASSET_ID): vol.All(_ASSET_IDS, vol.Length(min=1)),
    }
)
SHARE_ALBUM_SCHEMA: Final = vol.Schema(
    {
        **_ENTRY,
        vol.Required(ATTR_ALBUM): _text,
        vol.Required(ATTR_USERS): vol.All(
            _list_of(_text, maximum=100), vol.Length(min=1)
        ),
        vol.Optional(ATTR_ROLE, default="viewer"): vol.In(ALBUM_ROLES),
    }
)
CREATE_TAG_SCHEMA: Final = vol.Schema({**_ENTRY, vol.Required(ATTR_NAME): _tag_value})
TAG_ASSETS_SCHEMA: Final = vol.Schema(
    {
        **_ENTRY,
        vol.Required(ATTR_TAGS): vol.All(_TAGS, vol.Length(min=1)),
        vol.Required(ATTR_ASSET_ID): vol.All(_ASSET_IDS, vol.Length(min=1)),
    }
)
CREATE_SHARED_LINK_SCHEMA: Final = vol.Schema(
    {
        **_ENTRY,
        vol.Exclusive(ATTR_ALBUM, "target"): _text,
        vol.Exclusive(ATTR_ASSET_ID, "target"): _ASSET_IDS,
        vol.Exclusive(ATTR_EXPIRES_IN, "expiry"): _duration,
        vol.Exclusive(ATTR_EXPIRES_AT, "expiry"): _moment,
        vol.Optional(ATTR_PASSWORD): vol.All(cv.string, vol.Length(min=1, max=200)),
        vol.Optional(ATTR_ALLOW_DOWNLOAD, default=True): cv.boolean,
        vol.Optional(ATTR_ALLOW_UPLOAD, default=False): cv.boolean,
        vol.Optional(ATTR_SHOW_METADATA, default=True): cv.boolean,
        vol.Optional(ATTR_DESCRIPTION): cv.string,
    }
)
DELETE_SHARED_LINK_SCHEMA: Final = vol.Schema(
    {**_ENTRY, vol.Required(ATTR_LINK_ID): _uuid}
)
JOB_COMMAND_SCHEMA: Final = vol.Schema(
    {
        **_ENTRY,
        vol.Required(ATTR_QUEUE): _queue,
        vol.Required(ATTR_COMMAND): vol.In(tuple(JOB_COMMANDS)),
        vol.Optional(ATTR_FORCE, default=False): cv.boolean,
    }
)
SCAN_LIBRARY_SCHEMA: Final = vol.Schema({**_ENTRY, vol.Optional(ATTR_LIBRARY): _text})
SEARCH_SCHEMA: Final = vol.Schema(
    {
        **_ENTRY,
        vol.Optional(ATTR_QUERY): _text,
        vol.Optional(ATTR_TAKEN_AFTER): _moment,
        vol.Optional(ATTR_TAKEN_BEFORE): _moment,
        vol.Optional(ATTR_CITY): _text,
        vol.Optional(ATTR_COUNTRY): _text,
        vol.Optional(ATTR_PERSON, default=list): _list_of(_text, maximum=20),
        vol.Optional(ATTR_FAVORITE): cv.boolean,
        vol.Optional(ATTR_TYPE): vol.In(tuple(ASSET_TYPES)),
        vol.Optional(ATTR_ALBUM): _text,
        vol.Optional(ATTR_TAGS, default=list): _list_of(_tag_value, maximum=20),
        vol.Optional(ATTR_RATING): _int_between(0, 5),
        vol.Optional(ATTR_ORDER, default="newest"): vol.In(SEARCH_ORDERS),
        vol.Optional(ATTR_PAGE, default=1): _int_between(1, 100000),
        vol.Optional(ATTR_LIMIT, default=25): _int_between(1, 1000),
    }
)


# ----------------------------------------------------------------- error helpers


def _invalid(*, key: str, **placeholders: str) -> ServiceValidationError:
    """Build a translated error for something the caller got wrong."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


def _failed(*, key: str, **placeholders: str) -> HomeAssistantError:
    """Build a translated error for something that failed on the way."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


@contextmanager
def _rejected_as_invalid() -> Iterator[None]:
    """Turn a request the server refused (HTTP 400) into the caller's error."""
    try:
        yield
    except ImmichBadRequestError as err:
        raise _invalid(key="request_rejected", error=str(err)) from err


def _get_entry(hass: HomeAssistant, entry_id: str) -> ImmichBridgeConfigEntry:
    """Return the loaded Immich Bridge entry an action names."""
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise _invalid(key="entry_not_found", entry_id=entry_id)
    if entry.state is not ConfigEntryState.LOADED:
        raise _invalid(key="entry_not_loaded", title=entry.title)
    return cast("ImmichBridgeConfigEntry", entry)


# --------------------------------------------------------------------- paths


def _resolve(hass: HomeAssistant, raw: str) -> Path:
    """Resolve a path (relative to the config folder) in the allowlist (blocking)."""
    try:
        path = Path(hass.config.path(raw)).resolve()
        allowed = hass.config.is_allowed_path(str(path))
    except (OSError, ValueError):
        allowed = False
    if not allowed:
        raise _invalid(key="path_not_allowed", path=raw)
    return path


def _readable_file(hass: HomeAssistant, raw: str) -> Path:
    """Return an allowed, existing file (blocking)."""
    path = _resolve(hass, raw)
    if not path.is_file():
        raise _invalid(key="file_not_found", path=raw)
    return path


def _readable_folder(hass: HomeAssistant, raw: str) -> Path:
    """Return an allowed, existing folder (blocking)."""
    path = _resolve(hass, raw)
    if not path.is_dir():
        raise _invalid(key="folder_not_found", path=raw)
    return path


def _writable_folder(hass: HomeAssistant, raw: str) -> Path:
    """Return an allowed folder, created when missing (blocking)."""
    path = _resolve(hass, raw)
    if path.exists() and not path.is_dir():
        raise _invalid(key="folder_not_found", path=raw)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise _failed(
            key="write_failed", path=raw, error=err.strerror or str(err)
        ) from err
    return path


def _check_media_type(media: ImmichMediaTypes, name: str) -> None:
    """Refuse a file the server would not accept as a photo or video."""
    if not media.accepts(name):
        raise _invalid(
            key="unsupported_media_type",
            name=Path(name).name or name,
            types=", ".join(sorted(media.media)),
        )


# ---------------------------------------------------------------- resolvers


async def _async_find_album(
    entry: ImmichBridgeConfigEntry, ref: str
) -> ImmichAlbum | None:
    """Find an album the user sees (own or shared with them) by id or by name."""
    runtime = entry.runtime_data
    try:
        # Without the user (no user.read), a name shared by several albums asks the
        # server who the key's user is: refused, that names the permission needed.
        return await runtime.client.find_album(
            ref, owner_id=runtime.user.id if runtime.user is not None else None
        )
    except ImmichAmbiguousAlbumError as err:
        raise _invalid(key="album_ambiguous", album=ref, count=str(err.count)) from err


async def _async_album(entry: ImmichBridgeConfigEntry, ref: str) -> ImmichAlbum:
    """Return an existing album by id or name."""
    if (album := await _async_find_album(entry, ref)) is None:
        raise _invalid(key="album_not_found", album=ref)
    return album


def _check_album_writable(entry: ImmichBridgeConfigEntry, album: ImmichAlbum) -> None:
    """Refuse to change the photos of an album shared with the user as a viewer."""
    user = entry.runtime_data.user
    if user is not None and album.role_of(user.id) == "viewer":
        raise _invalid(key="album_read_only", album=album.name)


@contextmanager
def _album_refusal(album: ImmichAlbum) -> Iterator[None]:
    """Turn the server's "no access" to an album just found into a clear refusal.

    Immich answers "Not found or no albumAsset.create access" when the user's role
    does not allow the change; the album itself exists (it was just read).
    """
    try:
        yield
    except ImmichNotFoundError as err:
        raise _invalid(key="album_read_only", album=album.name) from err


async def _async_album_or_create(
    entry: ImmichBridgeConfigEntry, ref: str
) -> ImmichAlbum:
    """Return an album by id or name, creating it by that name when missing.

    The album must let the user add photos (owner or editor).
    """
    if (album := await _async_find_album(entry, ref)) is not None:
        _check_album_writable(entry, album)
        return album
    if is_uuid(ref):
        raise _invalid(key="album_not_found", album=ref)
    album = await entry.runtime_data.client.create_album(ref)
    LOGGER.debug("Created album %s", album.id)
    return album


async def _async_tags(
    client: ImmichClient, refs: Sequence[str], *, create: bool
) -> list[ImmichTag]:
    """Return tags by id, path or name; create missing ones when asked."""
    if not refs:
        return []
    existing = await client.tags()
    found: dict[str, ImmichTag] = {}
    missing: list[str] = []
    for ref in refs:
        folded = ref.casefold()
        match = next(
            (
                tag
                for tag in existing
                if tag.id == ref.lower() or tag.value.casefold() == folded
            ),
            None,
        )
        if match is None:
            named = [tag for tag in existing if tag.name.casefold() == folded]
            match = named[0] if len(named) == 1 else None
        if match is not None:
            found[ref] = match
        elif create and not is_uuid(ref):
            missing.append(ref)
        else:
            raise _invalid(key="tag_not_found", tag=ref)
    if missing:
        created = await client.upsert_tags(missing)
        by_value = {tag.value.casefold(): tag for tag in created}
        for ref in missing:
            if (tag := by_value.get(ref.casefold())) is None:
                raise _failed(key="server_error")
            found[ref] = tag
    return list({tag.id: tag for tag in found.values()}.values())


async def _async_check_assets(
    client: ImmichClient, asset_ids: Sequence[str]
) -> list[ImmichAsset]:
    """Return the assets; refuse ids the server does not know (or the key can't see)."""
    slots = asyncio.Semaphore(ASSET_CHECKS)

    async def visible(asset_id: str) -> ImmichAsset | None:
        """Return one asset, or None when it can't be read."""
        async with slots:
            try:
                return await client.asset(asset_id)
            except (ImmichNotFoundError, ImmichBadRequestError):
                return None

    found = await asyncio.gather(*(visible(asset_id) for asset_id in asset_ids))
    missing = [
        asset_id
        for asset_id, asset in zip(asset_ids, found, strict=True)
        if asset is None
    ]
    if missing:
        raise _invalid(key="asset_not_found", asset_ids=", ".join(missing))
    return [asset for asset in found if asset is not None]


def _asset_summary(client: ImmichClient, asset: ImmichAsset) -> dict[str, Any]:
    """Describe an asset for a response."""
    taken = asset.local_date_time or asset.file_created_at
    return {
        "asset_id": asset.id,
        "file_name": asset.original_file_name,
        "taken_at": taken.isoformat(),
        "type": asset.type.lower(),
        "favorite": asset.is_favorite,
        "url": client.asset_web_url(asset.id),
    }


async def _async_refresh(entry: ImmichBridgeConfigEntry) -> None:
    """Ask the server coordinator for fresh numbers after a change."""
    await entry.runtime_data.server.async_request_refresh()


# ------------------------------------------------------------------- uploads


@dataclass(frozen=True, kw_only=True)
class _Source:
    """Describe one thing to upload: a file or bytes in memory."""

    label: str
    path: Path | None = None
    data: bytes | None = None
    filename: str = ""
    checksum: str | None = None  # hex SHA-1, when already known


def _snapshot_name(entity_id: str, content_type: str) -> str:
    """Name a snapshot after its entity and the time it was taken."""
    mime = content_type.split(";", maxsplit=1)[0].strip().lower()
    extension = SNAPSHOT_EXTENSIONS.get(mime, ".jpg")
    stamp = dt_util.now().strftime("%Y%m%d_%H%M%S")
    return f"{entity_id.split('.', 1)[1]}_{stamp}{extension}"


async def _async_camera_source(hass: HomeAssistant, entity_id: str) -> _Source:
    """Take a snapshot of a camera, in memory."""
    if hass.states.get(entity_id) is None:
        raise _invalid(key="entity_not_found", entity_id=entity_id)
    # Imported here: camera (and its requirements) is only loaded with a camera.
    from homeassistant.components import camera  # noqa: PLC0415

    try:
        image = await camera.async_get_image(hass, entity_id)
    except HomeAssistantError as err:
        raise _invalid(key="camera_no_image", entity_id=entity_id) from err
    return _Source(
        label=entity_id,
        data=image.content,
        filename=_snapshot_name(entity_id, image.content_type),
    )


async def _async_image_source(hass: HomeAssistant, entity_id: str) -> _Source:
    """Read the current picture of an image entity, in memory."""
    if hass.states.get(entity_id) is None:
        raise _invalid(key="entity_not_found", entity_id=entity_id)
    from homeassistant.components import image  # noqa: PLC0415  # see camera

    try:
        picture = await image.async_get_image(hass, entity_id)
    except (HomeAssistantError, KeyError) as err:
        raise _invalid(key="image_no_image", entity_id=entity_id) from err
    return _Source(
        label=entity_id,
        data=picture.content,
        filename=_snapshot_name(entity_id, picture.content_type),
    )


async def _async_media_source(hass: HomeAssistant, media_id: str) -> _Source:
    """Resolve a media-source item to a local file."""
    from homeassistant.components import media_source  # noqa: PLC0415  # see camera

    if not media_source.is_media_source_id(media_id):
        raise _invalid(key="media_not_found", media_content_id=media_id)
    try:
        item = await media_source.async_resolve_media(hass, media_id, None)
    except HomeAssistantError as err:
        raise _invalid(key="media_not_found", media_content_id=media_id) from err
    if item.path is None:
        raise _invalid(key="media_not_local", media_content_id=media_id)
    path = await hass.async_add_executor_job(_readable_file, hass, str(item.path))
    return _Source(label=media_id, path=path, filename=path.name)


def _own_origins(hass: HomeAssistant) -> set[tuple[str, str]]:
    """Return the (scheme, host:port) pairs under which Home Assistant is reached."""
    origins: set[tuple[str, str]] = set()
    for options in (
        {"allow_external": False},
        {"allow_internal": False},
        {"allow_external": False, "allow_ip": True, "prefer_external": False},
    ):
        with suppress(NoURLAvailableError):
            parts = urlsplit(get_url(hass, **options))
            origins.add((parts.scheme, parts.netloc.lower()))
    return origins


async def _async_url_source(
    hass: HomeAssistant, url: str, target: Path, max_size: int
) -> _Source:
    """Fetch a URL into `target`, or read the entity behind a Home Assistant URL.

    A relative URL, or one under Home Assistant's own base URL, may only name a
    camera or image entity's picture (/api/camera_proxy/…, /api/image_proxy/…): the
    entity is read directly, so no access token is needed or sent anywhere.
    """
    shown = safe_url(url)
    parts = urlsplit(url)
    if not parts.scheme and url.startswith("/") and not url.startswith("//"):
        own = True
    elif parts.scheme in ("http", "https") and parts.hostname:
        own = (parts.scheme, parts.netloc.lower()) in _own_origins(hass)
    else:
        raise _invalid(key="invalid_url", url=shown)
    if own:
        if (match := _HA_PICTURE_RE.match(parts.path)) is None:
            raise _invalid(key="url_not_supported", url=shown)
        if match["camera"]:
            return await _async_camera_source(hass, match["camera"])
        return await _async_image_source(hass, match["image"])
    try:
        fetched = await fetch_to_file(
            async_get_clientsession(hass),
            url,
            target,
            max_bytes=max_size * 1024 * 1024,
        )
    except SourceTooLargeError as err:
        raise _invalid(key="url_too_large", url=shown, limit=str(max_size)) from err
    except SourceFetchError as err:
        raise _failed(key="url_fetch_failed", url=shown, error=str(err)) from err
    except OSError as err:
        raise _failed(
            key="write_failed", path=str(target), error=err.strerror or str(err)
        ) from err
    return _Source(
        label=shown,
        path=fetched.path,
        filename=fetched.filename,
        checksum=fetched.sha1,
    )


async def _async_sources(
    hass: HomeAssistant, data: dict[str, Any], folder: Path | None
) -> list[_Source]:
    """Collect what to upload; snapshots are taken and URLs fetched now.

    Files are only checked. URLs are fetched into `folder` (the caller removes it).
    """
    sources = [
        await _async_camera_source(hass, entity_id)
        for entity_id in data[ATTR_CAMERA_ENTITY_ID]
    ]
    sources += [
        await _async_image_source(hass, entity_id)
        for entity_id in data[ATTR_IMAGE_ENTITY_ID]
    ]
    for raw in data[ATTR_FILE_PATH]:
        path = await hass.async_add_executor_job(_readable_file, hass, raw)
        sources.append(_Source(label=raw, path=path, filename=path.name))
    sources += [
        await _async_media_source(hass, media_id) for media_id in data[ATTR_MEDIA]
    ]
    for index, url in enumerate(data[ATTR_URL]):
        assert folder is not None  # noqa: S101  # made when there are URLs
        sources.append(
            await _async_url_source(hass, url, folder / str(index), data[ATTR_MAX_SIZE])
        )
    if not sources:
        raise _invalid(key="no_upload_source")
    return sources


async def _async_check_readable(hass: HomeAssistant, source: _Source) -> None:
    """Refuse an empty file, or one whose content is not the media its name says."""
    if source.data is not None:
        problem = media_problem(
            source.filename, source.data[:MEDIA_HEAD_SIZE], len(source.data)
        )
    else:
        assert source.path is not None  # noqa: S101  # a file source
        try:
            problem = await hass.async_add_executor_job(
                media_problem_sync, source.path, source.filename
            )
        except OSError as err:
            raise _failed(
                key="read_failed", path=source.label, error=err.strerror or str(err)
            ) from err
    if problem is not None:
        raise _invalid(
            key="empty_media" if problem is MediaProblem.EMPTY else "unreadable_media",
            name=source.filename or source.label,
        )


async def _async_upload_one(
    client: ImmichClient, source: _Source, data: dict[str, Any]
) -> tuple[ImmichUploadResult, str]:
    """Upload one source; a duplicate gets the requested flags too.

    Return the result and the status to report: created, duplicate, or restored
    (a duplicate whose copy was in the trash, taken out with `restore_trashed`).
    """
    favorite: bool | None = data.get(ATTR_FAVORITE)
    visibility: Visibility | None = data.get(ATTR_VISIBILITY)
    description: str | None = data.get(ATTR_DESCRIPTION)
    if source.data is not None:
        result = await client.upload_bytes(
            source.data,
            source.filename,
            is_favorite=favorite,
            visibility=visibility,
        )
    else:
        assert source.path is not None  # noqa: S101  # a file source
        try:
            result = await client.upload(
                source.path,
                filename=source.filename,
                checksum=source.checksum,
                is_favorite=favorite,
                visibility=visibility,
            )
        except OSError as err:
            raise _failed(
                key="read_failed", path=source.label, error=err.strerror or str(err)
            ) from err
    status = "duplicate" if result.duplicate else "created"
    if result.in_trash and data[ATTR_RESTORE_TRASHED]:
        await client.restore_assets([result.asset_id])
        status = "restored"
        LOGGER.debug("Restored %s from the trash", result.asset_id)
    if description is not None or (
        result.duplicate and (favorite is not None or visibility is not None)
    ):
        await client.update_asset(
            result.asset_id,
            is_favorite=favorite,
            visibility=visibility,
            description=description,
        )
    return result, status


async def _async_upload(
    hass: HomeAssistant, entry: ImmichBridgeConfigEntry, data: dict[str, Any]
) -> dict[str, Any]:
    """Upload files, snapshots and media items; add them to an album and tag them."""
    folder: Path | None = None
    if data[ATTR_URL]:
        folder = Path(
            await hass.async_add_executor_job(
                partial(tempfile.mkdtemp, prefix="immich_bridge_")
            )
        )
    try:
        return await _async_upload_sources(hass, entry, data, folder)
    finally:
        if folder is not None:
            await hass.async_add_executor_job(
                partial(shutil.rmtree, folder, ignore_errors=True)
            )


async def _async_upload_sources(
    hass: HomeAssistant,
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
    folder: Path | None,
) -> dict[str, Any]:
    """Collect, check and upload the sources; shape the response."""
    client = entry.runtime_data.client
    sources = await _async_sources(hass, data, folder)
    media = await client.media_types()
    for source in sources:
        _check_media_type(media, source.filename)
        await _async_check_readable(hass, source)
    album: ImmichAlbum | None = None
    if ATTR_ALBUM in data:
        album = await _async_album_or_create(entry, data[ATTR_ALBUM])
    tags = await _async_tags(client, data[ATTR_TAGS], create=True)
    results = [
        (source, *await _async_upload_one(client, source, data)) for source in sources
    ]
    asset_ids = list(dict.fromkeys(result.asset_id for _, result, _ in results))
    failures: list[tuple[str, str]] = []
    if album is not None:
        with _album_refusal(album):
            failures = album_failures(
                await client.add_assets_to_album(album.id, asset_ids)
            )
    if tags:
        await client.tag_assets_bulk([tag.id for tag in tags], asset_ids)
    await _async_refresh(entry)
    return {
        "album_id": album.id if album is not None else None,
        "album_failures": [
            {"asset_id": asset_id, "error": error} for asset_id, error in failures
        ],
        "assets": [
            {
                "source": source.label,
                "asset_id": result.asset_id,
                "status": status,
                "in_trash": result.in_trash and status != "restored",
                **asset_links(hass, entry, result.asset_id),
            }
            for source, result, status in results
        ],
    }


async def _async_sync_folder(
    hass: HomeAssistant, entry: ImmichBridgeConfigEntry, data: dict[str, Any]
) -> dict[str, Any]:
    """Upload what is new in a folder; optionally delete what the server confirmed."""
    client = entry.runtime_data.client
    folder = await hass.async_add_executor_job(
        _readable_folder, hass, data[ATTR_FOLDER]
    )
    dry_run: bool = data[ATTR_DRY_RUN]
    album_ref: str | None = data.get(ATTR_ALBUM)
    if data.get(ATTR_ALBUM_FROM_FOLDER):
        album_ref = folder.name
    album_id: str | None = None
    if album_ref is not None:
        if dry_run:
            album = await _async_find_album(entry, album_ref)
            if album is not None:
                _check_album_writable(entry, album)
            album_id = album.id if album is not None else None
        else:
            album_id = (await _async_album_or_create(entry, album_ref)).id
    tags = [] if dry_run else await _async_tags(client, data[ATTR_TAGS], create=True)
    try:
        result = await client.sync_folder(
            folder,
            recursive=data[ATTR_RECURSIVE],
            include=data[ATTR_INCLUDE],
            exclude=data[ATTR_EXCLUDE],
            album_id=album_id,
            dry_run=dry_run,
            delete_after_upload=data[ATTR_DELETE_AFTER_UPLOAD],
            concurrency=data[ATTR_CONCURRENCY],
            restore_trashed=data[ATTR_RESTORE_TRASHED],
        )
    except OSError as err:
        raise _failed(
            key="read_failed", path=data[ATTR_FOLDER], error=err.strerror or str(err)
        ) from err
    synced = list(
        dict.fromkeys(
            item.asset_id
            for item in result.files
            if item.asset_id and item.status in ("uploaded", "duplicate")
        )
    )
    if synced and not dry_run and tags:
        await client.tag_assets_bulk([tag.id for tag in tags], synced)
    folder_tags: dict[str, int] = {}
    if not dry_run and data[ATTR_TAGS_FROM_SUBFOLDERS]:
        folder_tags = await _async_tag_subfolders(client, folder, result)
    if not dry_run:
        await _async_refresh(entry)
    restored = set(result.restored)
    return {
        "dry_run": dry_run,
        "uploaded": result.uploaded,
        "duplicates": result.duplicates,
        "failed": result.failed,
        "skipped": result.skipped,
        "pending": result.pending,
        "album_id": result.album_id,
        "album_error": result.album_error,
        "album_failures": [
            {"asset_id": asset_id, "error": error}
            for asset_id, error in result.album_failures
        ],
        "restored": list(result.restored),
        "in_trash": [
            str(item.path)
            for item in result.files
            if item.in_trash and item.asset_id not in restored
        ],
        "subfolder_tags": folder_tags,
        "would_upload": [
            str(item.path) for item in result.files if item.status == "pending"
        ],
        "failures": [
            {"path": str(item.path), "error": item.error or ""}
            for item in result.files
            if item.status == "failed"
        ],
        "skips": [
            {"path": str(item.path), "reason": item.error or ""}
            for item in result.files
            if item.status == "skipped"
        ],
    }


async def _async_tag_subfolders(
    client: ImmichClient, folder: Path, result: ImmichSyncResult
) -> dict[str, int]:
    """Tag each synced asset with its sub-folder; return tag value → asset count."""
    by_folder = subfolder_tags(folder, result.files)
    if not by_folder:
        return {}
    created = {tag.value: tag for tag in await client.upsert_tags(list(by_folder))}
    for value, asset_ids in by_folder.items():
        if (tag := created.get(value)) is None:
            raise _failed(key="server_error")
        await client.tag_assets(tag.id, asset_ids)
    return {value: len(asset_ids) for value, asset_ids in by_folder.items()}


async def _async_download(
    hass: HomeAssistant, entry: ImmichBridgeConfigEntry, data: dict[str, Any]
) -> dict[str, Any]:
    """Download an album's or some assets' files into an allowed folder."""
    client = entry.runtime_data.client
    if not data.get(ATTR_ALBUM) and not data.get(ATTR_ASSET_ID):
        raise _invalid(key="download_source_required")
    album_id: str | None = None
    if ATTR_ALBUM in data:
        album_id = (await _async_album(entry, data[ATTR_ALBUM])).id
    folder = await hass.async_add_executor_job(
        _writable_folder, hass, data[ATTR_FOLDER]
    )
    try:
        result = await client.download(
            folder,
            album_id=album_id,
            asset_ids=data.get(ATTR_ASSET_ID, ()),
            size=data[ATTR_SIZE],
            newest=data.get(ATTR_NEWEST),
        )
    except OSError as err:
        raise _failed(
            key="write_failed", path=data[ATTR_FOLDER], error=err.strerror or str(err)
        ) from err
    return {
        "folder": str(folder),
        "written": sorted(str(path) for path in result.written),
        "skipped": sorted(str(path) for path in result.skipped),
        "failed": [
            {"asset_id": asset_id, "error": error}
            for asset_id, error in sorted(result.failed)
        ],
    }


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


async def _async_create_album(
    hass: HomeAssistant,  # noqa: ARG001  # every handler has the same signature
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Create an album, optionally with assets."""
    client = entry.runtime_data.client
    await _async_check_assets(client, data[ATTR_ASSET_ID])
    album = await client.create_album(
        data[ATTR_NAME],
        description=data.get(ATTR_DESCRIPTION),
        asset_ids=data[ATTR_ASSET_ID],
    )
    await _async_refresh(entry)
    return _album_response(client, album)


async def _async_update_album(
    hass: HomeAssistant,  # noqa: ARG001
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Rename an album or change its description."""
    client = entry.runtime_data.client
    if ATTR_NAME not in data and ATTR_DESCRIPTION not in data:
        raise _invalid(key="nothing_to_update")
    album = await _async_album(entry, data[ATTR_ALBUM])
    _check_album_writable(entry, album)
    with _album_refusal(album):
        album = await client.update_album(
            album.id, name=data.get(ATTR_NAME), description=data.get(ATTR_DESCRIPTION)
        )
    await _async_refresh(entry)
    return _album_response(client, album)


async def _async_delete_album(
    hass: HomeAssistant,  # noqa: ARG001
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> None:
    """Delete an album; its photos stay in the library."""
    album = await _async_album(entry, data[ATTR_ALBUM])
    user = entry.runtime_data.user
    if user is not None and album.role_of(user.id) not in ("owner", None):
        raise _invalid(key="album_not_owner", album=album.name)
    await entry.runtime_data.client.delete_album(album.id)
    await _async_refresh(entry)


async def _async_add_to_album(
    hass: HomeAssistant,  # noqa: ARG001
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Add assets to an album; assets already in it are fine."""
    client = entry.runtime_data.client
    album = await _async_album(entry, data[ATTR_ALBUM])
    _check_album_writable(entry, album)
    await _async_check_assets(client, data[ATTR_ASSET_ID])
    with _album_refusal(album):
        results = await client.add_assets_to_album(album.id, data[ATTR_ASSET_ID])
    await _async_refresh(entry)
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


async def _async_remove_from_album(
    hass: HomeAssistant,  # noqa: ARG001
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Remove assets from an album; assets not in it are reported, not refused."""
    client = entry.runtime_data.client
    album = await _async_album(entry, data[ATTR_ALBUM])
    _check_album_writable(entry, album)
    with _album_refusal(album):
        results = await client.remove_assets_from_album(album.id, data[ATTR_ASSET_ID])
    await _async_refresh(entry)
    return {
        "album_id": album.id,
        "removed": [item.id for item in results if item.success],
        "not_in_album": [item.id for item in results if not item.success],
    }


async def _async_share_album(
    hass: HomeAssistant,  # noqa: ARG001
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Share an album with users named by e-mail address or id."""
    client = entry.runtime_data.client
    album = await _async_album(entry, data[ATTR_ALBUM])
    users = await client.users()
    role: AlbumRole = data[ATTR_ROLE]
    chosen: dict[str, AlbumRole] = {}
    for ref in data[ATTR_USERS]:
        folded = ref.casefold()
        match = next(
            (u for u in users if u.id == folded or u.email.casefold() == folded), None
        )
        if match is None:
            raise _invalid(key="user_not_found", user=ref)
        chosen[match.id] = role
    shared = {user.user_id for user in album.album_users}
    if album.owner_id is not None:
        shared.add(album.owner_id)
    new = [(user_id, role) for user_id, role in chosen.items() if user_id not in shared]
    if new:
        with _album_refusal(album):
            album = await client.share_album(album.id, new)
    await _async_refresh(entry)
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


async def _async_create_tag(
    hass: HomeAssistant,  # noqa: ARG001
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
        raise _failed(key="server_error")
    await _async_refresh(entry)
    return {"tag_id": tag.id, "name": tag.name, "value": tag.value}


async def _async_tag_assets(
    hass: HomeAssistant,  # noqa: ARG001
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Tag assets; tags that don't exist yet are created.

    All tags go in one request: Immich writes each asset's tags to its sidecar and
    reads them back in the background, and one request per tag raced that round trip
    (the tags of the first request came back without the others).
    """
    client = entry.runtime_data.client
    assets = await _async_check_assets(client, data[ATTR_ASSET_ID])
    tags = await _async_tags(client, data[ATTR_TAGS], create=True)
    await client.tag_assets_bulk([tag.id for tag in tags], data[ATTR_ASSET_ID])
    await _async_refresh(entry)
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


async def _async_untag_assets(
    hass: HomeAssistant,  # noqa: ARG001
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Remove tags from assets."""
    client = entry.runtime_data.client
    tags = await _async_tags(client, data[ATTR_TAGS], create=False)
    asset_ids: list[str] = data[ATTR_ASSET_ID]
    # Immich has no request for several tags: one removal per tag, sent together.
    # Each removal rewrites the asset's XMP sidecar in the background and reads it
    # back; on a busy server that round trip has been seen to restore one of several
    # tags removed together (sent one after the other too): docs/actions.md says so.
    changed: dict[str, None] = {}
    removals = (client.untag_assets(tag.id, asset_ids) for tag in tags)
    for results in await asyncio.gather(*removals):
        changed.update(dict.fromkeys(item.id for item in results if item.success))
    await _async_refresh(entry)
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
        raise _invalid(key="expiry_in_past", expires_at=moment.isoformat())
    return moment


async def _async_create_shared_link(
    hass: HomeAssistant,  # noqa: ARG001
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Create a public link to an album or to assets."""
    client = entry.runtime_data.client
    if not data.get(ATTR_ALBUM) and not data.get(ATTR_ASSET_ID):
        raise _invalid(key="shared_link_target_required")
    expires_at = _expiry(data)
    album_id: str | None = None
    if ATTR_ALBUM in data:
        album_id = (await _async_album(entry, data[ATTR_ALBUM])).id
    else:
        await _async_check_assets(client, data[ATTR_ASSET_ID])
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


async def _async_delete_shared_link(
    hass: HomeAssistant,  # noqa: ARG001
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> None:
    """Delete a shared link."""
    client = entry.runtime_data.client
    link_id = data[ATTR_LINK_ID]
    if not any(link.id == link_id for link in await client.shared_links()):
        raise _invalid(key="shared_link_not_found", link_id=link_id)
    await client.delete_shared_link(link_id)


# ---------------------------------------------------------------------- jobs


async def _async_job_command(
    hass: HomeAssistant,  # noqa: ARG001
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> None:
    """Start, pause, resume or empty a job queue, or clear its failed jobs."""
    queue: str = data[ATTR_QUEUE]
    command: str = data[ATTR_COMMAND]
    coordinator = entry.runtime_data.queues
    known: Sequence[str] = QUEUE_NAMES
    if coordinator is not None and coordinator.data is not None:
        known = tuple(coordinator.data.queues) or QUEUE_NAMES
    if queue not in known:
        raise _invalid(key="queue_not_found", queue=queue, queues=", ".join(known))
    if command == "start" and queue not in STARTABLE_QUEUES:
        raise _invalid(key="queue_cannot_start", queue=queue)
    if data[ATTR_FORCE] and command != "start":
        raise _invalid(key="force_needs_start")
    try:
        await entry.runtime_data.client.queue_command(
            queue, JOB_COMMANDS[command], force=data[ATTR_FORCE]
        )
    except ImmichBadRequestError as err:
        raise _invalid(
            key="job_command_rejected", queue=queue, command=command, error=str(err)
        ) from err
    if coordinator is not None:
        await coordinator.async_request_refresh()


async def _async_scan_library(
    hass: HomeAssistant,  # noqa: ARG001
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Scan one external library (by id or name) or all of them."""
    client = entry.runtime_data.client
    libraries = await client.libraries()
    if not libraries:
        raise _invalid(key="no_external_library")
    if (ref := data.get(ATTR_LIBRARY)) is not None:
        folded = ref.casefold()
        libraries = [
            library
            for library in libraries
            if library.id == folded or library.name.casefold() == folded
        ][:1]
        if not libraries:
            raise _invalid(key="library_not_found", library=ref)
    for library in libraries:
        await client.scan_library(library.id)
    return {"library_ids": [library.id for library in libraries]}


# -------------------------------------------------------------------- search


async def _async_people(client: ImmichClient, refs: Sequence[str]) -> list[str]:
    """Return person ids for names or ids."""
    people = (await client.people(with_hidden=True, size=1000)).people
    ids: list[str] = []
    for ref in refs:
        folded = ref.casefold()
        match = next(
            (p for p in people if p.id == folded or p.name.casefold() == folded), None
        )
        if match is None:
            raise _invalid(key="person_not_found", person=ref)
        ids.append(match.id)
    return ids


async def _async_search_filters(
    entry: ImmichBridgeConfigEntry, data: dict[str, Any]
) -> ImmichSearchFilters:
    """Turn the search action's fields into client filters."""
    filters: ImmichSearchFilters = {}
    after: datetime | None = data.get(ATTR_TAKEN_AFTER)
    before: datetime | None = data.get(ATTR_TAKEN_BEFORE)
    if after is not None:
        filters["taken_after"] = after
    if before is not None:
        filters["taken_before"] = before
        if after is not None and after > before:
            raise _invalid(key="bad_time_range")
    if ATTR_CITY in data:
        filters["city"] = data[ATTR_CITY]
    if ATTR_COUNTRY in data:
        filters["country"] = data[ATTR_COUNTRY]
    if ATTR_FAVORITE in data:
        filters["is_favorite"] = data[ATTR_FAVORITE]
    if ATTR_TYPE in data:
        filters["type"] = ASSET_TYPES[data[ATTR_TYPE]]
    if ATTR_RATING in data:
        # 0 asks for unrated assets, which Immich matches with a null rating.
        filters["rating"] = data[ATTR_RATING] or None
    await _async_search_refs(entry, data, filters)
    return filters


async def _async_search_refs(
    entry: ImmichBridgeConfigEntry, data: dict[str, Any], filters: ImmichSearchFilters
) -> None:
    """Resolve the album, people and tags a search names into id filters."""
    if ATTR_ALBUM in data:
        filters["album_ids"] = [(await _async_album(entry, data[ATTR_ALBUM])).id]
    client = entry.runtime_data.client
    if data[ATTR_PERSON]:
        filters["person_ids"] = await _async_people(client, data[ATTR_PERSON])
    if data[ATTR_TAGS]:
        tags = await _async_tags(client, data[ATTR_TAGS], create=False)
        filters["tag_ids"] = [tag.id for tag in tags]


async def _async_search_total(
    client: ImmichClient, filters: ImmichSearchFilters
) -> int | None:
    """Count every match of a metadata search, or None without asset.statistics.

    Immich's own `total` in a search answer counts only the page.
    """
    try:
        return await client.search_statistics(**filters)
    except ImmichPermissionError:
        LOGGER.debug("The key may not count search results (asset.statistics)")
        return None


async def _async_search(
    hass: HomeAssistant,  # noqa: ARG001
    entry: ImmichBridgeConfigEntry,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Search by meaning (CLIP), by metadata or at random; return assets with links.

    `total` counts every match (all pages) of a metadata or random search; a smart
    search ranks the whole library and has no count, so its total is None.
    """
    client = entry.runtime_data.client
    query: str | None = data.get(ATTR_QUERY)
    order: str = data[ATTR_ORDER]
    page: int = data[ATTR_PAGE]
    if query is not None and order != "newest":
        raise _invalid(key="search_order_with_query", order=order)
    if order == "random" and page > 1:
        raise _invalid(key="search_random_page")
    filters = await _async_search_filters(entry, data)
    limit: int = data[ATTR_LIMIT]
    next_page: int | None = None
    total: int | None = None
    if query is not None:
        found = await client.search_smart(query, page=page, size=limit, **filters)
        items, next_page = list(found.items), found.next_page
    elif order == "random":
        items = await client.search_random(size=limit, **filters)
        total = await _async_search_total(client, filters)
    else:
        found = await client.search_metadata(
            page=page,
            size=limit,
            order="asc" if order == "oldest" else "desc",
            **filters,
        )
        items, next_page = list(found.items), found.next_page
        total = await _async_search_total(client, filters)
    assets = [_asset_summary(client, asset) for asset in items[:limit]]
    return {
        "count": len(assets),
        "total": total,
        "page": page,
        "next_page": next_page,
        "assets": assets,
    }


# -------------------------------------------------------------- registration

type _Handler = Callable[
    [HomeAssistant, ImmichBridgeConfigEntry, dict[str, Any]],
    Awaitable[dict[str, Any] | None],
]


@dataclass(frozen=True, kw_only=True)
class _Action:
    """Tie an action's schema to its handler and response support."""

    schema: vol.Schema
    handler: _Handler
    response: SupportsResponse


ACTIONS: Final[dict[str, _Action]] = {
    SERVICE_UPLOAD: _Action(
        schema=UPLOAD_SCHEMA, handler=_async_upload, response=SupportsResponse.OPTIONAL
    ),
    SERVICE_SYNC_FOLDER: _Action(
        schema=SYNC_FOLDER_SCHEMA,
        handler=_async_sync_folder,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_DOWNLOAD: _Action(
        schema=DOWNLOAD_SCHEMA,
        handler=_async_download,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_CREATE_ALBUM: _Action(
        schema=CREATE_ALBUM_SCHEMA,
        handler=_async_create_album,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_UPDATE_ALBUM: _Action(
        schema=UPDATE_ALBUM_SCHEMA,
        handler=_async_update_album,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_DELETE_ALBUM: _Action(
        schema=DELETE_ALBUM_SCHEMA,
        handler=_async_delete_album,
        response=SupportsResponse.NONE,
    ),
    SERVICE_ADD_TO_ALBUM: _Action(
        schema=ALBUM_ASSETS_SCHEMA,
        handler=_async_add_to_album,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_REMOVE_FROM_ALBUM: _Action(
        schema=ALBUM_ASSETS_SCHEMA,
        handler=_async_remove_from_album,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_SHARE_ALBUM: _Action(
        schema=SHARE_ALBUM_SCHEMA,
        handler=_async_share_album,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_CREATE_TAG: _Action(
        schema=CREATE_TAG_SCHEMA,
        handler=_async_create_tag,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_TAG_ASSETS: _Action(
        schema=TAG_ASSETS_SCHEMA,
        handler=_async_tag_assets,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_UNTAG_ASSETS: _Action(
        schema=TAG_ASSETS_SCHEMA,
        handler=_async_untag_assets,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_CREATE_SHARED_LINK: _Action(
        schema=CREATE_SHARED_LINK_SCHEMA,
        handler=_async_create_shared_link,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_DELETE_SHARED_LINK: _Action(
        schema=DELETE_SHARED_LINK_SCHEMA,
        handler=_async_delete_shared_link,
        response=SupportsResponse.NONE,
    ),
    SERVICE_JOB_COMMAND: _Action(
        schema=JOB_COMMAND_SCHEMA,
        handler=_async_job_command,
        response=SupportsResponse.NONE,
    ),
    SERVICE_SCAN_LIBRARY: _Action(
        schema=SCAN_LIBRARY_SCHEMA,
        handler=_async_scan_library,
        response=SupportsResponse.OPTIONAL,
    ),
    SERVICE_SEARCH: _Action(
        schema=SEARCH_SCHEMA, handler=_async_search, response=SupportsResponse.ONLY
    ),
}
# The asset actions (asset_actions.py) build on the helpers above.
from .asset_actions import ASSET_ACTIONS  # noqa: E402

ACTIONS.update(ASSET_ACTIONS)


async def _async_handle(
    hass: HomeAssistant, action: _Action, call: ServiceCall
) -> ServiceResponse:
    """Validate an action call, run it against its entry and shape the response.

    The schema runs here rather than in the service registry, so that bad data ends
    in a translated ServiceValidationError instead of a bare voluptuous error.
    """
    try:
        data: dict[str, Any] = action.schema(dict(call.data))
    except vol.Invalid as err:
        raise _invalid(key="invalid_action_data", error=_describe_invalid(err)) from err
    except (TypeError, ValueError, OverflowError) as err:  # pragma: no cover
        # A validator that let something other than vol.Invalid through.
        raise _invalid(key="invalid_action_data", error=type(err).__name__) from err
    entry = _get_entry(hass, data[ATTR_CONFIG_ENTRY_ID])
    LOGGER.debug("Running action %s for entry %s", call.service, entry.entry_id)

    @callback
    def refused(permission: str) -> None:
        """Raise the repair issue: the user used something the key can't do."""
        entry.async_create_task(
            hass,
            async_update_permission_issue(hass, entry, {call.service: permission}),
            "immich_bridge permission issue",
        )

    with translate_action_errors(hass, entry, refused), _rejected_as_invalid():
        response = await action.handler(hass, entry, data)
    if response is None or not call.return_response:
        return None
    return response


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every Immich Bridge action."""
    for name, action in ACTIONS.items():
        hass.services.async_register(
            DOMAIN,
            name,
            partial(_async_handle, hass, action),
            supports_response=action.response,
        )
