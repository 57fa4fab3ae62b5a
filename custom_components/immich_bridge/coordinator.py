"""Data update coordinators for Immich Bridge."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    ImmichAlbum,
    ImmichAlbumStatistics,
    ImmichApiKeyInfo,
    ImmichAssetStatistics,
    ImmichClient,
    ImmichLibrary,
    ImmichLibraryStatistics,
    ImmichPeoplePage,
    ImmichPermissionError,
    ImmichQueue,
    ImmichServerAbout,
    ImmichServerStatistics,
    ImmichServerStorage,
    ImmichServerVersion,
    ImmichTag,
    ImmichUser,
    ImmichVersionCheck,
)
from .const import (
    CONF_ALBUMS,
    DOMAIN,
    LOGGER,
    QUEUE_IDLE_INTERVAL,
    QUEUE_SCAN_INTERVAL,
    SERVER_SCAN_INTERVAL,
    SLOW_INTERVAL,
)
from .frames import FrameKind, frame_sources
from .helpers import translate_update_errors
from .permissions import Source, source_allowed

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .photos import ImmichBridgePhotos

type ImmichBridgeConfigEntry = ConfigEntry[ImmichBridgeRuntimeData]

# Sources read less often than every refresh, because they change rarely: the server's
# version and its update, tags, the number of people and the duplicate groups (Immich
# answers every group with its assets in full, for a number that changes when its
# nightly detection runs). A refresh asked for (homeassistant.update_entity) reads
# them all.
READ_EVERY: Final[dict[Source, timedelta]] = {
    Source.ABOUT: SLOW_INTERVAL,
    Source.VERSION_CHECK: SLOW_INTERVAL,
    Source.DUPLICATES: SLOW_INTERVAL,
    Source.TAGS: timedelta(minutes=15),
    # The number of people changes when face recognition runs after uploads; it is
    # the slowest request of a refresh on a real server (Immich counts every person).
    Source.PEOPLE: timedelta(minutes=15),
}


@dataclass(frozen=True, kw_only=True)
class ImmichBridgeServerData:
    """Hold one refresh of server and library data; None means the key can't read it.

    `albums` holds only the albums the options name (see `watched_album_ids`), by id:
    the album counts come from `album_statistics`.
    """

    about: ImmichServerAbout | None = None
    version_check: ImmichVersionCheck | None = None
    storage: ImmichServerStorage | None = None
    statistics: ImmichServerStatistics | None = None
    asset_statistics: ImmichAssetStatistics | None = None
    user: ImmichUser | None = None
    album_statistics: ImmichAlbumStatistics | None = None
    albums: dict[str, ImmichAlbum] | None = None
    people: ImmichPeoplePage | None = None
    tags: tuple[ImmichTag, ...] | None = None
    libraries: dict[str, ImmichLibrary] | None = None
    library_statistics: dict[str, ImmichLibraryStatistics] | None = None
    trash: ImmichAssetStatistics | None = None
    duplicate_groups: int | None = None


def quota_percent(user: ImmichUser) -> float | None:
    """Return how much of a user's quota is used, in %; None without a quota."""
    if not user.quota_size_in_bytes:
        return None
    return round(100.0 * (user.quota_usage_in_bytes or 0) / user.quota_size_in_bytes, 2)


@dataclass(frozen=True, kw_only=True)
class ImmichBridgeQueueData:
    """Hold one refresh of the job queues, keyed by queue name."""

    queues: dict[str, ImmichQueue]


@dataclass(kw_only=True)
class ImmichBridgeRuntimeData:
    """Hold a loaded entry's client, coordinators and facts that never change."""

    client: ImmichClient
    version: ImmichServerVersion
    key_info: ImmichApiKeyInfo
    user: ImmichUser | None  # None when the key lacks user.read
    is_admin: bool
    server: ImmichBridgeServerCoordinator
    queues: ImmichBridgeQueueCoordinator | None = None
    photos: ImmichBridgePhotos | None = None


def watched_album_ids(entry: ImmichBridgeConfigEntry) -> frozenset[str]:
    """Return the ids of the albums the options name: sensors, events and frames."""
    ids = {str(album_id) for album_id in entry.options.get(CONF_ALBUMS, [])}
    ids.update(
        str(source.value)
        for source in frame_sources(entry)
        if source.kind is FrameKind.ALBUM
    )
    return frozenset(ids)


def picked_albums(
    entry: ImmichBridgeConfigEntry,
) -> Callable[[ImmichBridgeServerData], list[str] | None]:
    """Return what lists the albums picked in the options that exist now.

    None while the albums can't be read (a refused source): the per-album sensors and
    events then stay as they are.
    """
    picked = [str(album_id) for album_id in entry.options.get(CONF_ALBUMS, [])]

    def albums(data: ImmichBridgeServerData) -> list[str] | None:
        if data.albums is None:
            return None
        return [album_id for album_id in picked if album_id in data.albums]

    return albums


class _ImmichBridgeCoordinator[DataT](DataUpdateCoordinator[DataT]):
    """Share the client and the denied-source bookkeeping between coordinators."""

    config_entry: ImmichBridgeConfigEntry
    name_suffix: str
    interval: timedelta

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ImmichBridgeConfigEntry,
        client: ImmichClient,
        key_info: ImmichApiKeyInfo,
        *,
        is_admin: bool,
    ) -> None:
        """Initialize the coordinator with its subclass's name and interval."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN}_{self.name_suffix}",
            update_interval=self.interval,
        )
        self.client = client
        self.key_info = key_info
        self.is_admin = is_admin
        # Sources the server refused with 403 on the last refresh.
        self.denied: set[Source] = set()
        self._warned: set[Source] = set()
        # What the sources of READ_EVERY answered, and when.
        self._read: dict[Source, tuple[datetime, Any]] = {}
        self._read_all = False

    def allowed(self, source: Source) -> bool:
        """Return True when the key's permissions and the user's role allow a source."""
        return source_allowed(source, self.key_info, is_admin=self.is_admin)

    async def async_request_refresh(self) -> None:
        """Refresh soon, every source (homeassistant.update_entity asks this).

        The next update forgets what the sources of READ_EVERY answered.
        """
        self._read_all = True
        await super().async_request_refresh()

    async def _fetch_slow[T](
        self, source: Source, call: Callable[[], Awaitable[T]]
    ) -> T | None:
        """Fetch a source of READ_EVERY when its last answer is old enough."""
        now = dt_util.utcnow()
        last = self._read.get(source)
        if last is not None and now - last[0] < READ_EVERY[source]:
            value: T = last[1]
            return value
        result = await self._fetch(source, call)
        if result is None:
            self._read.pop(source, None)
        else:
            self._read[source] = (now, result)
        return result

    async def _fetch[T](
        self, source: Source, call: Callable[[], Awaitable[T]]
    ) -> T | None:
        """Fetch one source; a 403 leaves it empty without failing the others."""
        if not self.allowed(source):
            return None
        try:
            result = await call()
        except ImmichPermissionError as err:
            self.denied.add(source)
            if source not in self._warned:
                self._warned.add(source)
                LOGGER.warning(
                    "Immich refused %s data (permission %s); its entities are off",
                    source.value,
                    err.permission or "admin",
                )
            return None
        self.denied.discard(source)
        self._warned.discard(source)
        return result


class ImmichBridgeServerCoordinator(_ImmichBridgeCoordinator[ImmichBridgeServerData]):
    """Poll statistics, storage, version, album counts, people, tags and libraries.

    Albums are listed only when the options name some (album sensors and events, album
    frames), and only those are kept: a refresh's cost doesn't grow with the library.
    """

    name_suffix = "server"
    interval = SERVER_SCAN_INTERVAL

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ImmichBridgeConfigEntry,
        client: ImmichClient,
        key_info: ImmichApiKeyInfo,
        *,
        is_admin: bool,
        user: ImmichUser | None = None,
    ) -> None:
        """Initialize; the watched albums are read from the options once.

        A change of the options reloads the entry, and so makes a new coordinator.
        `user` is the key's user as setup just read it, or None.
        """
        super().__init__(hass, entry, client, key_info, is_admin=is_admin)
        self.watched_albums = watched_album_ids(entry)
        self._setup_user = user

    async def _async_update_data(self) -> ImmichBridgeServerData:
        """Fetch every source concurrently: a fixed number of requests."""
        client = self.client
        read_all, self._read_all = self._read_all, False
        if read_all:
            self._read.clear()
        with translate_update_errors():
            (
                (about, version_check, storage, statistics, asset_statistics, user),
                (album_statistics, albums, people, tags, trash, duplicate_groups),
                (libraries, library_statistics),
            ) = await asyncio.gather(
                asyncio.gather(
                    self._fetch_slow(Source.ABOUT, client.about),
                    self._fetch_slow(Source.VERSION_CHECK, client.version_check),
                    self._fetch(Source.STORAGE, client.storage),
                    self._fetch(Source.STATISTICS, client.statistics),
                    self._fetch(Source.ASSET_STATISTICS, client.asset_statistics),
                    self._async_user(),
                ),
                asyncio.gather(
                    self._fetch(Source.ALBUM_STATISTICS, client.album_statistics),
                    self._async_watched_albums(self.watched_albums),
                    self._fetch_slow(Source.PEOPLE, lambda: client.people(size=1)),
                    self._fetch_slow(Source.TAGS, client.tags),
                    self._fetch(
                        Source.TRASH, lambda: client.asset_statistics(is_trashed=True)
                    ),
                    self._fetch_slow(Source.DUPLICATES, self._async_duplicate_groups),
                ),
                self._async_libraries(),
            )
        return ImmichBridgeServerData(
            about=about,
            version_check=version_check,
            storage=storage,
            statistics=statistics,
            asset_statistics=asset_statistics,
            user=user,
            album_statistics=album_statistics,
            albums=albums,
            people=people,
            tags=tuple(tags) if tags is not None else None,
            libraries=(
                {library.id: library for library in libraries}
                if libraries is not None
                else None
            ),
            library_statistics=library_statistics,
            trash=trash,
            duplicate_groups=duplicate_groups,
        )

    async def _async_user(self) -> ImmichUser | None:
        """Return the key's user (quota); the first refresh reuses setup's answer."""
        if (user := self._setup_user) is not None:
            self._setup_user = None
            return user
        return await self._fetch(Source.USER, self.client.me)

    async def _async_libraries(
        self,
    ) -> tuple[list[ImmichLibrary] | None, dict[str, ImmichLibraryStatistics] | None]:
        """Return the external libraries and each one's counts.

        The counts follow the list at once, alongside the other requests: a refresh
        costs one round of concurrent requests, not two.
        """
        libraries = await self._fetch(Source.LIBRARIES, self.client.libraries)
        return libraries, await self._async_library_statistics(libraries)

    async def _async_library_statistics(
        self, libraries: list[ImmichLibrary] | None
    ) -> dict[str, ImmichLibraryStatistics] | None:
        """Return each external library's counts: one request per library."""
        if libraries is None:
            return None
        counts = await asyncio.gather(
            *(
                self._fetch(
                    Source.LIBRARY_STATISTICS,
                    partial(self.client.library_statistics, library.id),
                )
                for library in libraries
            )
        )
        if any(count is None for count in counts):
            return None
        return {
            library.id: count
            for library, count in zip(libraries, counts, strict=True)
            if count is not None
        }

    async def _async_duplicate_groups(self) -> int:
        """Return the number of duplicate groups."""
        return len(await self.client.duplicates())

    async def _async_watched_albums(
        self, wanted: frozenset[str]
    ) -> dict[str, ImmichAlbum] | None:
        """Return the wanted albums: list owned and shared ones when there are any."""
        if not wanted:
            return {}
        albums = await self._fetch(Source.ALBUMS, self.client.visible_albums)
        if albums is None:
            return None
        return {album.id: album for album in albums if album.id in wanted}


class ImmichBridgeQueueCoordinator(_ImmichBridgeCoordinator[ImmichBridgeQueueData]):
    """Poll the job queues (admin keys with queue.read only)."""

    name_suffix = "queues"
    interval = QUEUE_SCAN_INTERVAL

    async def _async_update_data(self) -> ImmichBridgeQueueData:
        """Fetch the status of every queue in one request."""
        with translate_update_errors():
            try:
                queues = await self.client.queues()
            except ImmichPermissionError as err:
                self.denied.add(Source.QUEUES)
                raise UpdateFailed(
                    translation_domain=DOMAIN,
                    translation_key="missing_permission",
                    translation_placeholders={"permission": err.permission or "admin"},
                ) from err
        self.denied.discard(Source.QUEUES)
        # Quick while there is work, so that a queue's end is seen soon after; slower
        # while every queue is empty (a burst shorter than that may pass unseen).
        busy = any(
            queue.active + queue.waiting + queue.delayed + queue.paused
            for queue in queues
        )
        self.update_interval = QUEUE_SCAN_INTERVAL if busy else QUEUE_IDLE_INTERVAL
        return ImmichBridgeQueueData(queues={queue.name: queue for queue in queues})
