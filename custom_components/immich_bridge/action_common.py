"""What the action handlers share: the action record, the entry, albums, assets."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, cast

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, SupportsResponse
import voluptuous as vol

from . import resolve
from .api import (
    ImmichAlbum,
    ImmichAsset,
    ImmichBadRequestError,
    ImmichClient,
    ImmichNotFoundError,
)
from .const import DOMAIN
from .helpers import invalid

if TYPE_CHECKING:
    from .coordinator import ImmichBridgeConfigEntry


# Assets asked for at once when checking the ids an action names.
ASSET_CHECKS: Final = 8

type ActionResponse = dict[str, Any] | None
type EntryHandler = Callable[
    [ImmichBridgeConfigEntry, dict[str, Any]], Awaitable[ActionResponse]
]
type HassHandler = Callable[
    [HomeAssistant, ImmichBridgeConfigEntry, dict[str, Any]], Awaitable[ActionResponse]
]


@dataclass(frozen=True, kw_only=True)
class Action:
    """Tie an action's schema to its handler and response support."""

    schema: vol.Schema
    response: SupportsResponse

    async def async_run(
        self, hass: HomeAssistant, entry: ImmichBridgeConfigEntry, data: dict[str, Any]
    ) -> ActionResponse:
        """Run the handler with what it uses."""
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class EntryAction(Action):
    """An action that needs only its entry and its data."""

    handler: EntryHandler

    async def async_run(
        self, hass: HomeAssistant, entry: ImmichBridgeConfigEntry, data: dict[str, Any]
    ) -> ActionResponse:
        """Run the handler on the entry."""
        del hass  # not used by these handlers
        return await self.handler(entry, data)


@dataclass(frozen=True, kw_only=True)
class HassAction(Action):
    """An action that also reads Home Assistant (files, entities, the registry)."""

    handler: HassHandler

    async def async_run(
        self, hass: HomeAssistant, entry: ImmichBridgeConfigEntry, data: dict[str, Any]
    ) -> ActionResponse:
        """Run the handler with Home Assistant."""
        return await self.handler(hass, entry, data)


def get_entry(hass: HomeAssistant, entry_id: str) -> ImmichBridgeConfigEntry:
    """Return the loaded Immich Bridge entry an action names."""
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise invalid(key="entry_not_found", entry_id=entry_id)
    if entry.state is not ConfigEntryState.LOADED:
        raise invalid(key="entry_not_loaded", title=entry.title)
    return cast("ImmichBridgeConfigEntry", entry)


# ------------------------------------------------------------------- albums


def _owner_id(entry: ImmichBridgeConfigEntry) -> str | None:
    """Return the id of the key's user, or None without user.read."""
    user = entry.runtime_data.user
    return user.id if user is not None else None


async def async_find_album(
    entry: ImmichBridgeConfigEntry, ref: str
) -> ImmichAlbum | None:
    """Find an album the entry's user sees, by id or by name."""
    return await resolve.async_find_album(
        entry.runtime_data.client, ref, owner_id=_owner_id(entry)
    )


async def async_album(entry: ImmichBridgeConfigEntry, ref: str) -> ImmichAlbum:
    """Return an existing album the entry's user sees, by id or name."""
    return await resolve.async_album(
        entry.runtime_data.client, ref, owner_id=_owner_id(entry)
    )


def check_album_writable(entry: ImmichBridgeConfigEntry, album: ImmichAlbum) -> None:
    """Refuse to change the photos of an album shared with the user as a viewer."""
    user = entry.runtime_data.user
    if user is not None and album.role_of(user.id) == "viewer":
        raise invalid(key="album_read_only", album=album.name)


@contextmanager
def album_refusal(album: ImmichAlbum) -> Iterator[None]:
    """Turn the server's "no access" to an album just found into a clear refusal.

    Immich answers "Not found or no albumAsset.create access" when the user's role
    does not allow the change; the album itself exists (it was just read).
    """
    try:
        yield
    except ImmichNotFoundError as err:
        raise invalid(key="album_read_only", album=album.name) from err


async def async_album_or_create(
    entry: ImmichBridgeConfigEntry, ref: str
) -> ImmichAlbum:
    """Return an album by id or name, creating it by that name when missing.

    The album must let the user add photos (owner or editor).
    """
    album = await resolve.async_album_or_create(
        entry.runtime_data.client, ref, owner_id=_owner_id(entry)
    )
    check_album_writable(entry, album)
    return album


async def async_check_assets(
    client: ImmichClient, asset_ids: Sequence[str]
) -> list[ImmichAsset]:
    """Return the assets; refuse ids the server does not know (or the key can't see)."""
    slots = asyncio.Semaphore(ASSET_CHECKS)

    async def visible(asset_id: str) -> ImmichAsset | None:
        """Return one asset, or None when it can't be read."""
        async with slots:
            try:
                return await client.asset(asset_id)
            except (ImmichNotFoundError, ImmichBadRequestError):
                return None

    found = await asyncio.gather(*(visible(asset_id) for asset_id in asset_ids))
    missing = [
        asset_id
        for asset_id, asset in zip(asset_ids, found, strict=True)
        if asset is None
    ]
    if missing:
        raise invalid(key="asset_not_found", asset_ids=", ".join(missing))
    return [asset for asset in found if asset is not None]


def asset_summary(client: ImmichClient, asset: ImmichAsset) -> dict[str, Any]:
    """Describe an asset for a response."""
    taken = asset.local_date_time or asset.file_created_at
    return {
        "asset_id": asset.id,
        "file_name": asset.original_file_name,
        "taken_at": taken.isoformat(),
        "type": asset.type.lower(),
        "favorite": asset.is_favorite,
        "url": client.asset_web_url(asset.id),
    }


async def async_refresh(entry: ImmichBridgeConfigEntry) -> None:
    """Ask the server coordinator for fresh numbers after a change."""
    await entry.runtime_data.server.async_request_refresh()
