"""Check and hash local files: media signatures, SHA-1, sidecars, MIME types.

The `_sync` functions read files in chunks and block: callers run them in a
worker thread (the async ones do that themselves).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
import hashlib
import mimetypes
import os
from pathlib import PurePath
import threading
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from pathlib import Path

CHUNK_SIZE: Final = 1024 * 1024
HEAD_SIZE: Final = 16

type _Signature = tuple[tuple[int, bytes], ...]  # (offset, bytes) that must all match
_JPEG: Final[tuple[_Signature, ...]] = (((0, b"\xff\xd8\xff"),),)
_ISO_MEDIA: Final[tuple[_Signature, ...]] = (((4, b"ftyp"),),)
_TIFF: Final[tuple[_Signature, ...]] = tuple(
    ((0, magic),) for magic in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
)
# How common formats start. Immich stores whatever it is sent, so a file named .jpg
# that holds no picture becomes an asset without one. A file with one of these
# extensions must start like one of these formats (any of them: a JPEG named .png is
# still a photo); other accepted files (RAW formats, …) only need to be non-empty.
SIGNATURES: Final[dict[str, tuple[_Signature, ...]]] = {
    ".jpg": _JPEG,
    ".jpeg": _JPEG,
    ".jpe": _JPEG,
    ".insp": _JPEG,
    ".png": (((0, b"\x89PNG\r\n\x1a\n"),),),
    ".gif": (((0, b"GIF87a"),), ((0, b"GIF89a"),)),
    ".webp": (((0, b"RIFF"), (8, b"WEBP")),),
    ".bmp": (((0, b"BM"),),),
    ".tif": _TIFF,
    ".tiff": _TIFF,
    ".heic": _ISO_MEDIA,
    ".heif": _ISO_MEDIA,
    ".hif": _ISO_MEDIA,
    ".avif": _ISO_MEDIA,
    ".mp4": _ISO_MEDIA,
    ".m4v": _ISO_MEDIA,
    ".3gp": _ISO_MEDIA,
    ".mov": tuple(
        ((4, atom),) for atom in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip")
    ),
    ".mkv": (((0, b"\x1a\x45\xdf\xa3"),),),
    ".webm": (((0, b"\x1a\x45\xdf\xa3"),),),
    ".avi": (((0, b"RIFF"), (8, b"AVI ")),),
}
_KNOWN: Final = frozenset(
    signature for signatures in SIGNATURES.values() for signature in signatures
)


class MediaProblem(StrEnum):
    """Why a file is not uploaded (the value reads as a reason in sync results)."""

    EMPTY = "empty file"
    NOT_MEDIA = "its content is not a photo or video"


def media_problem(name: str, head: bytes, size: int) -> MediaProblem | None:
    """Say why a file cannot be the photo or video its name claims, or None.

    `head` is the file's first HEAD_SIZE bytes (or fewer, when it is shorter).
    """
    if size <= 0:
        return MediaProblem.EMPTY
    if PurePath(name).suffix.lower() not in SIGNATURES or any(
        all(head[at : at + len(magic)] == magic for at, magic in signature)
        for signature in _KNOWN
    ):
        return None
    return MediaProblem.NOT_MEDIA


def media_problem_sync(path: Path, name: str | None = None) -> MediaProblem | None:
    """Read a file's size and first bytes; see media_problem (blocking).

    `name` is the name it will have on the server (default: the file's own).
    """
    with path.open("rb") as handle:
        head = handle.read(HEAD_SIZE)
        size = os.fstat(handle.fileno()).st_size
    return media_problem(name or path.name, head, size)


class HashStoppedError(Exception):
    """A hash was stopped before the end of the file (its result is not needed)."""


def sha1_file_sync(
    path: Path, chunk_size: int = CHUNK_SIZE, stop: threading.Event | None = None
) -> str:
    """Return the hex SHA-1 of a file, read in chunks (blocking: run in a thread).

    When `stop` is set, the hash ends at the next chunk with HashStoppedError.
    """
    digest = hashlib.sha1()  # noqa: S324  # Immich identifies files by SHA-1
    buffer = bytearray(chunk_size)
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as handle:
        while read := handle.readinto(buffer):
            digest.update(view[:read])
            if stop is not None and stop.is_set():
                raise HashStoppedError(path.name)
    return digest.hexdigest()


async def sha1_file(path: Path, chunk_size: int = CHUNK_SIZE) -> str:
    """Return the hex SHA-1 of a file without blocking the event loop."""
    return await asyncio.to_thread(sha1_file_sync, path, chunk_size)


def media_sha1_sync(path: Path) -> MediaProblem | str:
    """Check a file's start and hash it in one pass (blocking: run in a thread).

    Return why the file is no media (see media_problem), or its hex SHA-1.
    """
    digest = hashlib.sha1()  # noqa: S324  # Immich identifies files by SHA-1
    with path.open("rb") as handle:
        chunk = handle.read(CHUNK_SIZE)
        size = os.fstat(handle.fileno()).st_size
        if problem := media_problem(path.name, chunk[:HEAD_SIZE], size):
            return problem
        while chunk:
            digest.update(chunk)
            chunk = handle.read(CHUNK_SIZE)
    return digest.hexdigest()


def sha1_bytes(data: bytes) -> str:
    """Return the hex SHA-1 of in-memory data."""
    return hashlib.sha1(data).hexdigest()  # noqa: S324  # Immich identifies files by SHA-1


def find_sidecar(path: Path) -> Path | None:
    """Return the XMP sidecar beside a file (photo.jpg.xmp or photo.xmp), if any."""
    for candidate in (path.with_name(f"{path.name}.xmp"), path.with_suffix(".xmp")):
        if candidate != path and candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalFile:
    """Describe a file about to be uploaded; `data` holds it when it fits one chunk."""

    path: Path
    size: int
    modified_at: datetime
    sidecar: Path | None
    data: bytes | None = field(default=None, repr=False)

    @classmethod
    def inspect_sync(cls, path: Path) -> LocalFile:
        """Stat a file, find its sidecar, read it if small (blocking: run in a thread).

        A file of at most one chunk is read at once (the stream would hold that chunk
        anyway), which saves the thread hops of opening and streaming it.
        """
        stat = path.stat()
        data = None
        if stat.st_size <= CHUNK_SIZE:
            with path.open("rb") as handle:
                data = handle.read(CHUNK_SIZE + 1)
        return cls(
            path=path,
            size=stat.st_size if data is None else len(data),
            modified_at=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
            sidecar=find_sidecar(path),
            data=data if data is None or len(data) <= CHUNK_SIZE else None,
        )


def guess_content_type(filename: str) -> str:
    """Return the MIME type for a file name, or application/octet-stream."""
    return mimetypes.guess_file_type(filename)[0] or "application/octet-stream"
