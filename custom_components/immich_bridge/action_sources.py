"""Where uploads come from: allowed files and folders, snapshots, media items, URLs."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
import re
from typing import Any, Final
from urllib.parse import urlsplit

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.util import dt as dt_util

from .api import (
    MEDIA_HEAD_SIZE,
    ImmichMediaTypes,
    MediaProblem,
    SourceFetchError,
    SourceTooLargeError,
    fetch_to_file,
    media_problem,
    media_problem_sync,
    safe_url,
)
from .const import (
    ATTR_CAMERA_ENTITY_ID,
    ATTR_FILE_PATH,
    ATTR_IMAGE_ENTITY_ID,
    ATTR_MAX_SIZE,
    ATTR_MEDIA,
    ATTR_URL,
)
from .helpers import failed, invalid

# File extensions for snapshot content types (a table: mimetypes may read files).
SNAPSHOT_EXTENSIONS: Final = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/heic": ".heic",
}
# Home Assistant's own picture URLs: the entity is read directly (no token needed).
_HA_PICTURE_RE: Final = re.compile(
    r"^/api/(?:camera_proxy(?:_stream)?/(?P<camera>camera\.[a-z0-9_]+)"
    r"|image_proxy/(?P<image>image\.[a-z0-9_]+))/?$"
)

# --------------------------------------------------------------------- paths


def _allowed_path(hass: HomeAssistant, raw: str) -> Path:
    """Resolve a path (relative to the config folder) in the allowlist (blocking)."""
    try:
        path = Path(hass.config.path(raw)).resolve()
        allowed = hass.config.is_allowed_path(str(path))
    except (OSError, ValueError):
        allowed = False
    if not allowed:
        raise invalid(key="path_not_allowed", path=raw)
    return path


def readable_file(hass: HomeAssistant, raw: str) -> Path:
    """Return an allowed, existing file (blocking)."""
    path = _allowed_path(hass, raw)
    if not path.is_file():
        raise invalid(key="file_not_found", path=raw)
    return path


def readable_folder(hass: HomeAssistant, raw: str) -> Path:
    """Return an allowed, existing folder (blocking)."""
    path = _allowed_path(hass, raw)
    if not path.is_dir():
        raise invalid(key="folder_not_found", path=raw)
    return path


def writable_folder(hass: HomeAssistant, raw: str) -> Path:
    """Return an allowed folder, created when missing (blocking)."""
    path = _allowed_path(hass, raw)
    if path.exists() and not path.is_dir():
        raise invalid(key="folder_not_found", path=raw)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise failed(
            key="write_failed", path=raw, error=err.strerror or str(err)
        ) from err
    return path


def check_media_type(media: ImmichMediaTypes, name: str) -> None:
    """Refuse a file the server would not accept as a photo or video."""
    if not media.accepts(name):
        raise invalid(
            key="unsupported_media_type",
            name=Path(name).name or name,
            types=", ".join(sorted(media.media)),
        )


# ------------------------------------------------------------------- uploads


@dataclass(frozen=True, kw_only=True)
class UploadSource:
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


async def _async_camera_source(hass: HomeAssistant, entity_id: str) -> UploadSource:
    """Take a snapshot of a camera, in memory."""
    if hass.states.get(entity_id) is None:
        raise invalid(key="entity_not_found", entity_id=entity_id)
    # Imported here: camera (and its requirements) is only loaded with a camera.
    from homeassistant.components import camera  # noqa: PLC0415

    try:
        image = await camera.async_get_image(hass, entity_id)
    except HomeAssistantError as err:
        raise invalid(key="camera_no_image", entity_id=entity_id) from err
    return UploadSource(
        label=entity_id,
        data=image.content,
        filename=_snapshot_name(entity_id, image.content_type),
    )


async def _async_image_source(hass: HomeAssistant, entity_id: str) -> UploadSource:
    """Read the current picture of an image entity, in memory."""
    if hass.states.get(entity_id) is None:
        raise invalid(key="entity_not_found", entity_id=entity_id)
    from homeassistant.components import image  # noqa: PLC0415  # see camera

    try:
        picture = await image.async_get_image(hass, entity_id)
    except (HomeAssistantError, KeyError) as err:
        raise invalid(key="image_no_image", entity_id=entity_id) from err
    return UploadSource(
        label=entity_id,
        data=picture.content,
        filename=_snapshot_name(entity_id, picture.content_type),
    )


async def _async_media_source(hass: HomeAssistant, media_id: str) -> UploadSource:
    """Resolve a media-source item to a local file."""
    from homeassistant.components import media_source  # noqa: PLC0415  # see camera

    if not media_source.is_media_source_id(media_id):
        raise invalid(key="media_not_found", media_content_id=media_id)
    try:
        item = await media_source.async_resolve_media(hass, media_id, None)
    except HomeAssistantError as err:
        raise invalid(key="media_not_found", media_content_id=media_id) from err
    if item.path is None:
        raise invalid(key="media_not_local", media_content_id=media_id)
    path = await hass.async_add_executor_job(readable_file, hass, str(item.path))
    return UploadSource(label=media_id, path=path, filename=path.name)


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
) -> UploadSource:
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
        raise invalid(key="invalid_url", url=shown)
    if own:
        if (match := _HA_PICTURE_RE.match(parts.path)) is None:
            raise invalid(key="url_not_supported", url=shown)
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
        raise invalid(key="url_too_large", url=shown, limit=str(max_size)) from err
    except SourceFetchError as err:
        raise failed(key="url_fetch_failed", url=shown, error=str(err)) from err
    except OSError as err:
        raise failed(
            key="write_failed", path=str(target), error=err.strerror or str(err)
        ) from err
    return UploadSource(
        label=shown,
        path=fetched.path,
        filename=fetched.filename,
        checksum=fetched.sha1,
    )


async def async_sources(
    hass: HomeAssistant, data: dict[str, Any], folder: Path | None
) -> list[UploadSource]:
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
        path = await hass.async_add_executor_job(readable_file, hass, raw)
        sources.append(UploadSource(label=raw, path=path, filename=path.name))
    sources += [
        await _async_media_source(hass, media_id) for media_id in data[ATTR_MEDIA]
    ]
    for index, url in enumerate(data[ATTR_URL]):
        assert folder is not None  # noqa: S101  # made when there are URLs
        sources.append(
            await _async_url_source(hass, url, folder / str(index), data[ATTR_MAX_SIZE])
        )
    if not sources:
        raise invalid(key="no_upload_source")
    return sources


async def async_check_readable(hass: HomeAssistant, source: UploadSource) -> None:
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
            raise failed(
                key="read_failed", path=source.label, error=err.strerror or str(err)
            ) from err
    if problem is not None:
        raise invalid(
            key="empty_media" if problem is MediaProblem.EMPTY else "unreadable_media",
            name=source.filename or source.label,
        )
