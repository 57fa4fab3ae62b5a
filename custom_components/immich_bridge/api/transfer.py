"""Sync a local folder to Immich: scan, check, upload, restore, fill the album."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from fnmatch import fnmatch
import logging
import os
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Final

from .errors import ImmichAuthenticationError, ImmichError
from .files import MediaProblem, media_sha1_sync
from .models import ImmichMediaTypes
from .results import (
    ImmichBulkIdResult,
    ImmichSyncFileResult,
    ImmichSyncResult,
    SyncStatus,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from .client import ImmichClient

_LOGGER: Final = logging.getLogger(__name__)

ALBUM_BATCH: Final = 1000
MAX_CONCURRENCY: Final = 16


# ------------------------------------------------------------------ folder sync


def _matches(rel: PurePosixPath, patterns: Iterable[str]) -> bool:
    """Return whether a relative path matches one of the glob patterns."""
    return any(fnmatch(rel.name, pat) or rel.full_match(pat) for pat in patterns)


def scan_folder(
    folder: Path,
    media: ImmichMediaTypes,
    *,
    recursive: bool,
    include: Sequence[str],
    exclude: Sequence[str],
    include_hidden: bool,
) -> tuple[list[Path], list[Path]]:
    """Return (media files, skipped files) under a folder (blocking: run in a thread).

    Sidecars and files the globs leave out are neither; hidden names are left out
    unless `include_hidden`. Symbolic links and special files (FIFOs, devices) are
    skipped, never followed or read.
    """
    found: list[Path] = []
    skipped: list[Path] = []
    for root, dirs, files in os.walk(folder):
        if not recursive:
            dirs.clear()
        if not include_hidden:
            dirs[:] = [name for name in dirs if not name.startswith(".")]
        dirs.sort()
        for name in sorted(files):
            if not include_hidden and name.startswith("."):
                continue
            path = Path(root, name)
            rel = PurePosixPath(path.relative_to(folder).as_posix())
            if include and not _matches(rel, include):
                continue
            if exclude and _matches(rel, exclude):
                continue
            suffix = path.suffix.lower()
            if suffix in media.sidecar or suffix == ".xmp":
                continue
            # Links may point out of the folder (or at /dev/zero), and a FIFO or
            # device would block the hash forever: only plain files are synced.
            # (A dangling link is left in, to be reported as unreadable.)
            if path.exists() and (path.is_symlink() or not path.is_file()):
                skipped.append(path)
                continue
            (found if suffix in media.media else skipped).append(path)
    return found, skipped


@dataclass(slots=True)
class _SyncRun:
    """Hold the state of one folder sync."""

    client: ImmichClient
    dry_run: bool
    upload_slots: asyncio.Semaphore
    hash_slots: asyncio.Semaphore
    # Uploads scheduled and not finished: the next batch is hashed only when there
    # is room, so a large folder never holds more than this many waiting tasks
    # (two batches: one uploading while the next is hashed and checked).
    queued: asyncio.Semaphore
    results: dict[Path, ImmichSyncFileResult] = field(default_factory=dict)
    first_by_checksum: dict[str, Path] = field(default_factory=dict)
    copies: list[tuple[Path, Path]] = field(default_factory=list)
    fatal: ImmichAuthenticationError | None = None

    def done(
        self,
        path: Path,
        status: SyncStatus,
        *,
        asset_id: str | None = None,
        error: str | None = None,
        in_trash: bool = False,
    ) -> None:
        """Record what happened to a file."""
        self.results[path] = ImmichSyncFileResult(
            path=path, status=status, asset_id=asset_id, error=error, in_trash=in_trash
        )

    async def checksum(self, path: Path) -> str | None:
        """Hash a file; record a skip when it is no media, a failure when unreadable.

        An empty file, or one whose content is not what its name says, would become
        an asset without a picture: it is skipped and left in place.
        """
        async with self.hash_slots:
            try:
                checked = await asyncio.to_thread(media_sha1_sync, path)
            except OSError as err:
                self.done(
                    path, "failed", error=f"cannot read file: {err.strerror or err}"
                )
                return None
        if isinstance(checked, MediaProblem):
            self.done(path, "skipped", error=checked)
            return None
        return checked

    async def batch(self, paths: Sequence[Path], tasks: asyncio.TaskGroup) -> None:
        """Hash and check one batch, then schedule the uploads it needs."""
        sums = await asyncio.gather(*(self.checksum(path) for path in paths))
        fresh: dict[str, tuple[Path, str]] = {}
        for index, (path, checksum) in enumerate(zip(paths, sums, strict=True)):
            if checksum is None:
                continue
            first = self.first_by_checksum.setdefault(checksum, path)
            if first != path:
                self.copies.append((path, first))
            else:
                fresh[str(index)] = (path, checksum)
        if not fresh:
            return
        try:
            answers = await self.client.upload_check(
                {key: checksum for key, (_, checksum) in fresh.items()}
            )
        except ImmichError as err:
            self.fail_all((path for path, _ in fresh.values()), err)
            return
        for key, (path, checksum) in fresh.items():
            answer = answers.get(key)
            if answer is not None and answer.duplicate and answer.asset_id:
                self.done(
                    path,
                    "duplicate",
                    asset_id=answer.asset_id,
                    in_trash=bool(answer.is_trashed),
                )
            elif answer is not None and answer.action == "reject":
                self.done(path, "skipped", error=f"rejected: {answer.reason}")
            elif self.dry_run:
                self.done(path, "pending")
            else:
                await self.queued.acquire()
                tasks.create_task(self.upload(path, checksum))

    def fail_all(self, paths: Iterable[Path], err: ImmichError) -> None:
        """Record a failure for every file of a batch."""
        if isinstance(err, ImmichAuthenticationError):
            self.fatal = err
        for path in paths:
            self.done(path, "failed", error=str(err))

    async def upload(self, path: Path, checksum: str) -> None:
        """Upload one file, recording the outcome (it holds a `queued` slot)."""
        try:
            await self._upload(path, checksum)
        finally:
            self.queued.release()

    async def _upload(self, path: Path, checksum: str) -> None:
        """Upload one file, recording the outcome."""
        async with self.upload_slots:
            if self.fatal is not None:
                self.done(path, "failed", error=str(self.fatal))
                return
            try:
                result = await self.client.upload(
                    path, checksum=checksum, check_duplicate=False
                )
            except ImmichError as err:
                self.fail_all((path,), err)
                return
            except OSError as err:
                self.done(
                    path, "failed", error=f"cannot read file: {err.strerror or err}"
                )
                return
        status: SyncStatus = "duplicate" if result.duplicate else "uploaded"
        self.done(path, status, asset_id=result.asset_id, in_trash=result.in_trash)

    def resolve_copies(self) -> None:
        """Give files with the same content as an earlier file that file's outcome."""
        for path, first in self.copies:
            origin = self.results[first]
            if origin.status in ("uploaded", "duplicate", "pending"):
                self.done(
                    path,
                    "duplicate",
                    asset_id=origin.asset_id,
                    in_trash=origin.in_trash,
                )
            else:
                self.done(path, origin.status, error=f"same content as {first.name}")


async def _resolve_album(
    client: ImmichClient, album_id: str | None, album_name: str | None, *, dry_run: bool
) -> str | None:
    """Return the album to fill, creating it by name when it is missing."""
    if album_id is not None or album_name is None:
        return album_id
    if (album := await client.find_album(album_name)) is not None:
        return album.id
    if dry_run:
        return None
    created = await client.create_album(album_name)
    _LOGGER.debug("Created album %s for a folder sync", created.id)
    return created.id


async def _delete_sources(
    results: Iterable[ImmichSyncFileResult], restored: Iterable[str]
) -> None:
    """Delete local files the server confirmed (created or duplicate).

    A file whose only copy on the server stays in the trash is kept: the trash
    empties itself.
    """
    back = set(restored)
    for item in results:
        if item.in_trash and item.asset_id not in back:
            continue
        if item.status in ("uploaded", "duplicate") and item.asset_id:
            try:
                await asyncio.to_thread(item.path.unlink)
            except OSError as err:
                _LOGGER.warning(
                    "Could not delete %s after upload: %s", item.path.name, err
                )


async def sync_folder(
    client: ImmichClient,
    folder: Path,
    *,
    recursive: bool = True,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    album_id: str | None = None,
    album_name: str | None = None,
    dry_run: bool = False,
    delete_after_upload: bool = False,
    concurrency: int = 4,
    batch_size: int = 100,
    include_hidden: bool = False,
    restore_trashed: bool = True,
) -> ImmichSyncResult:
    """Upload the new media files of a folder; report every file's outcome.

    Files are hashed and checked against the server in batches, so only new content is
    sent and a re-run after a failure uploads nothing twice. With an album (by id or
    name, created when missing) every synced file, new or duplicate, is added to it.
    A dry run uploads nothing and reports the files it would send as "pending".
    A file whose copy on the server is in the trash is marked `in_trash`; with
    `restore_trashed` that copy is restored (not in a dry run).
    `delete_after_upload` removes a local file only once the server has it.
    `concurrency` is clamped to 1..MAX_CONCURRENCY.
    """
    if not await asyncio.to_thread(folder.is_dir):
        msg = f"{folder} is not a folder"
        raise NotADirectoryError(msg)
    concurrency = min(max(1, concurrency), MAX_CONCURRENCY)
    media = await client.media_types()
    found, skipped = await asyncio.to_thread(
        scan_folder,
        folder,
        media,
        recursive=recursive,
        include=include,
        exclude=exclude,
        include_hidden=include_hidden,
    )
    target_album = await _resolve_album(client, album_id, album_name, dry_run=dry_run)
    run = _SyncRun(
        client=client,
        dry_run=dry_run,
        upload_slots=asyncio.Semaphore(concurrency),
        hash_slots=asyncio.Semaphore(min(concurrency, os.cpu_count() or 1)),
        queued=asyncio.Semaphore(2 * max(1, batch_size) + concurrency),
    )
    step = max(1, batch_size)
    async with asyncio.TaskGroup() as tasks:
        for start in range(0, len(found), step):
            if run.fatal is not None:
                run.fail_all(found[start:], run.fatal)
                break
            await run.batch(found[start : start + step], tasks)
    run.resolve_copies()
    if run.fatal is not None:
        raise run.fatal
    files = [run.results[path] for path in found]
    files.extend(
        ImmichSyncFileResult(path=path, status="skipped", error="unsupported file type")
        for path in skipped
    )
    restored: tuple[str, ...] = ()
    if restore_trashed and not dry_run:
        restored = await _restore_trashed(client, files)
    album_error = None
    album_failures: tuple[tuple[str, str], ...] = ()
    if target_album is not None and not dry_run:
        album_error, album_failures = await _fill_album(client, target_album, files)
    if delete_after_upload and not dry_run and album_error is None:
        await _delete_sources(files, restored)
    counts = dict.fromkeys(("uploaded", "duplicate", "failed", "skipped"), 0)
    for item in files:
        if item.status in counts:
            counts[item.status] += 1
    _LOGGER.debug("Folder sync finished: %s", counts)
    return ImmichSyncResult(
        uploaded=counts["uploaded"],
        duplicates=counts["duplicate"],
        failed=counts["failed"],
        skipped=counts["skipped"],
        files=tuple(files),
        album_id=target_album,
        album_error=album_error,
        album_failures=album_failures,
        restored=restored,
        dry_run=dry_run,
    )


def _synced_ids(files: Iterable[ImmichSyncFileResult]) -> list[str]:
    """Return the ids of the assets the server has for the synced files, once each."""
    return list(
        dict.fromkeys(
            item.asset_id
            for item in files
            if item.status in ("uploaded", "duplicate") and item.asset_id
        )
    )


async def _restore_trashed(
    client: ImmichClient, files: Sequence[ImmichSyncFileResult]
) -> tuple[str, ...]:
    """Take the server's copies that sit in the trash back out of it."""
    ids = _synced_ids(item for item in files if item.in_trash)
    for start in range(0, len(ids), ALBUM_BATCH):
        await client.restore_assets(ids[start : start + ALBUM_BATCH])
    if ids:
        _LOGGER.debug("Restored %d synced assets from the trash", len(ids))
    return tuple(ids)


async def _fill_album(
    client: ImmichClient, album_id: str, files: Sequence[ImmichSyncFileResult]
) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    """Add every synced asset to the album.

    Return an error text when the album refused the request, and (asset id, reason)
    for each asset it refused ("duplicate", already in the album, is no failure).
    """
    ids = _synced_ids(files)
    failures: list[tuple[str, str]] = []
    try:
        for start in range(0, len(ids), ALBUM_BATCH):
            answers = await client.add_assets_to_album(
                album_id, ids[start : start + ALBUM_BATCH]
            )
            failures.extend(album_failures(answers))
    except ImmichAuthenticationError:
        raise
    except ImmichError as err:
        return str(err), tuple(failures)
    return None, tuple(failures)


def album_failures(
    answers: Iterable[ImmichBulkIdResult],
) -> list[tuple[str, str]]:
    """Return (asset id, reason) for each asset an album refused.

    "duplicate" (already in the album) is no failure; a repeated id is answered
    twice by Immich, so ids that also succeeded are left out.
    """
    added = {answer.id for answer in answers if answer.success}
    failures: dict[str, str] = {}
    for answer in answers:
        if answer.success or answer.error == "duplicate" or answer.id in added:
            continue
        failures.setdefault(answer.id, answer.error or "unknown")
    return list(failures.items())


def subfolder_tags(
    folder: Path, files: Iterable[ImmichSyncFileResult]
) -> dict[str, list[str]]:
    """Map each sub-folder (as a tag value, "a/b") to the ids of the assets in it.

    Files directly in `folder` get no tag. Immich reads "/" in a tag value as its
    hierarchy, so "2024/Summer" becomes the tag Summer under the tag 2024.
    """
    tags: dict[str, list[str]] = {}
    for item in files:
        if item.status not in ("uploaded", "duplicate") or not item.asset_id:
            continue
        parent = PurePosixPath(item.path.relative_to(folder).as_posix()).parent
        if str(parent) in ("", "."):
            continue
        ids = tags.setdefault(str(parent), [])
        if item.asset_id not in ids:
            ids.append(item.asset_id)
    return tags
