"""Authenticated view that streams Immich photos and videos to Home Assistant users.

The browser only ever talks to Home Assistant: the view asks Immich with the entry's
API key, which stays on the server, and copies the answer through in chunks.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from http import HTTPStatus
import re
from typing import TYPE_CHECKING, Final, Literal, get_args

from aiohttp import hdrs, web
from homeassistant.components.http.auth import async_sign_path
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import callback
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView

from .api import (
    AssetSize,
    ImmichAssetStream,
    ImmichBadRequestError,
    ImmichError,
    ImmichNotFoundError,
    is_uuid,
)
from .const import DOMAIN, LOGGER

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import ImmichBridgeConfigEntry

type Variant = Literal[
    "thumbnail", "preview", "fullsize", "original", "video", "person"
]

VARIANTS: Final[frozenset[str]] = frozenset(get_args(Variant.__value__))
_SIZES: Final[dict[str, AssetSize]] = {
    "thumbnail": "thumbnail",
    "preview": "preview",
    "fullsize": "fullsize",
    "original": "original",
}
STREAM_CHUNK_SIZE: Final = 256 * 1024
CACHE_CONTROL: Final = "private, max-age=86400"
SANDBOX: Final = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
# How long the signed image link of an event or upload opens without a login. Home
# Assistant's signing secret is new at each start, so a restart ends it sooner.
IMAGE_URL_LIFETIME: Final = timedelta(days=1)
# One range only: a multi-range request is answered with the whole file.
_RANGE_RE: Final = re.compile(r"bytes=(\d+-\d*|-\d+)")


def asset_url(entry_id: str, item_id: str, variant: Variant) -> str:
    """Return the view's path for an asset (or a person's face) of an entry."""
    return f"/api/{DOMAIN}/{entry_id}/{item_id}/{variant}"


@callback
def asset_links(
    hass: HomeAssistant, entry: ImmichBridgeConfigEntry, asset_id: str
) -> dict[str, str]:
    """Return an asset's Immich web page and a signed link to its preview.

    `image_url` is a path on Home Assistant (the companion app puts its own server
    address in front) that opens without a login until `IMAGE_URL_LIFETIME` passes:
    made for notifications (`data: image:`). It holds no Immich key.
    """
    return {
        "url": entry.runtime_data.client.asset_web_url(asset_id),
        "image_url": async_sign_path(
            hass,
            asset_url(entry.entry_id, asset_id, "preview"),
            IMAGE_URL_LIFETIME,
            use_content_user=True,
        ),
    }


class ImmichBridgeMediaView(HomeAssistantView):
    """Proxy Immich thumbnails, photos and videos for authenticated users."""

    url = f"/api/{DOMAIN}/{{entry_id}}/{{item_id}}/{{variant}}"
    name = f"api:{DOMAIN}:media"
    requires_auth = True

    async def get(
        self, request: web.Request, entry_id: str, item_id: str, variant: str
    ) -> web.StreamResponse:
        """Stream one asset variant, passing a byte range through to Immich."""
        if variant not in VARIANTS:
            raise web.HTTPNotFound
        if not is_uuid(item_id):
            raise web.HTTPBadRequest(text="Not an Immich id")
        entry = _loaded_entry(request, entry_id)
        client = entry.runtime_data.client
        byte_range = request.headers.get(hdrs.RANGE, "").strip() or None
        if byte_range is not None and not _RANGE_RE.fullmatch(byte_range):
            byte_range = None

        if variant == "person":
            try:
                data = await client.person_thumbnail(item_id)
            except ImmichError as err:
                raise _http_error(err) from None
            return web.Response(
                body=data,
                content_type="image/jpeg",
                headers={
                    hdrs.CACHE_CONTROL: CACHE_CONTROL,
                    "X-Content-Type-Options": "nosniff",
                },
            )

        def opener() -> AbstractAsyncContextManager[ImmichAssetStream]:
            if variant == "video":
                return client.open_video(item_id, byte_range=byte_range)
            return client.open_asset(
                item_id, size=_SIZES[variant], byte_range=byte_range
            )

        return await _stream(request, opener, item_id, variant)


def _loaded_entry(request: web.Request, entry_id: str) -> ImmichBridgeConfigEntry:
    """Return the loaded Immich Bridge entry with this id, or answer 404."""
    hass = request.app[KEY_HASS]
    entry = hass.config_entries.async_get_entry(entry_id)
    if (
        entry is None
        or entry.domain != DOMAIN
        or entry.state is not ConfigEntryState.LOADED
    ):
        raise web.HTTPNotFound
    return entry


def _http_error(err: ImmichError) -> web.HTTPException:
    """Map a client error to the answer the browser gets (no details, no key)."""
    if isinstance(err, ImmichNotFoundError):
        return web.HTTPNotFound()
    if (
        isinstance(err, ImmichBadRequestError)
        and err.status == HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE
    ):
        return web.HTTPRequestRangeNotSatisfiable()
    LOGGER.debug("Immich media request failed: %s", err)
    return web.HTTPBadGateway()


async def _stream(
    request: web.Request,
    opener: Callable[[], AbstractAsyncContextManager[ImmichAssetStream]],
    item_id: str,
    variant: str,
) -> web.StreamResponse:
    """Copy an Immich download to the browser chunk by chunk."""
    response: web.StreamResponse | None = None
    try:
        async with opener() as stream:
            response = web.StreamResponse(
                status=(
                    HTTPStatus.PARTIAL_CONTENT
                    if stream.status == HTTPStatus.PARTIAL_CONTENT
                    else HTTPStatus.OK
                )
            )
            response.content_type = stream.content_type
            if stream.size is not None:
                response.content_length = stream.size
            if stream.content_range:
                response.headers[hdrs.CONTENT_RANGE] = stream.content_range
            response.headers[hdrs.ACCEPT_RANGES] = "bytes"
            response.headers[hdrs.CACHE_CONTROL] = CACHE_CONTROL
            response.headers["X-Content-Type-Options"] = "nosniff"
            # Opened on its own, a proxied file may never run script in our origin.
            response.headers["Content-Security-Policy"] = SANDBOX
            await response.prepare(request)
            async for chunk in stream.chunks(STREAM_CHUNK_SIZE):
                await response.write(chunk)
            await response.write_eof()
    except ImmichError as err:
        if response is None or not response.prepared:
            raise _http_error(err) from None
        # The status line is gone already: cut the connection so that the browser
        # sees a short body (and a player retries) instead of waiting for the rest.
        LOGGER.debug("Immich stream of %s (%s) broke off: %s", item_id, variant, err)
        if request.transport is not None:
            request.transport.close()
    except ConnectionResetError:
        if response is None:
            raise
        LOGGER.debug("Browser left the stream of %s (%s)", item_id, variant)
    if response is None:  # pragma: no cover  # the opener yields or raises
        raise web.HTTPBadGateway
    return response
