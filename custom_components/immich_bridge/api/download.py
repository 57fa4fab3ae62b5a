"""Download an album's or some assets' files into a local folder."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import logging
import os
from pathlib import Path
import tempfile
from typing import TYPE_CHECKING, BinaryIO, Final

from .assets import ImmichAsset
from .errors import ImmichAuthenticationError, ImmichError
from .files import CHUNK_SIZE
from .results import ImmichDownloadResult

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .client import AssetSize, ImmichAssetStream, ImmichClient

_LOGGER: Final = logging.getLogger(__name__)

PART_SUFFIX: Final = ".immich-part"


def _safe_name(name: str, fallback: str) -> str:
    """Return a plain file name (no folders, not hidden)."""
    cleaned = name.replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".")
    return cleaned or fallback


def _thumbnail_suffix(content_type: str) -> str:
    """Return the file extension for a thumbnail's MIME type."""
    return {"image/webp": ".webp", "image/png": ".png"}.get(content_type, ".jpg")


@dataclass(slots=True)
class _DownloadRun:
    """Hold the state of one download."""

    client: ImmichClient
    folder: Path
    size: AssetSize
    slots: asyncio.Semaphore
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def plan(
        self, assets: Sequence[ImmichAsset]
    ) -> list[tuple[ImmichAsset, list[str]]]:
        """Name every asset's file: its own name, then one tagged with its id."""
        claimed: set[str] = set()
        planned: list[tuple[ImmichAsset, list[str]]] = []
        for asset in assets:
            name = Path(_safe_name(asset.original_file_name, asset.id))
            stem = name.stem if self.size == "original" else f"{name.stem}_{self.size}"
            suffix = name.suffix if self.size == "original" else ""
            own, tagged = f"{stem}{suffix}", f"{stem}_{asset.id[:8]}{suffix}"
            names = [tagged] if own.lower() in claimed else [own, tagged]
            claimed.add(names[0].lower())
            planned.append((asset, names))
        return planned

    async def fetch(self, asset: ImmichAsset, names: list[str]) -> None:
        """Download one asset, recording the outcome."""
        async with self.slots:
            try:
                await self._fetch(asset, names)
            except ImmichAuthenticationError:
                raise
            except (ImmichError, OSError) as err:
                self.failed.append((asset.id, str(err)))

    async def _fetch(self, asset: ImmichAsset, names: list[str]) -> None:
        """Download one asset unless a file of the same size is already there."""
        targets = [self.folder / name for name in names]
        known = asset.file_size_in_byte if self.size == "original" else None
        if known is not None:
            target = await asyncio.to_thread(_choose, targets, known)
            if target is None:
                self.skipped.append(targets[0])
                return
        async with self.client.open_asset(asset.id, size=self.size) as stream:
            if self.size != "original":
                suffix = _thumbnail_suffix(stream.content_type)
                targets = [self.folder / f"{name}{suffix}" for name in names]
            target = await asyncio.to_thread(_choose, targets, stream.size)
            if target is None:
                self.skipped.append(targets[0])
                return
            await _write_stream(
                stream, target, asset if self.size == "original" else None
            )
        self.written.append(target)


def _choose(targets: Sequence[Path], size: int | None) -> Path | None:
    """Pick where to write, or None when a file of the same size is already there."""
    for target in targets:
        try:
            existing = target.stat().st_size
        except FileNotFoundError:
            return target
        if size is not None and existing == size:
            return None
    return targets[-1]


async def _write_stream(
    stream: ImmichAssetStream, target: Path, asset: ImmichAsset | None
) -> None:
    """Write a stream to a temporary file beside `target`, then rename it."""
    fd, temp_name = await asyncio.to_thread(
        tempfile.mkstemp,
        dir=target.parent,
        prefix=f".{target.name}.",
        suffix=PART_SUFFIX,
    )
    temp = Path(temp_name)
    handle = await asyncio.to_thread(os.fdopen, fd, "wb")
    done = False
    try:
        written = 0
        buffer = bytearray()
        async for chunk in stream.chunks(CHUNK_SIZE):
            buffer += chunk
            if len(buffer) >= CHUNK_SIZE:
                await asyncio.to_thread(handle.write, bytes(buffer))
                written += len(buffer)
                buffer.clear()
        if buffer:
            await asyncio.to_thread(handle.write, bytes(buffer))
            written += len(buffer)
        await asyncio.to_thread(handle.close)
        if stream.size is not None and written != stream.size:
            msg = f"{target.name}: got {written} of {stream.size} bytes"
            raise ImmichError(msg)
        if asset is not None:
            stamp = asset.file_modified_at.timestamp()
            await asyncio.to_thread(os.utime, temp, (stamp, stamp))
        await asyncio.to_thread(temp.replace, target)
        done = True
    finally:
        if not done:
            await asyncio.to_thread(_discard, handle, temp)


def _discard(handle: BinaryIO, temp: Path) -> None:
    """Close and remove a partial download (blocking)."""
    handle.close()
    temp.unlink(missing_ok=True)


async def _assets_by_id(
    client: ImmichClient, asset_ids: Sequence[str], failed: list[tuple[str, str]]
) -> list[ImmichAsset]:
    """Fetch assets by id, recording the ids that cannot be read."""

    async def one(asset_id: str) -> ImmichAsset | None:
        try:
            return await client.asset(asset_id)
        except ImmichAuthenticationError:
            raise
        except ImmichError as err:
            failed.append((asset_id, str(err)))
            return None

    found = await asyncio.gather(
        *(one(asset_id) for asset_id in dict.fromkeys(asset_ids))
    )
    return [asset for asset in found if asset is not None]


async def download_assets(
    client: ImmichClient,
    destination: Path,
    *,
    album_id: str | None = None,
    asset_ids: Sequence[str] = (),
    size: AssetSize = "original",
    newest: int | None = None,
    concurrency: int = 4,
) -> ImmichDownloadResult:
    """Download an album's or some assets' files into a folder.

    Each file is streamed to a hidden temporary name in the folder and renamed when
    complete; a file already there with the same size is skipped. `newest` keeps only
    the N most recent assets. Thumbnail sizes are named "<stem>_<size>.jpg".
    """
    if (album_id is None) == (not asset_ids):
        msg = "give either album_id or asset_ids"
        raise ValueError(msg)
    await asyncio.to_thread(destination.mkdir, parents=True, exist_ok=True)
    run = _DownloadRun(
        client=client,
        folder=destination,
        size=size,
        slots=asyncio.Semaphore(max(1, concurrency)),
    )
    if album_id is not None:
        assets = await client.album_assets(album_id, limit=newest)
    else:
        assets = await _assets_by_id(client, asset_ids, run.failed)
        assets.sort(key=lambda asset: asset.file_created_at, reverse=True)
        if newest is not None:
            assets = assets[:newest]
    try:
        async with asyncio.TaskGroup() as tasks:
            for asset, names in run.plan(assets):
                tasks.create_task(run.fetch(asset, names))
    except* ImmichAuthenticationError as group:
        raise group.exceptions[0] from None
    _LOGGER.debug(
        "Download finished: %d written, %d skipped, %d failed",
        len(run.written),
        len(run.skipped),
        len(run.failed),
    )
    return ImmichDownloadResult(
        written=tuple(run.written), skipped=tuple(run.skipped), failed=tuple(run.failed)
    )
