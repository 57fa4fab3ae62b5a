"""Build the media browser's tree below one Immich server.

Identifiers are `<server>/<category>/<item>/<rest>` (MediaPath); the categories
are albums, people, tags, favorites, memories, recent uploads, the timeline and
places; their folders list photos and videos, each an `asset` node that the media
source resolves (media_source.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
import re
from typing import TYPE_CHECKING, Final
from urllib.parse import unquote

from homeassistant.components.media_player.const import MediaClass, MediaType
from homeassistant.components.media_source import BrowseMediaSource
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util

from .api import (
    ImmichAlbum,
    ImmichAsset,
    ImmichNotFoundError,
    ImmichSearchFilters,
    is_uuid,
)
from .const import DOMAIN, LOGGER
from .views import asset_url

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .api import ImmichClient
    from .coordinator import ImmichBridgeConfigEntry

BROWSE_LIMIT: Final = 1000
RECENT_DAYS: Final = 30
# Smart search answers with this many best matches.
SEARCH_LIMIT: Final = 100

ALBUMS: Final = "albums"
PEOPLE: Final = "people"
TAGS: Final = "tags"
FAVORITES: Final = "favorites"
MEMORIES: Final = "memories"
RECENT: Final = "recent"
TIMELINE: Final = "timeline"
PLACES: Final = "places"
ASSET: Final = "asset"

# English titles, used when a translation is missing (selector.media_folder).
CATEGORY_TITLES: Final[dict[str, str]] = {
    ALBUMS: "Albums",
    PEOPLE: "People",
    TAGS: "Tags",
    FAVORITES: "Favorites",
    MEMORIES: "On this day",
    RECENT: "Recently added",
    TIMELINE: "Timeline",
    PLACES: "Places",
}
# Categories whose children are folders; the others list photos and videos.
FOLDER_CATEGORIES: Final = frozenset({ALBUMS, PEOPLE, TAGS, MEMORIES})
# Timeline items: a year (its months) or a month (its photos).
YEAR_RE: Final = re.compile(r"[0-9]{4}")
MONTH_RE: Final = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
MONTH_NAMES: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _place_id(name: str) -> str:
    """Return a country or city as an identifier part ("/" and "%" escaped)."""
    return name.replace("%", "%25").replace("/", "%2F")


@dataclass(frozen=True, kw_only=True)
class MediaPath:
    """A parsed identifier: server, category, item and a last part.

    The last part is an asset's MIME type, or a city below a country of places.
    """

    server: str
    category: str | None = None
    item: str | None = None
    rest: str | None = None

    @classmethod
    def parse(cls, identifier: str) -> MediaPath:
        """Parse `<server>[/<category>[/<item>[/<rest>]]]`, or raise ValueError."""
        server, _, rest = identifier.partition("/")
        category, _, rest = rest.partition("/")
        item, _, rest = rest.partition("/")
        path = cls(
            server=server,
            category=category or None,
            item=item or None,
            rest=rest or None,
        )
        if not server or (path.category is not None and not path._valid()):
            raise ValueError(identifier)
        return path

    @property
    def mime_type(self) -> str | None:
        """Return the MIME type of an asset."""
        return self.rest if self.category == ASSET else None

    @property
    def country(self) -> str | None:
        """Return the country of a places folder."""
        return unquote(self.item) if self.category == PLACES and self.item else None

    @property
    def city(self) -> str | None:
        """Return the city of a places folder."""
        return unquote(self.rest) if self.category == PLACES and self.rest else None

    def _valid(self) -> bool:
        """Return True when category, item and last part fit together."""
        if self.category == ASSET:
            return (
                self.item is not None
                and is_uuid(self.item)
                and self.rest is not None
                and self.rest.startswith(("image/", "video/"))
            )
        if self.category == PLACES:
            return self.rest is None or ("/" not in self.rest and self.item is not None)
        if self.category not in CATEGORY_TITLES or self.rest is not None:
            return False
        if self.item is None:
            return True
        if self.category == TIMELINE:
            return bool(YEAR_RE.fullmatch(self.item) or MONTH_RE.fullmatch(self.item))
        return self.category in FOLDER_CATEGORIES and is_uuid(self.item)


@dataclass(frozen=True, kw_only=True)
class Titles:
    """Folder titles in the user's language: categories, months, a month's title."""

    categories: dict[str, str]
    months: dict[int, str]
    month_title: str  # with {month} and {year}

    def month(self, year: int, month: int) -> str:
        """Return a month's title, such as "July 2021"."""
        return self.month_title.format(month=self.months[month], year=year)


async def async_titles(hass: HomeAssistant) -> Titles:
    """Read the folder titles of the configured language (English when missing)."""
    strings = await async_get_translations(
        hass, hass.config.language, "selector", {DOMAIN}
    )
    prefix = f"component.{DOMAIN}.selector"
    return Titles(
        categories={
            category: strings.get(f"{prefix}.media_folder.options.{category}", title)
            for category, title in CATEGORY_TITLES.items()
        },
        months={
            month: strings.get(
                f"{prefix}.media_month.options.{month:02d}", MONTH_NAMES[month - 1]
            )
            for month in range(1, 13)
        },
        month_title=strings.get(
            f"{prefix}.media_folder.options.month_title", "{month} {year}"
        ),
    )


def folder(
    identifier: str | None,
    title: str,
    *,
    thumbnail: str | None = None,
    children: list[BrowseMediaSource] | None = None,
    children_media_class: MediaClass | None = None,
    can_search: bool = False,
) -> BrowseMediaSource:
    """Build a folder node (searchable ones take a smart-search query)."""
    return BrowseMediaSource(
        domain=DOMAIN,
        identifier=identifier,
        media_class=MediaClass.DIRECTORY,
        media_content_type=MediaType.IMAGE,
        title=title,
        can_play=False,
        can_expand=True,
        can_search=can_search,
        thumbnail=thumbnail,
        children=children,
        children_media_class=children_media_class,
    )


def categories(
    entry: ImmichBridgeConfigEntry, titles: Titles, *, root: bool = False
) -> BrowseMediaSource:
    """List the categories of one server (as the root when it is the only one)."""
    server = str(entry.unique_id)
    return folder(
        None if root else server,
        entry.title,
        children=[
            folder(
                f"{server}/{category}",
                title,
                can_search=_searchable(MediaPath(server=server, category=category)),
            )
            for category, title in titles.categories.items()
        ],
        children_media_class=MediaClass.DIRECTORY,
        can_search=True,
    )


def _searchable(path: MediaPath) -> bool:
    """Return True for folders a smart search can be limited to."""
    if path.category == FAVORITES:
        return True
    if path.category == PLACES:
        return path.item is not None
    return path.item is not None and path.category in {ALBUMS, PEOPLE, TAGS}


class Browser:
    """Build the nodes below a server's categories."""

    def __init__(
        self, entry: ImmichBridgeConfigEntry, client: ImmichClient, titles: Titles
    ) -> None:
        """Remember the entry, its client and the folder titles."""
        self.entry = entry
        self.server = str(entry.unique_id)
        self.client = client
        self.titles = titles

    def _thumbnail(self, asset_id: str | None) -> str | None:
        """Return the proxy path of an asset's thumbnail."""
        if asset_id is None:
            return None
        return asset_url(self.entry.entry_id, asset_id, "thumbnail")

    async def browse(self, path: MediaPath) -> BrowseMediaSource:
        """Browse one category, or one folder in it."""
        category, item = str(path.category), path.item
        identifier = f"{self.server}/{category}"
        title = self.titles.categories[category]
        if category == TIMELINE:
            return await self._timeline(item)
        if category == PLACES:
            return await self._places(path)
        if item is None and category in FOLDER_CATEGORIES:
            folders = await self._folders(category)
            return folder(
                identifier,
                title,
                children=folders,
                children_media_class=MediaClass.DIRECTORY,
            )
        if item is not None:
            identifier = f"{identifier}/{item}"
        title, assets = await self._assets(path, title)
        return self._photos(identifier, title, assets, can_search=_searchable(path))

    def _photos(
        self,
        identifier: str,
        title: str,
        assets: Iterable[ImmichAsset],
        *,
        can_search: bool = False,
    ) -> BrowseMediaSource:
        """Build a folder of photos and videos."""
        return folder(
            identifier,
            title,
            children=self.asset_nodes(assets),
            children_media_class=MediaClass.IMAGE,
            can_search=can_search,
        )

    async def search(self, path: MediaPath, query: str) -> list[BrowseMediaSource]:
        """Return the best smart-search matches, within a folder when one is given."""
        filters: ImmichSearchFilters = {}
        category, item = path.category, path.item
        if category == ALBUMS and item is not None:
            filters["album_ids"] = [item]
        elif category == PEOPLE and item is not None:
            filters["person_ids"] = [item]
        elif category == TAGS and item is not None:
            filters["tag_ids"] = [item]
        elif category == FAVORITES:
            filters["is_favorite"] = True
        elif category == PLACES and path.country is not None:
            filters["country"] = path.country
            if path.city is not None:
                filters["city"] = path.city
        page = await self.client.search_smart(query, size=SEARCH_LIMIT, **filters)
        return self.asset_nodes(page.items)

    async def _timeline(self, item: str | None) -> BrowseMediaSource:
        """List the years, a year's months, or a month's photos and videos."""
        base = f"{self.server}/{TIMELINE}"
        if item is not None and (month := MONTH_RE.fullmatch(item)):
            year, number = int(month[1]), int(month[2])
            assets = await self.client.month_assets(year, number, limit=BROWSE_LIMIT)
            return self._photos(
                f"{base}/{item}", self.titles.month(year, number), assets
            )
        buckets = await self.client.time_buckets()
        if item is None:
            years = sorted({b.start.year for b in buckets if b.count}, reverse=True)
            children = [folder(f"{base}/{year}", str(year)) for year in years]
            title = self.titles.categories[TIMELINE]
        else:
            months = sorted(
                {
                    b.start.month
                    for b in buckets
                    if b.count and b.start.year == int(item)
                },
                reverse=True,
            )
            children = [
                folder(f"{base}/{item}-{month:02d}", self.titles.months[month])
                for month in months
            ]
            title = item
        return folder(
            f"{base}/{item}" if item else base,
            title,
            children=children,
            children_media_class=MediaClass.DIRECTORY,
        )

    async def _places(self, path: MediaPath) -> BrowseMediaSource:
        """List the countries, a country's cities (with a photo each), or a city's."""
        base = f"{self.server}/{PLACES}"
        country, city = path.country, path.city
        if country is not None and city is not None:
            page = await self.client.search_metadata(
                size=BROWSE_LIMIT, country=country, city=city
            )
            identifier = f"{base}/{_place_id(country)}/{_place_id(city)}"
            return self._photos(identifier, city, page.items, can_search=True)
        if country is None:
            names, covers = await asyncio.gather(
                self.client.search_suggestions("country"), self.client.city_assets()
            )
            by_name = {a.country: a.id for a in reversed(covers) if a.country}
            identifier, title = base, self.titles.categories[PLACES]
        else:
            names, covers = await asyncio.gather(
                self.client.search_suggestions("city", country=country),
                self.client.city_assets(),
            )
            by_name = {a.city: a.id for a in covers if a.city and a.country == country}
            base = identifier = f"{base}/{_place_id(country)}"
            title = country
        return folder(
            identifier,
            title,
            children=[
                folder(
                    f"{base}/{_place_id(name)}",
                    name,
                    thumbnail=self._thumbnail(by_name.get(name)),
                    can_search=True,
                )
                for name in names
            ],
            children_media_class=MediaClass.DIRECTORY,
            can_search=country is not None,
        )

    async def _folders(self, category: str) -> list[BrowseMediaSource]:
        """List the albums, people, tags or today's memories."""
        base = f"{self.server}/{category}"
        if category == ALBUMS:
            return [
                folder(
                    f"{base}/{album.id}",
                    album.name,
                    thumbnail=self._thumbnail(album.thumbnail_asset_id),
                    can_search=True,
                )
                for album in await self._albums()
            ]
        if category == PEOPLE:
            page = await self.client.people(size=BROWSE_LIMIT)
            return [
                folder(
                    f"{base}/{person.id}",
                    person.name,
                    thumbnail=asset_url(self.entry.entry_id, person.id, "person"),
                    can_search=True,
                )
                for person in sorted(page.people, key=lambda person: person.name)
                if person.name and not person.is_hidden
            ]
        if category == TAGS:
            tags = await self.client.tags()
            return [
                folder(f"{base}/{tag.id}", tag.value, can_search=True)
                for tag in sorted(tags, key=lambda tag: tag.value)
            ]
        memories = await self.client.memories(for_date=dt_util.now())
        return [
            folder(
                f"{base}/{memory.id}",
                _memory_title(memory.year, memory.memory_at.year),
                thumbnail=self._thumbnail(
                    memory.assets[0].id if memory.assets else None
                ),
            )
            for memory in sorted(memories, key=lambda memory: memory.memory_at)
        ]

    async def _albums(self) -> list[ImmichAlbum]:
        """Return owned and shared albums once each, by name."""
        return await self.client.visible_albums()

    async def _assets(
        self, path: MediaPath, title: str
    ) -> tuple[str, Iterable[ImmichAsset]]:
        """Return the title and the photos and videos of a folder."""
        client = self.client
        category, item = path.category, path.item
        if category == ALBUMS and item is not None:
            album, assets = await asyncio.gather(
                client.album(item), client.album_assets(item, limit=BROWSE_LIMIT)
            )
            return album.name, assets
        if category == PEOPLE and item is not None:
            people = await client.people(size=BROWSE_LIMIT)
            name = next((p.name for p in people.people if p.id == item), title)
            page = await client.search_metadata(size=BROWSE_LIMIT, person_ids=[item])
            return name, page.items
        if category == TAGS and item is not None:
            tags = await client.tags()
            name = next((tag.value for tag in tags if tag.id == item), title)
            page = await client.search_metadata(size=BROWSE_LIMIT, tag_ids=[item])
            return name, page.items
        if category == MEMORIES and item is not None:
            memories = await client.memories(for_date=dt_util.now())
            for memory in memories:
                if memory.id == item:
                    year = _memory_title(memory.year, memory.memory_at.year)
                    return year, memory.assets
            raise ImmichNotFoundError(item)
        if category == FAVORITES:
            page = await client.search_metadata(size=BROWSE_LIMIT, is_favorite=True)
            return title, page.items
        page = await client.search_metadata(
            size=BROWSE_LIMIT,
            created_after=dt_util.utcnow() - timedelta(days=RECENT_DAYS),
        )
        newest = sorted(
            page.items,
            key=lambda asset: asset.created_at or asset.file_created_at,
            reverse=True,
        )
        return title, newest

    def asset_nodes(self, assets: Iterable[ImmichAsset]) -> list[BrowseMediaSource]:
        """Build the nodes of photos and videos; other assets are left out."""
        nodes: list[BrowseMediaSource] = []
        for asset in assets:
            if asset.is_video:
                media_class, default_type = MediaClass.VIDEO, "video/mp4"
            elif asset.is_photo:
                media_class, default_type = MediaClass.IMAGE, "image/jpeg"
            else:
                continue
            mime_type = asset.original_mime_type or default_type
            if not mime_type.startswith(("image/", "video/")):
                mime_type = default_type
            nodes.append(
                BrowseMediaSource(
                    domain=DOMAIN,
                    identifier=f"{self.server}/{ASSET}/{asset.id}/{mime_type}",
                    media_class=media_class,
                    media_content_type=mime_type,
                    title=asset.original_file_name,
                    can_play=True,
                    can_expand=False,
                    thumbnail=self._thumbnail(asset.id),
                )
            )
        LOGGER.debug("Listed %s photos and videos", len(nodes))
        return nodes


def _memory_title(year: int | None, fallback: int) -> str:
    """Return a memory's title: the year its photos were taken."""
    return str(year if year is not None else fallback)
