"""Upload to Immich: the streamed file payload, the form, and `upload()` itself."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
import logging
from pathlib import Path
import threading
from typing import TYPE_CHECKING, Any, BinaryIO, Final, Self, TypedDict, Unpack

import aiohttp
from aiohttp import payload

from .assets import ImmichAsset
from .errors import ImmichResponseError
from .files import (
    CHUNK_SIZE,
    LocalFile,
    guess_content_type,
    sha1_bytes,
    sha1_file,
    sha1_file_sync,
)
from .models import ImmichServerVersion, iso_utc
from .results import (
    ImmichUploadCheckResult,
    ImmichUploadResult,
)
from .transport import ImmichTransport

if TYPE_CHECKING:
    from aiohttp.abc import AbstractStreamWriter
    from aiohttp.payload import Payload

    from .search import Visibility

_LOGGER: Final = logging.getLogger(__name__)

# Larger files stream in bigger reads: fewer thread hops per GiB, still a few MiB held.
STREAM_CHUNK_SIZE: Final = 4 * 1024 * 1024
# From this size on, an upload starts while the file is still being hashed.
OVERLAP_MIN_SIZE: Final = 16 * 1024 * 1024
DEFAULT_DEVICE_ID: Final = "home-assistant"
# Immich before 3.0 wants an upload's device fields (and lists an album's assets).
DEVICE_FIELDS_BEFORE: Final = ImmichServerVersion(major=3, minor=0, patch=0)
# An upload may take its timeout plus one second per MiB (a floor of 1 MiB/s).
_UPLOAD_SECONDS_PER_BYTE: Final = 1 / (1024 * 1024)


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


class ImmichUploads(ImmichTransport):
    """Upload files and bytes: ask for the checksum first, stream, overlap the hash."""

    async def upload_check(
        self, checksums: Mapping[str, str]
    ) -> dict[str, ImmichUploadCheckResult]:
        """Ask which checksums (client id → SHA-1) the server already has."""
        body = {
            "assets": [{"id": key, "checksum": sha} for key, sha in checksums.items()]
        }
        data = await self._request("POST", "/assets/bulk-upload-check", json_body=body)
        where = "POST /assets/bulk-upload-check"
        if not isinstance(data, Mapping):
            msg = f"{where}: unexpected response: expected an object"
            raise ImmichResponseError(msg)
        results = self._parse_list(
            where, ImmichUploadCheckResult.from_api, data.get("results")
        )
        return {result.id: result for result in results}

    async def _known(self, checksum: str, filename: str) -> ImmichUploadResult | None:
        """Return the server's asset with this checksum, if it has one."""
        found = (await self.upload_check({"0": checksum})).get("0")
        if found is None or not found.duplicate or not found.asset_id:
            return None
        _LOGGER.debug("Upload of %s skipped: duplicate of %s", filename, found.asset_id)
        return ImmichUploadResult(
            asset_id=found.asset_id, duplicate=True, in_trash=bool(found.is_trashed)
        )

    async def upload(
        self,
        source: Path | str | bytes,
        *,
        filename: str | None = None,
        file_created_at: datetime | None = None,
        file_modified_at: datetime | None = None,
        is_favorite: bool | None = None,
        visibility: Visibility | None = None,
        sidecar: Path | bytes | None = None,
        checksum: str | None = None,
        check_duplicate: bool = True,
        device_id: str = DEFAULT_DEVICE_ID,
    ) -> ImmichUploadResult:
        """Upload a file (streamed) or bytes; a duplicate returns the existing asset.

        A path's XMP sidecar (photo.jpg.xmp or photo.xmp) goes along unless
        `sidecar` is given. Dates default to the file's modification time (or now).
        """
        local = await _UploadSource.read(
            source,
            filename=filename,
            modified_at=file_modified_at or file_created_at,
            checksum=checksum,
            hash_first=not check_duplicate,
        )
        filename, size, checksum = local.filename, local.size, local.checksum
        modified = file_modified_at or local.modified_at
        created = file_created_at or modified
        if sidecar is None:
            sidecar = local.sidecar
        if check_duplicate and checksum is not None:
            known = await self._known(checksum, filename)
            if known is not None:
                return known
        sidecar_body: Payload | bytes | None = None
        if isinstance(sidecar, bytes):
            sidecar_body = sidecar
        elif sidecar is not None:
            sidecar_size = (await asyncio.to_thread(sidecar.stat)).st_size
            sidecar_body = FilePayload(
                sidecar, sidecar_size, filename=f"{filename}.xmp"
            )
            size += sidecar_size
        version = await self._version()
        form = build_form(
            asset=local.asset,
            filename=filename,
            file_created_at=created,
            file_modified_at=modified,
            is_favorite=is_favorite,
            visibility=visibility,
            sidecar=sidecar_body,
            device_fields=(
                (checksum or f"{filename}-{size}", device_id)
                if version < DEVICE_FIELDS_BEFORE
                else None
            ),
        )
        deadline = self.request_timeout + size * _UPLOAD_SECONDS_PER_BYTE
        if checksum is None and local.stream is not None:
            known, data = await self._upload_while_hashing(local.stream, form, deadline)
            if known is not None:
                return known
        else:
            data = await self._request(
                "POST",
                "/assets",
                data=form,
                headers=None if checksum is None else {"x-immich-checksum": checksum},
                deadline=deadline,
            )
        result = self._parse("POST /assets", ImmichUploadResult.from_api, data)
        if result.duplicate:
            # The upload answer does not say where the server's copy is.
            existing = await self._get(
                f"/assets/{result.asset_id}", ImmichAsset.from_api
            )
            result = replace(result, in_trash=existing.is_trashed)
        _LOGGER.debug(
            "Uploaded %s as %s (duplicate: %s)",
            filename,
            result.asset_id,
            result.duplicate,
        )
        return result

    async def _upload_while_hashing(
        self, asset: FilePayload, form: aiohttp.MultipartWriter, deadline: float
    ) -> tuple[ImmichUploadResult | None, Any]:
        """Send a large file while a worker thread hashes it; stop on a duplicate.

        Once the hash is known the server is asked whether it has the file; if it
        does, the upload is cancelled (the server drops an unfinished upload, so it
        cost the bytes sent until then) and the existing asset is returned. When the
        whole file was sent before that answer came, the upload's own answer decides
        (the server may have stored this very upload: it is new, not a duplicate).
        Otherwise return (None, the upload's JSON answer).
        """
        stop = threading.Event()
        hashing = asyncio.ensure_future(
            asyncio.to_thread(sha1_file_sync, asset.path, STREAM_CHUNK_SIZE, stop)
        )
        sending = asyncio.ensure_future(
            self._request("POST", "/assets", data=form, deadline=deadline)
        )
        try:
            await asyncio.wait((hashing, sending), return_when=asyncio.FIRST_COMPLETED)
            if not sending.done():
                known = await self._known(await hashing, asset.path.name)
                # Once the whole file has gone out, the copy the server reports may be
                # the one this upload just made: its answer says which.
                if known is not None and (
                    asset.size is None or asset.bytes_sent < asset.size
                ):
                    _LOGGER.debug(
                        "Upload of %s stopped after %d of %d bytes",
                        asset.path.name,
                        asset.bytes_sent,
                        asset.size,
                    )
                    return known, None
            return None, await sending
        finally:
            stop.set()
            hashing.add_done_callback(_ignore_outcome)
            if not sending.done():
                sending.cancel()
                await asyncio.wait((sending,))
            sending.add_done_callback(_ignore_outcome)

    async def upload_bytes(
        self, data: bytes, filename: str, **options: Unpack[_UploadOptions]
    ) -> ImmichUploadResult:
        """Upload in-memory data (a camera snapshot, …) under a file name."""
        return await self.upload(data, filename=filename, **options)


@dataclass(frozen=True, slots=True, kw_only=True)
class _UploadSource:
    """Describe what an upload sends: the bytes or a stream of the file."""

    asset: Payload | bytes
    filename: str
    size: int
    modified_at: datetime
    checksum: str | None
    sidecar: Path | None = None
    stream: FilePayload | None = None

    @classmethod
    async def read(
        cls,
        source: Path | str | bytes,
        *,
        filename: str | None,
        modified_at: datetime | None,
        checksum: str | None,
        hash_first: bool,
    ) -> Self:
        """Inspect the source; hash it unless it is a large file hashed on the way.

        Data in memory (given, or a small file read whole) is hashed once, from
        memory. A file of OVERLAP_MIN_SIZE or more is left unhashed (checksum None)
        unless `hash_first`: the upload then overlaps the hash.
        """
        if isinstance(source, bytes):
            if not filename:
                msg = "a filename is needed to upload bytes"
                raise ValueError(msg)
            return cls(
                asset=source,
                filename=filename,
                size=len(source),
                modified_at=modified_at or datetime.now(UTC),
                checksum=checksum or await _sha1_bytes(source),
            )
        path = Path(source)
        local = await asyncio.to_thread(LocalFile.inspect_sync, path)
        filename = filename or path.name
        stream = None
        if local.data is not None:
            asset: Payload | bytes = local.data
            checksum = checksum or sha1_bytes(local.data)
        else:
            asset = stream = FilePayload(
                path, local.size, filename=filename, chunk_size=STREAM_CHUNK_SIZE
            )
            if checksum is None and (hash_first or local.size < OVERLAP_MIN_SIZE):
                checksum = await sha1_file(path, STREAM_CHUNK_SIZE)
        return cls(
            asset=asset,
            filename=filename,
            size=local.size,
            modified_at=local.modified_at,
            checksum=checksum,
            sidecar=local.sidecar,
            stream=stream,
        )


class _UploadOptions(TypedDict, total=False):
    """Carry the keyword options of upload_bytes."""

    file_created_at: datetime | None
    file_modified_at: datetime | None
    is_favorite: bool | None
    visibility: Visibility | None
    sidecar: Path | bytes | None
    checksum: str | None
    check_duplicate: bool
    device_id: str


def _ignore_outcome(done: asyncio.Future[Any]) -> None:
    """Retrieve the outcome of a task whose result is no longer needed."""
    if not done.cancelled():
        done.exception()


async def _sha1_bytes(data: bytes) -> str:
    """Hash bytes, off the event loop when they are large."""
    if len(data) < CHUNK_SIZE:
        return sha1_bytes(data)
    return await asyncio.to_thread(sha1_bytes, data)
