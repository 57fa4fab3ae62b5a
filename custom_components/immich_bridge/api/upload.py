"""Build streaming multipart uploads for Immich: the file payload and the form."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import UTC, datetime
from functools import partial
import logging
from typing import TYPE_CHECKING, Any, BinaryIO, Final

import aiohttp
from aiohttp import payload

from .files import CHUNK_SIZE, guess_content_type

if TYPE_CHECKING:
    from pathlib import Path

    from aiohttp.abc import AbstractStreamWriter

_LOGGER: Final = logging.getLogger(__name__)


# Larger files stream in bigger reads: fewer thread hops per GiB, still a few MiB held.
STREAM_CHUNK_SIZE: Final = 4 * 1024 * 1024
# From this size on, an upload starts while the file is still being hashed.
OVERLAP_MIN_SIZE: Final = 16 * 1024 * 1024
DEFAULT_DEVICE_ID: Final = "home-assistant"


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
