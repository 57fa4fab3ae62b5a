"""The transfer actions: upload, sync_folder and download."""

from __future__ import annotations

from functools import partial
from pathlib import Path
import shutil
import tempfile
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant

from .action_common import (
    album_refusal,
    async_album,
    async_album_or_create,
    async_find_album,
    async_refresh,
    check_album_writable,
)
from .action_sources import (
    UploadSource,
    async_check_readable,
    async_sources,
    check_media_type,
    readable_folder,
    writable_folder,
)
from .api import (
    ImmichAlbum,
    ImmichClient,
    ImmichSyncResult,
    ImmichUploadResult,
    Visibility,
    album_failures,
    download_assets,
    subfolder_tags,
    sync_folder,
)
from .const import (
    ATTR_ALBUM,
    ATTR_ALBUM_FROM_FOLDER,
    ATTR_ASSET_ID,
    ATTR_CONCURRENCY,
    ATTR_DELETE_AFTER_UPLOAD,
    ATTR_DESCRIPTION,
    ATTR_DRY_RUN,
    ATTR_EXCLUDE,
    ATTR_FAVORITE,
    ATTR_FOLDER,
    ATTR_INCLUDE,
    ATTR_NEWEST,
    ATTR_RECURSIVE,
    ATTR_RESTORE_TRASHED,
    ATTR_SIZE,
    ATTR_TAGS,
    ATTR_TAGS_FROM_SUBFOLDERS,
    ATTR_URL,
    ATTR_VISIBILITY,
    LOGGER,
)
from .helpers import failed, invalid
from .resolve import async_tags
from .views import asset_links

if TYPE_CHECKING:
    from .coordinator import ImmichBridgeConfigEntry


async def _async_upload_one(
    client: ImmichClient, source: UploadSource, data: dict[str, Any]
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
            raise failed(
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


async def async_upload(
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
    sources = await async_sources(hass, data, folder)
    media = await client.media_types()
    for source in sources:
        check_media_type(media, source.filename)
        await async_check_readable(hass, source)
    album: ImmichAlbum | None = None
    if ATTR_ALBUM in data:
        album = await async_album_or_create(entry, data[ATTR_ALBUM])
    tags = await async_tags(client, data[ATTR_TAGS], create=True)
    results = [
        (source, *await _async_upload_one(client, source, data)) for source in sources
    ]
    asset_ids = list(dict.fromkeys(result.asset_id for _, result, _ in results))
    failures: list[tuple[str, str]] = []
    if album is not None:
        with album_refusal(album):
            failures = album_failures(
                await client.add_assets_to_album(album.id, asset_ids)
            )
    if tags:
        await client.tag_assets_bulk([tag.id for tag in tags], asset_ids)
    await async_refresh(entry)
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


async def async_sync_folder(
    hass: HomeAssistant, entry: ImmichBridgeConfigEntry, data: dict[str, Any]
) -> dict[str, Any]:
    """Upload what is new in a folder; optionally delete what the server confirmed."""
    client = entry.runtime_data.client
    folder = await hass.async_add_executor_job(readable_folder, hass, data[ATTR_FOLDER])
    dry_run: bool = data[ATTR_DRY_RUN]
    album_ref: str | None = data.get(ATTR_ALBUM)
    if data.get(ATTR_ALBUM_FROM_FOLDER):
        album_ref = folder.name
    album_id: str | None = None
    if album_ref is not None:
        if dry_run:
            album = await async_find_album(entry, album_ref)
            if album is not None:
                check_album_writable(entry, album)
            album_id = album.id if album is not None else None
        else:
            album_id = (await async_album_or_create(entry, album_ref)).id
    tags = [] if dry_run else await async_tags(client, data[ATTR_TAGS], create=True)
    try:
        result = await sync_folder(
            client,
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
        raise failed(
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
        await async_refresh(entry)
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
            raise failed(key="server_error")
        await client.tag_assets(tag.id, asset_ids)
    return {value: len(asset_ids) for value, asset_ids in by_folder.items()}


async def async_download(
    hass: HomeAssistant, entry: ImmichBridgeConfigEntry, data: dict[str, Any]
) -> dict[str, Any]:
    """Download an album's or some assets' files into an allowed folder."""
    client = entry.runtime_data.client
    if not data.get(ATTR_ALBUM) and not data.get(ATTR_ASSET_ID):
        raise invalid(key="download_source_required")
    album_id: str | None = None
    if ATTR_ALBUM in data:
        album_id = (await async_album(entry, data[ATTR_ALBUM])).id
    folder = await hass.async_add_executor_job(writable_folder, hass, data[ATTR_FOLDER])
    try:
        result = await download_assets(
            client,
            folder,
            album_id=album_id,
            asset_ids=data.get(ATTR_ASSET_ID, ()),
            size=data[ATTR_SIZE],
            newest=data.get(ATTR_NEWEST),
        )
    except OSError as err:
        raise failed(
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
