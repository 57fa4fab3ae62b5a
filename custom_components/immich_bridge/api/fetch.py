"""Fetch a file to upload from a URL into a local file, hashing it on the way."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import hashlib
import logging
import mimetypes
from pathlib import PurePath, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO, Final
from urllib.parse import unquote, urlsplit, urlunsplit

import aiohttp

from .files import CHUNK_SIZE, SIGNATURES, guess_content_type

if TYPE_CHECKING:
    from pathlib import Path

_LOGGER: Final = logging.getLogger(__name__)


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
