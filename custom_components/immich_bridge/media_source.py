"""Offer each Immich server in the media browser: browse, search and play.

This module answers Home Assistant's media source calls: it finds the server of an
identifier and resolves a photo or video to the proxy view; media_browse.py builds
the folders.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Final

from homeassistant.components.media_player.browse_media import (
    SearchMedia,
    SearchMediaQuery,
)
from homeassistant.components.media_player.const import MediaClass, MediaType
from homeassistant.components.media_player.errors import BrowseError, SearchError
from homeassistant.components.media_source import (
    BrowseMediaSource,
    MediaSource,
    MediaSourceItem,
    PlayMedia,
    Unresolvable,
)
from homeassistant.config_entries import ConfigEntryState

from .const import DOMAIN
from .helpers import translate_errors
from .media_browse import ASSET, Browser, MediaPath, async_titles, categories, folder
from .views import asset_url

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import ImmichBridgeConfigEntry

# Formats every browser shows; other photos are opened as Immich's JPEG rendering.
WEB_IMAGE_TYPES: Final = frozenset(
    {"image/jpeg", "image/png", "image/gif", "image/webp", "image/avif"}
)
WEB_VIDEO_TYPES: Final = frozenset({"video/mp4", "video/webm"})


async def async_get_media_source(hass: HomeAssistant) -> MediaSource:  # noqa: ARG001
    """Set up the Immich Bridge media source."""
    return ImmichBridgeMediaSource()


type _MediaError = type[BrowseError | SearchError | Unresolvable]


class ImmichBridgeMediaSource(MediaSource):
    """Offer albums, people, tags, favorites, memories, uploads, timeline, places."""

    name = "Immich Bridge"

    def __init__(self) -> None:
        """Initialize the media source."""
        super().__init__(DOMAIN)

    async def async_resolve_media(self, item: MediaSourceItem) -> PlayMedia:
        """Resolve a photo or video to the proxy view's address."""
        try:
            path = MediaPath.parse(item.identifier)
        except ValueError as err:
            raise Unresolvable(
                translation_domain=DOMAIN, translation_key="invalid_media_id"
            ) from err
        if path.category != ASSET or path.item is None or path.mime_type is None:
            raise Unresolvable(
                translation_domain=DOMAIN, translation_key="invalid_media_id"
            )
        entry = _entry(item.hass, path.server, Unresolvable)
        if path.mime_type.startswith("video/"):
            mime_type = (
                path.mime_type if path.mime_type in WEB_VIDEO_TYPES else "video/mp4"
            )
            return PlayMedia(asset_url(entry.entry_id, path.item, "video"), mime_type)
        mime_type = (
            path.mime_type if path.mime_type in WEB_IMAGE_TYPES else "image/jpeg"
        )
        return PlayMedia(asset_url(entry.entry_id, path.item, "fullsize"), mime_type)

    async def async_search_media(
        self, item: MediaSourceItem, query: SearchMediaQuery
    ) -> SearchMedia:
        """Search photos and videos by meaning (Immich smart search).

        Home Assistant calls this from 2026.8 on; a server node searches the
        whole library; an album, person, tag, place or favorites node only within it.
        """
        if item.identifier:
            try:
                path = MediaPath.parse(item.identifier)
            except ValueError as err:
                raise SearchError(
                    translation_domain=DOMAIN, translation_key="invalid_media_id"
                ) from err
            entries = [_entry(item.hass, path.server, SearchError)]
            paths = [path]
        else:
            entries = _loaded_entries(item.hass)
            paths = [MediaPath(server=str(entry.unique_id)) for entry in entries]
        titles = await async_titles(item.hass)
        with translate_errors(SearchError):
            found = await asyncio.gather(
                *(
                    Browser(entry, entry.runtime_data.client, titles).search(
                        path, query.search_query
                    )
                    for entry, path in zip(entries, paths, strict=True)
                )
            )
        nodes = [node for nodes in found for node in nodes]
        if query.media_filter_classes:
            nodes = [n for n in nodes if n.media_class in query.media_filter_classes]
        return SearchMedia(result=list(nodes))

    async def async_browse_media(self, item: MediaSourceItem) -> BrowseMediaSource:
        """Browse the servers, their categories and the photos in them.

        With one server, the root lists its categories: there is nothing to choose.
        """
        titles = await async_titles(item.hass)
        if not item.identifier:
            entries = _loaded_entries(item.hass)
            if len(entries) == 1:
                return categories(entries[0], titles, root=True)
            return self._servers(entries)
        try:
            path = MediaPath.parse(item.identifier)
        except ValueError as err:
            raise BrowseError(
                translation_domain=DOMAIN, translation_key="invalid_media_id"
            ) from err
        entry = _entry(item.hass, path.server, BrowseError)
        if path.category is None:
            return categories(entry, titles)
        if path.category == ASSET:
            raise BrowseError(
                translation_domain=DOMAIN, translation_key="invalid_media_id"
            )
        with translate_errors(BrowseError):
            return await Browser(entry, entry.runtime_data.client, titles).browse(path)

    def _servers(self, entries: list[ImmichBridgeConfigEntry]) -> BrowseMediaSource:
        """List the loaded servers."""
        return BrowseMediaSource(
            domain=DOMAIN,
            identifier=None,
            media_class=MediaClass.DIRECTORY,
            media_content_type=MediaType.IMAGE,
            title=self.name,
            can_play=False,
            can_expand=True,
            children_media_class=MediaClass.DIRECTORY,
            children=[
                folder(str(entry.unique_id), entry.title, can_search=True)
                for entry in sorted(entries, key=lambda entry: entry.title)
            ],
        )


def _loaded_entries(hass: HomeAssistant) -> list[ImmichBridgeConfigEntry]:
    """Return the loaded entries that have a unique id."""
    return [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.state is ConfigEntryState.LOADED and entry.unique_id
    ]


def _entry(
    hass: HomeAssistant, server: str, error: _MediaError
) -> ImmichBridgeConfigEntry:
    """Return the loaded entry of a server, or raise `error`."""
    for entry in _loaded_entries(hass):
        if entry.unique_id == server:
            return entry
    raise error(translation_domain=DOMAIN, translation_key="server_not_loaded")
