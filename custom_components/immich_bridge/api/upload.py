"""Build streaming multipart uploads for Immich, hashing files off the event loop."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
import hashlib
import logging
import mimetypes
import os
from pathlib import PurePath, PurePosixPath
import threading
from typing import TYPE_CHECKING, Any, BinaryIO, Final
from urllib.parse import unquote, urlsplit, urlunsplit

import aiohttp
from aiohttp import payload

if TYPE_CHECKING:
    from pathlib import Path

    from aiohttp.abc import AbstractStreamWriter

_LOGGER: Final = logging.getLogger(__name__)

CHUNK_SIZE: Final = 1024 * 1024
# Larger files stream in bigger reads: fewer thread hops per GiB, still a few MiB held.
STREAM_CHUNK_SIZE: Final = 4 * 1024 * 1024
# From this size on, an upload starts while the file is still being hashed.
OVERLAP_MIN_SIZE: Final = 16 * 1024 * 1024
DEFAULT_DEVICE_ID: Final = "home-assistant"
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


class FilePayload(payload.Payload):
    """Stream a file into a request in chunks read by a worker thread."""

    def __init__(
        self,
        path: Path,
        size: int,
        *,
        filename: str,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        """Remember the file, its size and the chunk size."""
        super().__init__(
            path, content_type=guess_content_type(filename), filename=filename
        )
        self._path = path
        self._size = size
        self._chunk_size = chunk_size
        self.bytes_sent = 0

    @property
    def path(self) -> Path:
        """Return the file being sent."""
        return self._path

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:  # noqa: ARG002
        """Refuse to turn a file into text."""
        msg = "a file payload cannot be decoded"
        raise TypeError(msg)

    async def write(self, writer: AbstractStreamWriter) -> None:
        """Write the whole file."""
        await self.write_with_length(writer, None)

    async def write_with_length(
        self, writer: AbstractStreamWriter, content_length: int | None
    ) -> None:
        """Write at most `content_length` bytes, reading the next chunk ahead."""
        assert self._size is not None  # noqa: S101  # set in __init__
        remaining = self._size if content_length is None else content_length
        remaining = min(remaining, self._size)
        handle = await asyncio.to_thread(self._path.open, "rb")
        ahead: asyncio.Future[bytes] | None = None
        try:
            if remaining > 0:
                ahead = self._read_ahead(handle, remaining)
            while ahead is not None:
                chunk = await ahead
                ahead = None
                if not chunk:
                    msg = f"{self._path.name} shrank while it was being uploaded"
                    raise OSError(msg)
                remaining -= len(chunk)
                if remaining > 0:
                    ahead = self._read_ahead(handle, remaining)
                await writer.write(chunk)
                self.bytes_sent += len(chunk)
        finally:
            if ahead is None:
                await asyncio.to_thread(handle.close)
            else:
                # A read is still running in its thread: close once it is done.
                ahead.add_done_callback(partial(_close_after_read, handle))

    def _read_ahead(self, handle: BinaryIO, remaining: int) -> asyncio.Future[bytes]:
        """Start reading the next chunk in a worker thread."""
        loop = asyncio.get_running_loop()
        return loop.run_in_executor(None, handle.read, min(self._chunk_size, remaining))


def _close_after_read(handle: BinaryIO, done: asyncio.Future[bytes]) -> None:
    """Close a file in a worker thread once its last read has finished."""
    with suppress(asyncio.CancelledError, Exception):
        done.result()  # the upload already failed; this read's outcome is moot
    asyncio.get_running_loop().run_in_executor(None, handle.close)


def _form_field(form: aiohttp.MultipartWriter, name: str, value: str) -> None:
    """Append a text field to a multipart form."""
    part = form.append(value, {"Content-Type": "text/plain; charset=utf-8"})
    part.set_content_disposition("form-data", name=name)


def _form_file(
    form: aiohttp.MultipartWriter, name: str, filename: str, body: Any
) -> None:
    """Append a file part (bytes or a payload) to a multipart form."""
    if isinstance(body, payload.Payload):
        part = form.append_payload(body)
    else:
        part = form.append(body, {"Content-Type": guess_content_type(filename)})
    part.set_content_disposition("form-data", name=name, filename=filename)


def build_form(  # one argument per form field
    *,
    asset: payload.Payload | bytes,
    filename: str,
    file_created_at: datetime,
    file_modified_at: datetime,
    is_favorite: bool | None,
    visibility: str | None,
    sidecar: payload.Payload | bytes | None,
    device_fields: tuple[str, str] | None,
) -> aiohttp.MultipartWriter:
    """Build the multipart/form-data body of POST /assets."""
    form = aiohttp.MultipartWriter("form-data")
    if device_fields is not None:
        _form_field(form, "deviceAssetId", device_fields[0])
        _form_field(form, "deviceId", device_fields[1])
    _form_field(form, "fileCreatedAt", iso_utc(file_created_at))
    _form_field(form, "fileModifiedAt", iso_utc(file_modified_at))
    _form_field(form, "filename", filename)
    if is_favorite is not None:
        _form_field(form, "isFavorite", "true" if is_favorite else "false")
    if visibility is not None:
        _form_field(form, "visibility", visibility)
    if sidecar is not None:
        _form_file(form, "sidecarData", f"{filename}.xmp", sidecar)
    _form_file(form, "assetData", filename, asset)
    return form


def iso_utc(value: datetime) -> str:
    """Format a date-time as ISO-8601 UTC with a "Z" (naive ones count as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# ------------------------------------------------------------- fetch from a URL


class SourceFetchError(Exception):
    """A file to upload could not be fetched from its URL.

    The message names the URL without credentials or query (see `safe_url`).
    """


class SourceTooLargeError(SourceFetchError):
    """The file at a URL is larger than the limit."""

    def __init__(self, url: str, limit: int) -> None:
        """Remember the limit (bytes)."""
        super().__init__(f"{safe_url(url)}: larger than {limit} bytes")
        self.limit = limit


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchedFile:
    """Describe a file fetched from a URL into a local file."""

    path: Path
    filename: str
    size: int
    sha1: str
    content_type: str


def safe_url(url: str) -> str:
    """Return a URL without user, password, query or fragment (safe to show)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _fetched_name(url: str, response: aiohttp.ClientResponse) -> str:
    """Name a fetched file: the server's name for it, the URL's, or a made-up one."""
    content_type = response.content_type or "application/octet-stream"
    name = (
        response.content_disposition.filename if response.content_disposition else None
    )
    if not name:
        name = unquote(PurePosixPath(urlsplit(url).path).name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".") or "download"
    if PurePath(name).suffix.lower() not in SIGNATURES and (
        extension := mimetypes.guess_extension(content_type)
    ):
        name = f"{PurePath(name).stem or 'download'}{extension}"
    return name


async def fetch_to_file(
    session: aiohttp.ClientSession,
    url: str,
    target: Path,
    *,
    max_bytes: int,
    deadline: float = 300,
    chunk_size: int = CHUNK_SIZE,
) -> FetchedFile:
    """Stream a URL into `target`, hashing it on the way and stopping at `max_bytes`.

    Nothing is held in memory beyond one chunk. On any failure the partial file is
    removed and SourceFetchError (or SourceTooLargeError) is raised.
    """
    where = safe_url(url)
    digest = hashlib.sha1()  # noqa: S324  # Immich identifies files by SHA-1
    size = 0
    handle = await asyncio.to_thread(target.open, "wb")
    done = False
    try:
        async with (
            asyncio.timeout(deadline),
            session.get(url, allow_redirects=True) as response,
        ):
            if response.status >= 400:  # noqa: PLR2004  # any HTTP error status
                msg = f"{where}: HTTP {response.status}"
                raise SourceFetchError(msg)
            if (response.content_length or 0) > max_bytes:
                raise SourceTooLargeError(url, max_bytes)
            filename = _fetched_name(url, response)
            content_type = response.content_type or guess_content_type(filename)
            async for chunk in response.content.iter_chunked(chunk_size):
                size += len(chunk)
                if size > max_bytes:
                    raise SourceTooLargeError(url, max_bytes)
                digest.update(chunk)
                await asyncio.to_thread(handle.write, chunk)
        await asyncio.to_thread(handle.close)
        done = True
    except TimeoutError as err:
        msg = f"{where}: no complete answer within {deadline:g} s"
        raise SourceFetchError(msg) from err
    except aiohttp.ClientError as err:
        msg = f"{where}: {type(err).__name__}"
        raise SourceFetchError(msg) from err
    finally:
        if not done:
            await asyncio.to_thread(_discard_partial, handle, target)
    _LOGGER.debug("Fetched %d bytes from %s", size, where)
    return FetchedFile(
        path=target,
        filename=filename,
        size=size,
        sha1=digest.hexdigest(),
        content_type=content_type,
    )


def _discard_partial(handle: BinaryIO, target: Path) -> None:
    """Close and remove a partly fetched file (blocking)."""
    handle.close()
    target.unlink(missing_ok=True)
