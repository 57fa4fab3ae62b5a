"""Photo frames: pick a new photo of a source every few minutes, without repeats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
import hashlib
import secrets
from typing import TYPE_CHECKING, Final

from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .api import (
    ImmichBadRequestError,
    ImmichNotFoundError,
    is_uuid,
)
from .const import (
    CONF_FRAME_INTERVAL,
    CONF_FRAME_VIDEOS,
    CONF_FRAMES,
    DEFAULT_FRAME_INTERVAL,
    DOMAIN,
    LOGGER,
)
from .helpers import invalid, translate_update_errors

if TYPE_CHECKING:
    from collections.abc import Iterable

    from homeassistant.core import CALLBACK_TYPE, HomeAssistant

    from .api import ImmichAsset, ImmichClient, ImmichSearchFilters, TimelineCache
    from .coordinator import ImmichBridgeConfigEntry


class FrameKind(StrEnum):
    """What a frame shows: the part of an option before the colon."""

    ALBUM = "album"  # album:<album id>
    PERSON = "person"  # person:<person id>
    FAVORITES = "favorites"
    MEMORIES = "memories"  # today's "on this day" memories
    LIBRARY = "library"  # the whole library
    SEARCH = "search"  # search:<smart-search query>


# Kinds that take no value, and kinds whose value is the id of an album or person.
BARE_KINDS: Final = frozenset(
    {FrameKind.FAVORITES, FrameKind.MEMORIES, FrameKind.LIBRARY}
)
ID_KINDS: Final = frozenset({FrameKind.ALBUM, FrameKind.PERSON})

# Random photos asked for at once; a smaller answer means the source is exhausted.
DRAW_BATCH: Final = 50
# Smart-search frames pick among this many best matches.
SEARCH_POOL: Final = 100
# Forget the shown photos of a huge source after this many, to bound memory.
MAX_SEEN: Final = 10_000
# Sources whose photos the server draws at random.
RANDOM_KINDS: Final = frozenset(
    {FrameKind.PERSON, FrameKind.FAVORITES, FrameKind.LIBRARY}
)


@dataclass(frozen=True, kw_only=True)
class FrameSource:
    """One source of photos the user picked in the options."""

    kind: FrameKind
    value: str | None = None

    @classmethod
    def parse(cls, option: str) -> FrameSource | None:
        """Parse an option: album:<id>, person:<id>, search:<q>, or a bare kind.

        The bare kinds are favorites, memories and library (the whole library).
        """
        kind, _, value = option.partition(":")
        return cls.build(kind, value)

    @classmethod
    def build(cls, kind: str, value: str | None) -> FrameSource | None:
        """Return the source of a kind and value; None when they make none."""
        try:
            frame_kind = FrameKind(kind)
        except ValueError:
            return None
        value = (value or "").strip()
        if frame_kind in BARE_KINDS:
            return None if value else cls(kind=frame_kind)
        if frame_kind in ID_KINDS and not is_uuid(value):
            return None
        return cls(kind=frame_kind, value=value) if value else None

    @staticmethod
    def split(option: str) -> tuple[str, str]:
        """Split what a user typed into a lower-case kind and a value, trimmed."""
        kind, _, value = option.partition(":")
        return kind.strip().lower(), value.strip()

    @property
    def option(self) -> str:
        """Return the source as written in the options (`album:<id>`, `memories`)."""
        kind = self.kind.value
        return kind if self.value is None else f"{kind}:{self.value}"

    @property
    def key(self) -> str:
        """Return a stable key for unique ids (a hash for search queries)."""
        if self.value is None:
            return self.kind.value
        if self.kind is FrameKind.SEARCH:
            digest = hashlib.sha256(self.value.casefold().encode()).hexdigest()
            return f"search_{digest[:12]}"
        return f"{self.kind}_{self.value}"


def frame_sources(entry: ImmichBridgeConfigEntry) -> list[FrameSource]:
    """Return the frame sources of an entry's options, once each."""
    sources: dict[str, FrameSource] = {}
    for option in entry.options.get(CONF_FRAMES, []):
        if (source := FrameSource.parse(str(option))) is None:
            LOGGER.debug("Ignoring a photo frame option that is not understood")
            continue
        sources.setdefault(source.key, source)
    return list(sources.values())


@dataclass(frozen=True, kw_only=True)
class FrameData:
    """The photo a frame shows now; None when its source has no photos.

    `visiting` is another source the frame shows until `visiting_until` (the
    show_on_frame action), instead of its own.
    """

    asset: ImmichAsset | None
    changed_at: datetime
    visiting: FrameSource | None = None
    visiting_until: datetime | None = None


class FrameDeck:
    """Draw photos of a source at random, without repeats until all were shown.

    With `videos`, videos are drawn too: a frame shows their preview picture.
    """

    def __init__(
        self, client: ImmichClient, source: FrameSource, *, videos: bool = False
    ) -> None:
        """Start with nothing shown."""
        self.client = client
        self.source = source
        self.videos = videos
        self.seen: set[str] = set()
        self.current: str | None = None
        self.timeline: TimelineCache = {}

    def _filters(self) -> ImmichSearchFilters:
        """Return the search filter of the asset types shown (none for both)."""
        return {} if self.videos else {"type": "IMAGE"}

    def _shown(self, asset: ImmichAsset) -> bool:
        """Tell whether the frame shows this kind of asset (videos: when opted in)."""
        return asset.is_photo or (self.videos and asset.is_video)

    async def _candidates(self) -> tuple[list[ImmichAsset], bool]:
        """Return photos to choose from, and whether they are the whole source."""
        client, source = self.client, self.source
        if source.kind is FrameKind.MEMORIES:
            memories = await client.memories(for_date=dt_util.now())
            photos = {
                asset.id: asset
                for memory in memories
                for asset in memory.assets
                if self._shown(asset)
            }
            return list(photos.values()), True
        filters = self._filters()
        if source.kind is FrameKind.SEARCH:
            page = await client.search_smart(
                str(source.value), size=SEARCH_POOL, **filters
            )
            return [a for a in page.items if self._shown(a)], True
        # Person, favorites and the whole library: the server picks at random.
        if source.kind is FrameKind.PERSON:
            filters["person_ids"] = [str(source.value)]
        elif source.kind is FrameKind.FAVORITES:
            filters["is_favorite"] = True
        assets = await client.search_random(size=DRAW_BATCH, **filters)
        drawn = [asset for asset in assets if self._shown(asset)]
        return drawn, len(assets) < DRAW_BATCH

    def _unseen(self, ids: Iterable[str]) -> list[str]:
        """Return the ids not shown yet; when all were, start a new round.

        A new round avoids the photo on screen, unless it is the only one.
        """
        ids = list(ids)
        fresh = [asset_id for asset_id in ids if asset_id not in self.seen]
        if not fresh:
            self.seen.clear()
            fresh = [asset_id for asset_id in ids if asset_id != self.current] or ids
        return fresh

    async def _draw_album(self) -> ImmichAsset | None:
        """Pick a photo of the album not shown yet, whoever added it.

        The album's timeline lists every member's photos (a random search would
        return only the user's own and its partners'); it is kept between draws and
        only changed months are read again. A pick that is gone or in the trash (a
        month whose count did not change) reads the whole timeline once more.
        """
        album_id = str(self.source.value)
        for _ in range(2):
            entries = await self.client.album_timeline(album_id, cache=self.timeline)
            fresh = self._unseen(
                dict.fromkeys(
                    entry.id for entry in entries if entry.is_image or self.videos
                )
            )
            if not fresh:
                break
            try:
                asset = await self.client.asset(secrets.choice(fresh))
            except (ImmichNotFoundError, ImmichBadRequestError):
                asset = None
            if asset is not None and not asset.is_trashed:
                return self._show(asset)
            self.timeline.clear()
        self.current = None
        return None

    def _show(self, asset: ImmichAsset) -> ImmichAsset:
        """Remember a photo as shown now."""
        if len(self.seen) >= MAX_SEEN:
            self.seen.clear()
        self.seen.add(asset.id)
        self.current = asset.id
        return asset

    async def draw(self) -> ImmichAsset | None:
        """Return the next photo: one not shown yet, or start over when all were."""
        if self.source.kind is FrameKind.ALBUM:
            return await self._draw_album()
        candidates, whole = await self._candidates()
        if not whole and all(asset.id in self.seen for asset in candidates):
            # A big source whose sample we have all seen: ask once more.
            candidates, whole = await self._candidates()
        by_id = {asset.id: asset for asset in candidates}
        if not (fresh := self._unseen(by_id)):
            self.current = None
            return None
        # Random searches come shuffled by the server; other lists are ranked.
        pick = fresh[0] if self.source.kind in RANDOM_KINDS else secrets.choice(fresh)
        return self._show(by_id[pick])


def _frame_data(
    asset: ImmichAsset | None, visiting: FrameSource | None, until: datetime | None
) -> FrameData:
    """Return what a frame shows from now on."""
    return FrameData(
        asset=asset,
        changed_at=dt_util.utcnow(),
        visiting=visiting,
        visiting_until=until if visiting is not None else None,
    )


class ImmichBridgeFrameCoordinator(DataUpdateCoordinator[FrameData]):
    """Change a frame's photo every interval; a refresh is a new photo."""

    config_entry: ImmichBridgeConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ImmichBridgeConfigEntry,
        client: ImmichClient,
        source: FrameSource,
    ) -> None:
        """Initialize the frame for one source; the options set interval and videos."""
        minutes = entry.options.get(CONF_FRAME_INTERVAL, DEFAULT_FRAME_INTERVAL)
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN}_frame_{source.key}",
            update_interval=timedelta(minutes=max(1.0, float(minutes))),
        )
        self.client = client
        self.source = source
        self.deck = FrameDeck(
            client,
            source,
            videos=bool(entry.options.get(CONF_FRAME_VIDEOS, False)),
        )
        self._visit: tuple[FrameDeck, datetime] | None = None
        self._end_visit: CALLBACK_TYPE | None = None

    def _deck(self) -> tuple[FrameDeck, datetime | None]:
        """Return the deck to draw from now, and when its visit ends (None: own)."""
        visit = self._visit
        if visit is not None and visit[1] <= dt_util.utcnow():
            visit = self._visit = None
        return visit if visit is not None else (self.deck, None)

    async def _async_update_data(self) -> FrameData:
        """Draw the next photo (of the visiting source while it lasts)."""
        deck, until = self._deck()
        with translate_update_errors():
            asset = await deck.draw()
            if self._deck()[0] is not deck:
                # A visit began or ended during the draw: draw from what is shown now.
                deck, until = self._deck()
                asset = await deck.draw()
        return _frame_data(asset, deck.source if until else None, until)

    async def async_show(self, source: FrameSource, duration: timedelta) -> None:
        """Show photos of another source for a while, then the frame's own again.

        The photo changes every interval as usual. Raises client errors as they are,
        and ServiceValidationError when the source has no photo to show (the frame
        then stays as it was).
        """
        deck = FrameDeck(self.client, source, videos=self.deck.videos)
        if (asset := await deck.draw()) is None:
            raise invalid(key="frame_source_empty", source=source.option)
        until = dt_util.utcnow() + duration
        self._visit = (deck, until)
        self._cancel_end_visit()
        self._end_visit = async_track_point_in_utc_time(
            self.hass, self._async_visit_over, until
        )
        self.async_set_updated_data(_frame_data(asset, source, until))

    async def _async_visit_over(self, _now: datetime) -> None:
        """Go back to the frame's own source."""
        self._end_visit = None
        self._visit = None
        await self.async_refresh()

    def _cancel_end_visit(self) -> None:
        if self._end_visit is not None:
            self._end_visit()
            self._end_visit = None

    async def async_shutdown(self) -> None:
        """Stop the timers, the visit's too."""
        self._cancel_end_visit()
        await super().async_shutdown()

    async def async_next(self) -> None:
        """Show the next photo now (the interval starts again), or raise."""
        await self.async_refresh()
        if not self.last_update_success:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="next_image_failed"
            )
